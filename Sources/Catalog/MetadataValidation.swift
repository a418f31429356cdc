import CairnJSON
// Chroma's checks on collection metadata (validators.rs `validate_optional_metadata`): not empty, keys neither
// empty nor starting with '#' or '$', values scalars (or lists of scalars), with Chroma's messages where it has them.
import Foundation

public enum MetadataValidation {
    /// Checks collection metadata before it is stored.
    public static func validate(collectionMetadata metadata: [String: JSONValue]) throws(CatalogError) {
        guard !metadata.isEmpty else { throw CatalogError(.invalidArgument, "Metadata cannot be empty") }
        for key in metadata.keys.sorted() {
            guard !key.isEmpty else { throw CatalogError(.invalidArgument, "Metadata key cannot be empty") }
            guard !key.hasPrefix("#"), !key.hasPrefix("$") else {
                throw CatalogError(.invalidArgument, "Metadata key cannot start with '#' or '$': \(key)")
            }
            switch metadata[key, default: .null] {
            case .double(let value) where !value.isFinite:
                throw CatalogError(.invalidArgument, "Expected metadata value for key \(key) to be a finite number")
            case .string, .int, .double, .bool: continue
            case .array(let elements) where elements.allSatisfy(isScalar): continue
            default:
                throw CatalogError(
                    .invalidArgument,
                    "Expected metadata value for key \(key) to be a str, int, float, bool or a list of those")
            }
        }
    }

    private static func isScalar(_ value: JSONValue) -> Bool {
        switch value {
        case .double(let value): return value.isFinite
        case .string, .int, .bool: return true
        default: return false
        }
    }
}
