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
        var vectorConfig: [String: JSONValue] = ["space": .string(hnsw.space.rawValue)]
        // A SPANN collection's vector index is spann (Chroma's client reads which from here to allow `modify`).
        if let spann {
            var members = Self.spannMembers(spann, includingInternal: false)
            members["space"] = nil  // the schema says it beside the index (Chroma's SpannIndexConfig has no `space`)
            vectorConfig["spann"] = .object(members)
        } else {
            vectorConfig["hnsw"] = hnswConfig
        }
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
    /// every metadata key anyway), the vector index on `#embedding`, full text on `#document`, a sparse vector
    /// index on one metadata key (as Chroma: one key at most, never in `defaults`). Full text on other keys is
    /// refused, naming the key.
    public static func validate(schema: [String: JSONValue]) throws(ValidationError) {
        var sparseKeys: [String] = []
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
                        if indexName == "sparse_vector_index" {
                            sparseKeys.append(key)
                            try checkSparseConfig(fields["config"], key: key)
                        }
                    }
                }
            }
        }
        if sparseKeys.count > 1 {
            throw ValidationError(
                .invalidMetadataValue,
                "Only one sparse vector index is allowed per collection, got \(sparseKeys.sorted().joined(separator: ", "))"
            )
        }
    }

    /// A sparse vector index's config: Chroma's fields only (`deny_unknown_fields`), of their types.
    private static func checkSparseConfig(_ config: JSONValue?, key: String) throws(ValidationError) {
        guard let config, config != .null else { return }
        guard case .object(let fields) = config else {
            throw malformed("schema.keys.\(key).sparse_vector.sparse_vector_index.config", "expected an object")
        }
        let at = "schema.keys.\(key).sparse_vector.sparse_vector_index.config"
        for (field, value) in fields where value != .null {
            switch (field, value) {
            case ("bm25", .bool), ("source_key", .string), ("embedding_function", .object), ("algorithm", .string):
                continue
            case ("bm25", _), ("source_key", _), ("embedding_function", _), ("algorithm", _):
                throw malformed("\(at).\(field)", "invalid type \(value.pythonTypeName)")
            default:
                throw malformed(
                    at, unknownField(field, expected: ["embedding_function", "source_key", "bm25", "algorithm"]))
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
        case "sparse_vector_index" where key != nil && !(key?.hasPrefix("#") ?? true):
            return
        case "sparse_vector_index":
            throw ValidationError(
                .invalidMetadataValue,
                key == nil
                    ? "Sparse vector index cannot be enabled in defaults; enable it on one metadata key"
                    : "Sparse vector index cannot be enabled on the special key '\(key ?? "")'")
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
        let given = { (name: String) in merged[name] != nil && merged[name] != .null }
        // A schema whose vector index is spann makes a SPANN collection, unless the configuration names an index.
        if case .object(var spann)? = vector["spann"], !given("hnsw"), !given("spann") {
            if let space = vector["space"], space != .null, spann["space"] == nil { spann["space"] = space }
            merged["spann"] = .object(spann)
        }
        if case .object(let explicit)? = merged["hnsw"] { hnsw.merge(explicit) { _, given in given } }
        if !hnsw.isEmpty, !given("spann") { merged["hnsw"] = .object(hnsw) }
        if merged["embedding_function"] == nil || merged["embedding_function"] == .null,
            let function = vector["embedding_function"], function != .null
        {
            merged["embedding_function"] = function
        }
        return merged
    }
}

/// The collection's sparse vector index, from its schema: the metadata key it ranks, whether `$knn` on it applies
/// BM25's IDF at query time, and where its vectors come from when a write does not give them.
public struct SparseIndexConfiguration: Sendable, Equatable {
    public var key: String
    public var bm25: Bool
    /// `#document` or a string metadata key the embedding function reads.
    public var sourceKey: String?
    /// The embedding function as the schema names it (`{"type", "name", "config"}`).
    public var embeddingFunction: [String: JSONValue]?
}

extension CollectionConfiguration {
    /// The enabled sparse vector index, if the schema has one (`bm25` falls back to the defaults' flag).
    public var sparseIndex: SparseIndexConfiguration? {
        guard let givenSchema, case .object(let keys)? = givenSchema["keys"] else { return nil }
        for (key, types) in keys.sorted(by: { $0.key < $1.key }) {
            guard case .object(let index)? = types["sparse_vector"]?["sparse_vector_index"],
                index["enabled"] == .bool(true)
            else { continue }
            let config = index["config"]
            var bm25 = false
            if case .bool(let flag)? = config?["bm25"] {
                bm25 = flag
            } else if case .bool(let flag)? = givenSchema["defaults"]?["sparse_vector"]?["sparse_vector_index"]?[
                "config"]?["bm25"]
            {
                bm25 = flag
            }
            var sourceKey: String?
            if case .string(let source)? = config?["source_key"] { sourceKey = source }
            var function: [String: JSONValue]?
            if case .object(let members)? = config?["embedding_function"] { function = members }
            return SparseIndexConfiguration(key: key, bm25: bm25, sourceKey: sourceKey, embeddingFunction: function)
        }
        return nil
    }
}

extension CollectionConfiguration {
    /// Whether the schema leaves on the inverted index of `valueType` (`string`, `int`, `float`, `bool`) for `key`:
    /// the key's own setting, else the defaults', else on.
    public func invertedIndexEnabled(key: String, valueType: String) -> Bool {
        let index = "\(valueType)_inverted_index"
        let schema = JSONValue.object(givenSchema ?? [:])
        if case .bool(let enabled)? = schema["keys"]?[key]?[valueType]?[index]?["enabled"] { return enabled }
        if case .bool(let enabled)? = schema["defaults"]?[valueType]?[index]?["enabled"] { return enabled }
        return true
    }

    /// Whether full-text search on `#document` is on (Chroma's `fts_index`; on unless the schema turns it off).
    public var fullTextEnabled: Bool {
        let schema = JSONValue.object(givenSchema ?? [:])
        if case .bool(let enabled)? = schema["keys"]?["#document"]?["string"]?["fts_index"]?["enabled"] {
            return enabled
        }
        return true
    }

    /// Refuses filters on an index the schema turned off, with Chroma's messages: a metadata condition on a key
    /// whose inverted index for the operand's type is disabled, a document condition when full text is.
    public func checkFilterable(where filter: Where?, whereDocument: WhereDocument?) throws(ValidationError) {
        if whereDocument != nil, !fullTextEnabled { throw Self.fullTextDisabled }
        guard let filter, givenSchema != nil else { return }
        try checkFilterable(filter)
    }

    private static let fullTextDisabled = ValidationError(
        .invalidWhere, "Cannot filter using full-text search because FTS indexing is disabled")

    private func checkFilterable(_ filter: Where) throws(ValidationError) {
        switch filter {
        case .and(let children), .or(let children):
            for child in children { try checkFilterable(child) }
        case .document:
            if !fullTextEnabled { throw Self.fullTextDisabled }
        case .field(let key, let condition):
            let operands: [MetadataValue]
            switch condition {
            case .eq(let value), .ne(let value), .gt(let value), .gte(let value), .lt(let value), .lte(let value),
                .contains(let value), .notContains(let value):
                operands = [value]
            case .in(let values), .nin(let values):
                operands = values
            }
            for operand in operands {
                let (valueType, name): (String, String)
                switch operand {
                case .string: (valueType, name) = ("string", "Str")
                case .int: (valueType, name) = ("int", "Int")
                case .float: (valueType, name) = ("float", "Float")
                case .bool: (valueType, name) = ("bool", "Bool")
                default: continue
                }
                guard invertedIndexEnabled(key: key, valueType: valueType) else {
                    throw ValidationError(
                        .invalidWhere,
                        "Cannot filter using metadata key '\(key)' with type '\(name)' because indexing is disabled",
                        key: key)
                }
            }
        }
    }
}
