import CairnJSON

// Chroma's checks on collection metadata (validators.rs `validate_optional_metadata`): not empty, keys checked by the
// same rules as a record's metadata keys, values scalars (or lists of scalars), with Chroma's messages.

/// Checks collection metadata before it is stored: at least one key, keys neither empty nor starting with '#' or
/// '$', values finite scalars or lists of them. Keys are checked in sorted order, as for records.
public func validateCollectionMetadata(_ metadata: [String: JSONValue]) throws(ValidationError) {
    guard !metadata.isEmpty else { throw ValidationError(.emptyMetadata, "Metadata cannot be empty") }
    for key in metadata.keys.sorted() {
        try validateMetadataKey(key)
        switch metadata[key, default: .null] {
        case .double(let value) where !value.isFinite:
            throw ValidationError(
                .invalidMetadataValue, "Expected metadata value for key \(key) to be a finite number", key: key)
        case .string, .int, .double, .bool: continue
        case .array(let elements) where elements.allSatisfy(isFiniteScalar): continue
        default:
            throw ValidationError(
                .invalidMetadataValue,
                "Expected metadata value for key \(key) to be a str, int, float, bool or a list of those", key: key)
        }
    }
}

private func isFiniteScalar(_ value: JSONValue) -> Bool {
    switch value {
    case .double(let value): return value.isFinite
    case .string, .int, .bool: return true
    default: return false
    }
}
