// Chroma's `schema` of a collection: which value types get which index by default (`defaults`) and per key (`keys`:
// `#embedding`'s vector index, `#document`'s full-text index). Cairn answers with the schema Chroma derives from
// the same configuration; a schema the client gives is checked for indexes Cairn cannot honour, kept, and laid
// over the derived one.
import CairnJSON
import VectorIndex

extension CollectionConfiguration {
    /// The schema as Chroma's collection model carries it.
    public var schema: JSONValue {
        var derived = defaultSchema
        if let givenSchema { derived = Self.overlay(.object(givenSchema), on: derived) }
        return derived
    }

    /// What Chroma 1.5 reports for a collection created with this configuration and no schema.
    var defaultSchema: JSONValue {
        let hnswConfig: JSONValue = .object([
            "ef_construction": .int(Int64(hnsw.constructionEF)), "max_neighbors": .int(Int64(hnsw.m)),
            "ef_search": .int(Int64(hnsw.searchEF)), "num_threads": .int(Int64(hnsw.numThreads)),
            "batch_size": .int(Int64(hnsw.batchSize)), "sync_threshold": .int(Int64(hnsw.syncThreshold)),
            "resize_factor": .double(hnsw.resizeFactor),
        ])
        var vectorConfig: [String: JSONValue] = ["space": .string(hnsw.space.rawValue), "hnsw": hnswConfig]
        if let embeddingFunction { vectorConfig["embedding_function"] = .object(embeddingFunction) }
        var embeddingConfig = vectorConfig
        embeddingConfig["source_key"] = .string("#document")
        func index(_ enabled: Bool, _ config: [String: JSONValue] = [:]) -> JSONValue {
            .object(["enabled": .bool(enabled), "config": .object(config)])
        }
        return .object([
            "defaults": .object([
                "string": .object(["fts_index": index(false), "string_inverted_index": index(true)]),
                "float_list": .object(["vector_index": index(false, vectorConfig)]),
                "sparse_vector": .object([
                    "sparse_vector_index": index(
                        false, ["embedding_function": .object(["type": .string("unknown")]), "bm25": .bool(false)])
                ]),
                "int": .object(["int_inverted_index": index(true)]),
                "float": .object(["float_inverted_index": index(true)]),
                "bool": .object(["bool_inverted_index": index(true)]),
            ]),
            "keys": .object([
                "#embedding": .object(["float_list": .object(["vector_index": index(true, embeddingConfig)])]),
                "#document": .object([
                    "string": .object(["fts_index": index(true), "string_inverted_index": index(false)])
                ]),
            ]),
        ])
    }

    /// Checks a schema a client gives: Chroma's shape (`defaults` and `keys`, each value type a map of indexes
    /// with `enabled`), and only indexes Cairn can honour enabled: inverted indexes on metadata (Cairn indexes
    /// every metadata key anyway), the vector index on `#embedding`, full text on `#document`. Sparse vectors and
    /// full text on other keys are refused, naming the key.
    public static func validate(schema: [String: JSONValue]) throws(ValidationError) {
        for (section, value) in schema {
            guard section == "defaults" || section == "keys" else {
                throw malformed("schema.\(section)", unknownField(section, expected: ["defaults", "keys"]))
            }
            if value == .null { continue }
            let entries = try object(value, at: "schema.\(section)")
            let byKey: [(String, [String: JSONValue])]
            if section == "defaults" {
                byKey = [("defaults", entries)]
            } else {
                byKey = try entries.map { key, types throws(ValidationError) in
                    (key, try object(types, at: "schema.keys.\(key)"))
                }
            }
            for (key, types) in byKey {
                for (valueType, indexes) in types where indexes != .null {
                    for (indexName, index) in try object(indexes, at: "schema.\(section).\(key).\(valueType)") {
                        guard case .object(let fields) = index, fields["enabled"] == .bool(true) else { continue }
                        try checkHonoured(indexName, key: section == "defaults" ? nil : key)
                    }
                }
            }
        }
    }

    private static func checkHonoured(_ index: String, key: String?) throws(ValidationError) {
        switch index {
        case "string_inverted_index", "int_inverted_index", "float_inverted_index", "bool_inverted_index":
            return
        case "vector_index" where key == nil || key == "#embedding":
            return
        case "fts_index" where key == "#document":
            return
        case "sparse_vector_index":
            throw ValidationError(
                .invalidMetadataValue,
                "Sparse vector indexes are not supported by Cairn yet (schema key \(key ?? "defaults"))")
        case "fts_index":
            throw ValidationError(
                .invalidMetadataValue,
                "Full-text indexes are supported on #document only, not on \(key.map { "'\($0)'" } ?? "every string key")"
            )
        case "vector_index":
            throw ValidationError(
                .invalidMetadataValue, "Vector indexes are supported on #embedding only, not on '\(key ?? "")'")
        default:
            throw ValidationError(.invalidMetadataValue, "Unknown index type '\(index)' in the schema")
        }
    }

    /// `top` laid over `base`: objects merge member by member, anything else in `top` replaces.
    static func overlay(_ top: JSONValue, on base: JSONValue) -> JSONValue {
        guard case .object(let topMembers) = top, case .object(var merged) = base else { return top }
        for (key, value) in topMembers {
            if value == .null { continue }
            merged[key] = merged[key].map { overlay(value, on: $0) } ?? value
        }
        return .object(merged)
    }
}

extension CollectionConfiguration {
    /// The configuration a schema implies (Chroma takes the vector index's settings from it): the `#embedding`
    /// vector index's `space`, `hnsw` parameters and embedding function (or the float-list defaults'), laid under
    /// `configuration`, whose members win.
    public static func configuration(
        _ configuration: [String: JSONValue]?, withSchema schema: [String: JSONValue]
    ) -> [String: JSONValue] {
        var merged = configuration ?? [:]
        let embedding = JSONValue.object(schema)["keys"]?["#embedding"]?["float_list"]?["vector_index"]?["config"]
        let defaults = JSONValue.object(schema)["defaults"]?["float_list"]?["vector_index"]?["config"]
        guard case .object(let vector)? = embedding ?? defaults else { return merged }
        var hnsw: [String: JSONValue] = [:]
        if case .object(let parameters)? = vector["hnsw"] { hnsw = parameters }
        if let space = vector["space"], space != .null { hnsw["space"] = space }
        if case .object(let explicit)? = merged["hnsw"] { hnsw.merge(explicit) { _, given in given } }
        if !hnsw.isEmpty, merged["spann"] == nil || merged["spann"] == .null { merged["hnsw"] = .object(hnsw) }
        if merged["embedding_function"] == nil || merged["embedding_function"] == .null,
            let function = vector["embedding_function"], function != .null
        {
            merged["embedding_function"] = function
        }
        return merged
    }
}
