// A request body as a JSON object, with typed accessors that answer wrong types with Chroma-style 400s naming the
// field. Parsed with CairnJSON, which keeps 1 and 1.0 apart (metadata and filters depend on it).
import Cairn
import Foundation

struct RequestJSON {
    let members: [String: JSONValue]

    init(bytes: some Swift.Collection<UInt8>) throws {
        if bytes.isEmpty {
            members = [:]
            return
        }
        let value = try JSONParser.parse(bytes)
        guard case .object(let members) = value else {
            throw ChromaError.invalid("Expected the request body to be a JSON object, got \(value.pythonTypeName)")
        }
        self.members = members
    }

    /// A member, with JSON null read as absent.
    subscript(key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws -> String? {
        guard let value = self[key] else { return nil }
        guard case .string(let text) = value else { throw Self.wrongType(key, "a string", value) }
        return text
    }

    func requiredString(_ key: String) throws -> String {
        guard let text = try string(key) else {
            throw ChromaError(
                .unprocessableContent, "ChromaError",
                "Failed to deserialize the JSON body into the target type: missing field `\(key)`")
        }
        return text
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = self[key] else { return nil }
        guard case .bool(let flag) = value else { throw Self.wrongType(key, "a boolean", value) }
        return flag
    }

    func int(_ key: String) throws -> Int? {
        guard let value = self[key] else { return nil }
        switch value {
        case .int(let number): return Int(number)
        case .double(let number) where number == number.rounded() && abs(number) < 1e15: return Int(number)
        default: throw Self.wrongType(key, "an integer", value)
        }
    }

    func object(_ key: String) throws -> [String: JSONValue]? {
        guard let value = self[key] else { return nil }
        guard case .object(let members) = value else { throw Self.wrongType(key, "an object", value) }
        return members
    }

    func strings(_ key: String) throws -> [String]? {
        guard let value = self[key] else { return nil }
        guard case .array(let elements) = value else { throw Self.wrongType(key, "a list of strings", value) }
        return try elements.map { element in
            guard case .string(let text) = element else { throw Self.wrongType(key, "a list of strings", element) }
            return text
        }
    }

    /// Documents: strings or nulls.
    func optionalStrings(_ key: String) throws -> [String?]? {
        guard let value = self[key] else { return nil }
        guard case .array(let elements) = value else { throw Self.wrongType(key, "a list", value) }
        return try elements.map { element in
            switch element {
            case .null: return nil
            case .string(let text): return text
            default: throw Self.wrongType(key, "a list of strings", element)
            }
        }
    }

    /// Embeddings: lists of numbers, or (when the client uses base64 encoding) base64 strings of little-endian
    /// float32s.
    func embeddings(_ key: String) throws -> [[Float]]? {
        guard let value = self[key] else { return nil }
        guard case .array(let rows) = value else { throw Self.wrongType(key, "a list of embeddings", value) }
        var result: [[Float]] = []
        result.reserveCapacity(rows.count)
        for row in rows {
            switch row {
            case .array(let numbers):
                var embedding: [Float] = []
                embedding.reserveCapacity(numbers.count)
                for number in numbers {
                    switch number {
                    case .int(let v): embedding.append(Float(v))
                    case .double(let v): embedding.append(Float(v))
                    default: throw Self.wrongType(key, "a list of lists of numbers", number)
                    }
                }
                result.append(embedding)
            case .string(let encoded):
                guard let data = Data(base64Encoded: encoded), data.count % 4 == 0 else {
                    throw ChromaError.invalid("Expected \(key) to hold base64-encoded float32 vectors")
                }
                var embedding = [Float](repeating: 0, count: data.count / 4)
                data.withUnsafeBytes { raw in
                    for i in embedding.indices {
                        embedding[i] = Float(
                            bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    }
                }
                result.append(embedding)
            default:
                throw Self.wrongType(key, "a list of embeddings", row)
            }
        }
        return result
    }

    /// Metadatas for add/upsert: objects or nulls.
    func metadatas(_ key: String) throws -> [Metadata?]? {
        guard let value = self[key] else { return nil }
        guard case .array(let elements) = value else { throw Self.wrongType(key, "a list of metadata", value) }
        return try elements.map { element in
            if element == .null { return nil }
            return try Metadata(json: element)
        }
    }

    /// Metadatas for update: null values delete keys.
    func metadataUpdates(_ key: String) throws -> [MetadataUpdate?]? {
        guard let value = self[key] else { return nil }
        guard case .array(let elements) = value else { throw Self.wrongType(key, "a list of metadata", value) }
        return try elements.map { element in
            if element == .null { return nil }
            return try MetadataUpdate(updateJSON: element)
        }
    }

    /// A `where` filter; an empty object means none.
    func whereFilter() throws -> Where? {
        guard let value = self["where"] else { return nil }
        if case .object(let members) = value, members.isEmpty { return nil }
        return try Where(json: value)
    }

    func whereDocumentFilter() throws -> WhereDocument? {
        guard let value = self["where_document"] else { return nil }
        if case .object(let members) = value, members.isEmpty { return nil }
        return try WhereDocument(json: value)
    }

    func include(default defaultInclude: Include) throws -> Include {
        guard let names = try strings("include") else { return defaultInclude }
        var fields = Set<IncludeField>()
        for name in names {
            guard let field = IncludeField(rawValue: name) else {
                let allowed = IncludeField.allCases.map(\.rawValue).joined(separator: ", ")
                throw ChromaError.invalid("Expected include item to be one of \(allowed), got \(name)")
            }
            fields.insert(field)
        }
        return Include(fields)
    }

    static func wrongType(_ key: String, _ expected: String, _ value: JSONValue) -> ChromaError {
        ChromaError.invalid("Expected \(key) to be \(expected), got \(value.pythonTypeName)")
    }
}
