// How log records' metadata becomes stored metadata: Chroma's update merge (null removes a key) and the canonical
// form records keep (sorted keys, no nulls, nil when empty). Shared by reads of the log tail and by compaction.

public enum MetadataMerging {
    /// Chroma's update: keys with a value are set, keys with null removed; no keys left means no metadata.
    @Sendable public static func merge(_ existing: String?, _ update: String) throws -> String? {
        let base = try existing.map { try Metadata(jsonText: $0) } ?? [:]
        let merged = base.applying(try MetadataUpdate(updateJSONText: update))
        return merged.isEmpty ? nil : merged.jsonText
    }

    /// Metadata as written by add/upsert, in stored form.
    @Sendable public static func normalize(_ written: String) throws -> String? {
        let metadata = try Metadata(jsonText: written)
        return metadata.isEmpty ? nil : metadata.jsonText
    }
}
