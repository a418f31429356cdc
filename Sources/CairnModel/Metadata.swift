// A record's metadata (key → value), its canonical JSON text (sorted keys, so equal metadata encodes to equal bytes),
// the update form in which JSON null deletes a key, and Chroma's validation rules for both.
import CairnJSON

/// The metadata of one record. Chroma keeps no order between keys; neither does Cairn.
public typealias Metadata = [String: MetadataValue]

/// A metadata update: a value sets the key, `nil` (JSON null) deletes it, keys not named are kept.
public typealias MetadataUpdate = [String: MetadataValue?]

/// Chroma's reserved metadata key (it stores the document under it internally).
public let reservedDocumentMetadataKey = "chroma:document"
/// Where a record's URI is kept in its metadata (as Chroma keeps it); never shown as metadata.
public let reservedURIMetadataKey = "chroma:uri"

extension Dictionary where Key == String, Value == MetadataValue {
    /// Canonical compact JSON: keys sorted by code point, ints as ints, floats with '.' or an exponent.
    public var jsonText: String {
        var out = "{"
        for (i, key) in keys.sorted().enumerated() {
            if i > 0 { out += "," }
            JSONValue.writeString(key, to: &out)
            out += ":"
            self[key]?.json.write(to: &out)
        }
        out += "}"
        return out
    }

    /// Metadata from JSON text (a JSON object). Members whose value is null are dropped: Chroma accepts None in
    /// added metadata and stores nothing for it. Values are checked as `MetadataValue(json:key:)` does; keys are not
    /// validated here (stored metadata was validated when written); call `validateMetadata` for user input.
    public init(jsonText: String) throws(ValidationError) {
        try self.init(json: try parseJSONForValidation(jsonText))
    }

    /// Metadata from a parsed JSON object (see `init(jsonText:)`).
    public init(json: JSONValue) throws(ValidationError) {
        guard case .object(let members) = json else {
            throw ValidationError(
                .invalidMetadataValue,
                "Expected metadata to be a dict or None, got \(json.pythonTypeName) as metadata")
        }
        var metadata: Metadata = [:]
        metadata.reserveCapacity(members.count)
        for (key, value) in members where value != .null {
            metadata[key] = try MetadataValue(json: value, key: key)
        }
        self = metadata
    }

    /// The metadata after `update`: set keys take their new value, keys mapped to nil are removed.
    public func applying(_ update: MetadataUpdate) -> Metadata {
        var result = self
        for (key, value) in update {
            if let value { result[key] = value } else { result.removeValue(forKey: key) }
        }
        return result
    }
}

extension Dictionary where Key == String, Value == MetadataValue? {
    /// An update from a JSON object: null deletes the key, other values are validated as metadata values.
    public init(updateJSON json: JSONValue) throws(ValidationError) {
        guard case .object(let members) = json else {
            throw ValidationError(
                .invalidMetadataValue, "Expected metadata to be a dict or None, got \(json.pythonTypeName)")
        }
        var update: MetadataUpdate = [:]
        update.reserveCapacity(members.count)
        for (key, value) in members {
            update[key] = value == .null ? .some(nil) : .some(try MetadataValue(json: value, key: key))
        }
        self = update
    }

    /// An update from JSON text (see `init(updateJSON:)`).
    public init(updateJSONText text: String) throws(ValidationError) {
        try self.init(updateJSON: try parseJSONForValidation(text))
    }
}

func parseJSONForValidation(_ text: String) throws(ValidationError) -> JSONValue {
    do {
        return try JSONParser.parse(text)
    } catch {
        throw ValidationError(.invalidJSON, error.description)
    }
}

/// Chroma's checks on metadata given to add/upsert (and collection metadata): at least one key, no reserved key,
/// keys neither empty nor starting with '#' or '$', finite floats. Keys are checked in sorted order so the error is
/// deterministic when several keys are wrong.
public func validateMetadata(_ metadata: Metadata) throws(ValidationError) {
    if metadata.isEmpty {
        throw ValidationError(.emptyMetadata, "Expected metadata to be a non-empty dict, got 0 metadata attributes")
    }
    for key in metadata.keys.sorted() {
        if key == reservedDocumentMetadataKey {
            throw ValidationError(
                .invalidMetadataKey, "Expected metadata to not contain the reserved key \(reservedDocumentMetadataKey)",
                key: key)
        }
        try validateMetadataKey(key)
        if let value = metadata[key] { try validateFinite(value, key: key) }
    }
}

/// Chroma's checks on metadata given to update/upsert: at least one key, valid keys, finite floats.
public func validateMetadataUpdate(_ update: MetadataUpdate) throws(ValidationError) {
    if update.isEmpty {
        throw ValidationError(.emptyMetadata, "Expected metadata to be a non-empty dict, got {}")
    }
    for key in update.keys.sorted() {
        try validateMetadataKey(key)
        if let value = update[key], let value { try validateFinite(value, key: key) }
    }
}

/// The key rules records and collections share.
func validateMetadataKey(_ key: String) throws(ValidationError) {
    if key.isEmpty {
        throw ValidationError(.invalidMetadataKey, "Metadata key cannot be empty", key: key)
    }
    if key.hasPrefix("#") || key.hasPrefix("$") {
        throw ValidationError(.invalidMetadataKey, "Metadata key cannot start with '#' or '$': \(key)", key: key)
    }
}

/// NaN and infinities cannot be written as JSON (Chroma's server refuses them when parsing the request).
private func validateFinite(_ value: MetadataValue, key: String) throws(ValidationError) {
    switch value {
    case .float(let number) where !number.isFinite:
        throw MetadataValue.invalidValue(value.json.withNonFiniteRepr(number), key: key)
    case .floatArray(let numbers) where numbers.contains(where: { !$0.isFinite }):
        throw ValidationError(
            .invalidMetadataValue,
            "Expected metadata list value for key '\(key)' to contain only finite floats, got "
                + "[" + numbers.map(JSONValue.pythonFloat).joined(separator: ", ") + "]",
            key: key)
    default: return
    }
}

extension JSONValue {
    /// `.double` keeps non-finite numbers, so messages can print them as Python does (nan, inf).
    fileprivate func withNonFiniteRepr(_ number: Double) -> JSONValue { .double(number) }
}
