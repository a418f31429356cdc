// The catalog's use of Segments' `JSONValue` (the project's one JSON type, which keeps `1` apart from `1.0`):
// parsing stored text into typed catalog errors, and a Codable bridge for Foundation's coders.
import Foundation
import Segments

extension JSONValue {
    /// Parses JSON the catalog stored (a row's column, a manifest, a marker); `corrupt` naming `what` otherwise.
    static func catalogParse(_ bytes: some Collection<UInt8>, what: String) throws(CatalogError) -> JSONValue {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw CatalogError(.corrupt, "\(what): malformed JSON at byte \(error.offset): \(error.message)")
        }
    }

    /// The members of an object, or `nil` when this is not an object.
    var catalogObject: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}

/// `JSONValue` through Foundation's `Encoder`/`Decoder`, for `CollectionManifest: Codable`. Foundation's coders do
/// not keep `1.0` apart from `1` (an integral float reads back as an int); manifests in the store are written and
/// read with `encoded()` / `init(decoding:)`, which do.
struct CodableJSON: Codable {
    var value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let bool = try? container.decode(Bool.self) {
            value = .bool(bool)
        } else if let int = try? container.decode(Int64.self) {
            value = .int(int)
        } else if let double = try? container.decode(Double.self) {
            value = .double(double)
        } else if let string = try? container.decode(String.self) {
            value = .string(string)
        } else if let array = try? container.decode([CodableJSON].self) {
            value = .array(array.map(\.value))
        } else {
            value = .object(try container.decode([String: CodableJSON].self).mapValues(\.value))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .int(let int): try container.encode(int)
        case .double(let double): try container.encode(double)
        case .string(let string): try container.encode(string)
        case .array(let array): try container.encode(array.map(CodableJSON.init))
        case .object(let object): try container.encode(object.mapValues(CodableJSON.init))
        }
    }
}
