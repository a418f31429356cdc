// One metadata value as Chroma 1.5 stores it: a string, 64-bit integer, 64-bit float or bool, a non-empty list of
// one of those types (lists are what `$contains` on metadata matches against), or a sparse vector (any JSON object
// in metadata is one, as in Chroma; it is never matched by filters, only ranked by sparse `$knn`).
import CairnJSON

public enum MetadataValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case stringArray([String])
    case intArray([Int64])
    case floatArray([Double])
    case boolArray([Bool])
    case sparseVector(SparseVector)

    /// True for the four scalar cases.
    public var isScalar: Bool {
        switch self {
        case .string, .int, .float, .bool: return true
        case .stringArray, .intArray, .floatArray, .boolArray, .sparseVector: return false
        }
    }

    /// The elements of a list value as scalar values (a scalar is its own single element).
    public var elements: [MetadataValue] {
        switch self {
        case .string, .int, .float, .bool: return [self]
        case .stringArray(let values): return values.map(MetadataValue.string)
        case .intArray(let values): return values.map(MetadataValue.int)
        case .floatArray(let values): return values.map(MetadataValue.float)
        case .boolArray(let values): return values.map(MetadataValue.bool)
        case .sparseVector: return []
        }
    }

    /// The value as JSON (ints stay ints, floats stay floats).
    public var json: JSONValue {
        switch self {
        case .string(let value): return .string(value)
        case .int(let value): return .int(value)
        case .float(let value): return .double(value)
        case .bool(let value): return .bool(value)
        case .stringArray(let values): return .array(values.map(JSONValue.string))
        case .intArray(let values): return .array(values.map(JSONValue.int))
        case .floatArray(let values): return .array(values.map(JSONValue.double))
        case .boolArray(let values): return .array(values.map(JSONValue.bool))
        case .sparseVector(let vector): return vector.json
        }
    }

    /// A metadata value from JSON, validated as Chroma does; `key` names the metadata key in messages.
    /// JSON null is not a value (callers decide whether it means "absent" or "delete").
    public init(json: JSONValue, key: String) throws(ValidationError) {
        switch json {
        case .string(let value): self = .string(value)
        case .int(let value): self = .int(value)
        case .double(let value):
            guard value.isFinite else { throw MetadataValue.invalidValue(json, key: key) }
            self = .float(value)
        case .bool(let value): self = .bool(value)
        case .array(let elements): self = try MetadataValue.list(elements, key: key, original: json)
        case .object(let members):
            // A sparse vector; an object that is not one at all gets the message any other wrong value gets.
            guard members["#type"] != nil || members["indices"] != nil || members["values"] != nil else {
                throw MetadataValue.invalidValue(json, key: key)
            }
            do {
                self = .sparseVector(try SparseVector(json: members))
            } catch {
                throw ValidationError(error.code, error.message, key: key)
            }
        case .null: throw MetadataValue.invalidValue(json, key: key)
        }
    }

    static func invalidValue(_ json: JSONValue, key: String) -> ValidationError {
        ValidationError(
            .invalidMetadataValue,
            "Expected metadata value to be a str, int, float, bool, SparseVector, list, or None, got \(json.pythonRepr) which is a \(json.pythonTypeName)",
            key: key)
    }

    private static func list(_ elements: [JSONValue], key: String, original: JSONValue) throws(ValidationError)
        -> MetadataValue
    {
        guard let first = elements.first else {
            throw ValidationError(
                .invalidMetadataValue, "Expected metadata list value for key '\(key)' to be non-empty", key: key)
        }
        let mixed = ValidationError(
            .invalidMetadataValue,
            "Expected metadata list value for key '\(key)' to contain only str, int, float, or bool "
                + "and all elements must be the same type, got \(original.pythonRepr)",
            key: key)
        switch first {
        case .string:
            var out: [String] = []
            out.reserveCapacity(elements.count)
            for element in elements {
                guard case .string(let value) = element else { throw mixed }
                out.append(value)
            }
            return .stringArray(out)
        case .int:
            var out: [Int64] = []
            out.reserveCapacity(elements.count)
            for element in elements {
                guard case .int(let value) = element else { throw mixed }
                out.append(value)
            }
            return .intArray(out)
        case .double:
            var out: [Double] = []
            out.reserveCapacity(elements.count)
            for element in elements {
                guard case .double(let value) = element, value.isFinite else { throw mixed }
                out.append(value)
            }
            return .floatArray(out)
        case .bool:
            var out: [Bool] = []
            out.reserveCapacity(elements.count)
            for element in elements {
                guard case .bool(let value) = element else { throw mixed }
                out.append(value)
            }
            return .boolArray(out)
        case .null, .array, .object:
            throw mixed
        }
    }
}

extension MetadataValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .float(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
