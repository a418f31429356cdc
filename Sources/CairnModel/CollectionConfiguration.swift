// A collection's configuration as Chroma spells it: `configuration.hnsw` (space, ef_construction, ef_search,
// max_neighbors, num_threads, batch_size, sync_threshold, resize_factor) or the older `hnsw:*` metadata keys, or a
// `spann` block, which makes the collection's vector index SPANN (decision 0029; Chroma's distributed engine does the
// same, its local server only takes the space), and the client's description of its embedding function, kept so that
// a later client rebuilds the same function. Also Chroma's `schema` of the collection (defaults/keys/indexes),
// derived from the configuration unless the client gave one.
import CairnJSON
import VectorIndex

public struct CollectionConfiguration: Sendable, Hashable {
    /// The HNSW parameters: the collection's index, or (for a SPANN collection) its log tail's, in its space.
    public var hnsw: HNSWParameters
    /// Set when the collection's vector index is SPANN (created with a `spann` configuration); its space is
    /// `hnsw.space` too.
    public var spann: SpannParameters?
    /// The embedding function as the client described it: `{"type": "known", "name": …, "config": …}`,
    /// `{"type": "legacy"}` or `{"type": "unknown"}`; nil when the collection has none.
    public var embeddingFunction: [String: JSONValue]?
    /// The schema the client gave at creation (Chroma's `Schema` JSON); nil: `schema` derives the default.
    public var givenSchema: [String: JSONValue]?

    public init(hnsw: HNSWParameters = HNSWParameters()) {
        self.hnsw = hnsw
    }

    /// Chroma's public spann parameters (its client's `SpannConfiguration`), in its order.
    static let spannKeys = [
        "search_nprobe", "write_nprobe", "space", "ef_construction", "ef_search", "max_neighbors",
        "reassign_neighbor_count", "split_threshold", "merge_threshold",
    ]
    /// Those its engine adds (`InternalSpannConfiguration`): accepted and stored too.
    static let spannInternalKeys = ["nreplica_count", "write_rng_factor", "write_rng_epsilon", "num_samples_kmeans"]
    /// Where Cairn keeps a given schema inside the stored configuration (never shown in `configuration_json`).
    static let schemaKey = "cairn_schema"

    /// The configuration a create call asks for: `hnsw:*` metadata keys first, then the configuration object's
    /// `hnsw` (or `spann`) members, which win. A body of the wrong shape is `malformedRequest` with Chroma's words;
    /// values out of range are `invalidMetadataValue` naming the key. `stored` reads the catalog's own form,
    /// which may carry keys of later formats: they are ignored, not refused.
    public init(metadata: Metadata?, configuration: [String: JSONValue]?, stored: Bool = false)
        throws(ValidationError)
    {
        var legacy: [String: HNSWMetadataValue] = [:]
        for (key, value) in metadata ?? [:] where key.hasPrefix("hnsw:") {
            switch value {
            case .string(let text): legacy[key] = .string(text)
            case .int(let number): legacy[key] = .int(Int(number))
            case .float(let number): legacy[key] = .double(number)
            default: throw ValidationError(.invalidMetadataValue, "\(key) must be a string or a number", key: key)
            }
        }
        // Other top-level members are ignored, as Chroma's server ignores them.
        let members = (configuration ?? [:]).filter { $0.value != .null }
        if members["hnsw"] != nil && members["spann"] != nil {
            throw ValidationError(.invalidMetadataValue, "Multiple vector index configurations provided")
        }
        if let spann = members["spann"] {
            let parameters = try Self.spannParameters(try Self.object(spann, at: "configuration.spann"))
            legacy[HNSWParameters.Key.space] = .string(parameters.space.rawValue)
            self.spann = parameters
        }
        if let hnsw = members["hnsw"] {
            for (name, value) in try Self.object(hnsw, at: "configuration.hnsw") where value != .null {
                guard let key = Self.configurationKeys[name] else {
                    throw Self.malformed(
                        "configuration.hnsw.\(name)", Self.unknownField(name, expected: Self.configurationOrder))
                }
                legacy[key] = try Self.hnswValue(value, at: "configuration.hnsw.\(name)")
            }
        }
        do {
            hnsw = try HNSWParameters(metadata: legacy)
        } catch {
            throw ValidationError(.invalidMetadataValue, error.message)
        }
        if let function = members["embedding_function"] {
            embeddingFunction = try Self.embeddingFunction(function)
        }
        if stored, case .object(let schema)? = members[Self.schemaKey] { givenSchema = schema }
    }

    /// Chroma 1.x configuration names → the `hnsw:*` keys HNSWParameters reads.
    static let configurationKeys: [String: String] = [
        "space": HNSWParameters.Key.space, "ef_construction": HNSWParameters.Key.constructionEF,
        "ef_search": HNSWParameters.Key.searchEF, "max_neighbors": HNSWParameters.Key.m,
        "num_threads": HNSWParameters.Key.numThreads, "batch_size": HNSWParameters.Key.batchSize,
        "sync_threshold": HNSWParameters.Key.syncThreshold, "resize_factor": HNSWParameters.Key.resizeFactor,
    ]
    /// The order Chroma lists them in its messages.
    static let configurationOrder = [
        "space", "ef_construction", "ef_search", "max_neighbors", "num_threads", "resize_factor", "sync_threshold",
        "batch_size",
    ]

    /// The configuration as stored in the catalog and manifests: every HNSW (or SPANN) parameter, the embedding
    /// function and a given schema.
    public var json: [String: JSONValue] {
        var stored: [String: JSONValue] = [
            "embedding_function": embeddingFunction.map { .object($0) } ?? .null
        ]
        if let spann {
            stored["spann"] = .object(Self.spannMembers(spann, includingInternal: true))
        } else {
            stored["hnsw"] = .object(hnswMembers(includingThreads: true))
        }
        if let givenSchema { stored[Self.schemaKey] = .object(givenSchema) }
        return stored
    }

    /// Chroma's `configuration_json` of the collection model: the HNSW parameters Chroma reports and `spann` null,
    /// or (a SPANN collection) `hnsw` null and the public spann parameters, as Chroma's distributed engine reports
    /// them; and the embedding function.
    public var chromaJSON: [String: JSONValue] {
        [
            "hnsw": spann == nil ? .object(hnswMembers(includingThreads: false)) : .null,
            "spann": spann.map { .object(Self.spannMembers($0, includingInternal: false)) } ?? .null,
            "embedding_function": embeddingFunction.map { .object($0) } ?? .null,
        ]
    }

    /// The spann parameters under Chroma's names (its public ones, or all it stores).
    static func spannMembers(_ spann: SpannParameters, includingInternal: Bool) -> [String: JSONValue] {
        var members: [String: JSONValue] = [
            "search_nprobe": .int(Int64(spann.searchNprobe)), "write_nprobe": .int(Int64(spann.writeNprobe)),
            "space": .string(spann.space.rawValue), "ef_construction": .int(Int64(spann.efConstruction)),
            "ef_search": .int(Int64(spann.efSearch)), "max_neighbors": .int(Int64(spann.maxNeighbors)),
            "reassign_neighbor_count": .int(Int64(spann.reassignNeighborCount)),
            "split_threshold": .int(Int64(spann.splitThreshold)), "merge_threshold": .int(Int64(spann.mergeThreshold)),
        ]
        if includingInternal {
            members["nreplica_count"] = .int(Int64(spann.nreplicaCount))
            members["write_rng_factor"] = .double(Double(spann.writeRngFactor))
            members["write_rng_epsilon"] = .double(Double(spann.writeRngEpsilon))
            members["num_samples_kmeans"] = .int(Int64(spann.numSamplesKmeans))
        }
        return members
    }

    /// The spann parameters a `configuration.spann` object names (Chroma's defaults for the rest), each checked for
    /// its type (`malformedRequest`, Chroma's words) and range (`invalidMetadataValue` naming it).
    static func spannParameters(_ fields: [String: JSONValue]) throws(ValidationError) -> SpannParameters {
        var parameters = SpannParameters()
        for (name, value) in fields where value != .null {
            let path = "configuration.spann.\(name)"
            switch name {
            case "space":
                guard case .string(let space) = try hnswValue(value, at: path),
                    let space = DistanceSpace(rawValue: space)
                else { throw malformed(path, "expected one of `l2`, `cosine`, `ip`") }
                parameters.space = space
            case "write_rng_factor", "write_rng_epsilon":
                let number: Double
                switch value {
                case .int(let integer): number = Double(integer)
                case .double(let double): number = double
                default: throw malformed(path, "invalid type: \(describe(value)), expected f32")
                }
                if name == "write_rng_factor" {
                    parameters.writeRngFactor = Float(number)
                } else {
                    parameters.writeRngEpsilon = Float(number)
                }
            case _ where spannKeys.contains(name) || spannInternalKeys.contains(name):
                guard case .int(let number) = try hnswValue(value, at: path) else {
                    throw malformed(path, "invalid type: \(describe(value)), expected usize")
                }
                switch name {
                case "search_nprobe": parameters.searchNprobe = number
                case "write_nprobe": parameters.writeNprobe = number
                case "ef_construction": parameters.efConstruction = number
                case "ef_search": parameters.efSearch = number
                case "max_neighbors": parameters.maxNeighbors = number
                case "reassign_neighbor_count": parameters.reassignNeighborCount = number
                case "split_threshold": parameters.splitThreshold = number
                case "merge_threshold": parameters.mergeThreshold = number
                case "nreplica_count": parameters.nreplicaCount = number
                default: parameters.numSamplesKmeans = number
                }
            default:
                throw malformed(path, unknownField(name, expected: spannKeys))
            }
        }
        // A split threshold given alone brings the merge threshold down with it (at most half of it), so that a
        // valid split threshold never fails for the default merge threshold.
        if fields["merge_threshold"] == nil || fields["merge_threshold"] == .null {
            parameters.mergeThreshold = min(parameters.mergeThreshold, parameters.splitThreshold / 2)
        }
        do {
            try parameters.validate()
        } catch {
            throw ValidationError(.invalidMetadataValue, "configuration.spann: \(error.message)")
        }
        return parameters
    }

    private func hnswMembers(includingThreads: Bool) -> [String: JSONValue] {
        var members: [String: JSONValue] = [
            "space": .string(hnsw.space.rawValue), "ef_construction": .int(Int64(hnsw.constructionEF)),
            "ef_search": .int(Int64(hnsw.searchEF)), "max_neighbors": .int(Int64(hnsw.m)),
            "sync_threshold": .int(Int64(hnsw.syncThreshold)), "resize_factor": .double(hnsw.resizeFactor),
        ]
        if includingThreads {
            members["num_threads"] = .int(Int64(hnsw.numThreads))
            members["batch_size"] = .int(Int64(hnsw.batchSize))
        }
        return members
    }

    // MARK: Parsing helpers

    static func malformed(_ path: String, _ detail: String) -> ValidationError {
        ValidationError(
            .malformedRequest, "Failed to deserialize the JSON body into the target type: \(path): \(detail)")
    }

    static func unknownField(_ name: String, expected: [String]) -> String {
        "unknown field `\(name)`, expected one of " + expected.map { "`\($0)`" }.joined(separator: ", ")
    }

    static func object(_ value: JSONValue, at path: String) throws(ValidationError) -> [String: JSONValue] {
        guard case .object(let members) = value else {
            throw malformed(path, "invalid type: \(describe(value)), expected a map")
        }
        return members
    }

    /// One HNSW (or spann) parameter at `path` (e.g. `configuration.hnsw.ef_search`), checked for the type Chroma's
    /// server deserialises it as: `space` one of three names, `resize_factor` a number, the rest unsigned integers.
    static func hnswValue(_ value: JSONValue, at path: String) throws(ValidationError) -> HNSWMetadataValue {
        let name = path.split(separator: ".").last.map(String.init) ?? path
        switch (name, value) {
        case ("space", .string(let space)) where DistanceSpace(rawValue: space) != nil:
            return .string(space)
        case ("space", _):
            let shown: String
            if case .string(let text) = value { shown = text } else { shown = value.jsonText }
            throw malformed(path, "unknown variant `\(shown)`, expected one of `l2`, `cosine`, `ip`")
        case ("resize_factor", .int(let number)): return .double(Double(number))
        case ("resize_factor", .double(let number)): return .double(number)
        case ("resize_factor", _): throw malformed(path, "invalid type: \(describe(value)), expected f64")
        case (_, .int(let number)) where number < 0:
            throw malformed(path, "invalid value: integer `\(number)`, expected usize")
        case (_, .int(let number)): return .int(Int(clamping: number))
        default: throw malformed(path, "invalid type: \(describe(value)), expected usize")
        }
    }

    /// `null`, or an object whose `type` is one of Chroma's three.
    static func embeddingFunction(_ value: JSONValue) throws(ValidationError) -> [String: JSONValue]? {
        if value == .null { return nil }
        let members = try object(value, at: "configuration.embedding_function")
        guard let type = members["type"] else {
            throw malformed("configuration.embedding_function", "missing field `type`")
        }
        guard case .string(let name) = type, ["legacy", "known", "unknown"].contains(name) else {
            let shown: String
            if case .string(let text) = type { shown = text } else { shown = type.jsonText }
            throw malformed(
                "configuration.embedding_function.type",
                "unknown variant `\(shown)`, expected one of `legacy`, `known`, `unknown`")
        }
        if name == "known" {
            guard case .string? = members["name"] else {
                throw malformed("configuration.embedding_function", "missing field `name`")
            }
        }
        return members
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return "boolean `\(flag)`"
        case .int(let number): return "integer `\(number)`"
        case .double(let number): return "floating point `\(number)`"
        case .string(let text): return "string \"\(text)\""
        case .array: return "sequence"
        case .object: return "map"
        }
    }
}

extension CollectionConfiguration {
    /// What `modify(configuration=…)` may change, as Chroma allows: HNSW search and build parameters that do not
    /// invalidate the index (not `space` or `ef_construction`), `spann` search parameters (kept by Chroma's local
    /// server and ignored on a single node, here too), and the embedding function.
    public struct Update: Sendable, Hashable {
        static let hnswKeys = [
            "ef_search", "max_neighbors", "num_threads", "resize_factor", "sync_threshold", "batch_size",
        ]
        static let spannKeys = ["search_nprobe", "ef_search"]

        var hnsw: [String: JSONValue] = [:]
        var spann: [String: JSONValue] = [:]
        var embeddingFunction: JSONValue?

        /// Checks the shape of Chroma's `new_configuration` (`malformedRequest` with Chroma's words otherwise).
        public init(json: [String: JSONValue]) throws(ValidationError) {
            for (key, value) in json where value != .null {
                switch key {
                case "hnsw":
                    for (name, member) in try C.object(value, at: "new_configuration.hnsw") where member != .null {
                        guard Self.hnswKeys.contains(name) else {
                            throw C.malformed(
                                "new_configuration.hnsw.\(name)", C.unknownField(name, expected: Self.hnswKeys))
                        }
                        _ = try C.hnswValue(member, at: "new_configuration.hnsw.\(name)")
                        hnsw[name] = member
                    }
                case "spann":
                    for (name, member) in try C.object(value, at: "new_configuration.spann") where member != .null {
                        guard Self.spannKeys.contains(name) else {
                            throw C.malformed(
                                "new_configuration.spann.\(name)", C.unknownField(name, expected: Self.spannKeys))
                        }
                        _ = try C.hnswValue(member, at: "new_configuration.spann.\(name)")
                        spann[name] = member
                    }
                case "embedding_function":
                    _ = try C.embeddingFunction(value)
                    embeddingFunction = value
                default:
                    throw C.malformed(
                        "new_configuration.\(key)",
                        C.unknownField(key, expected: ["hnsw", "spann", "embedding_function"]))
                }
            }
        }

        /// The stored configuration with this update applied (values checked as at creation). A SPANN collection
        /// takes spann search parameters and refuses HNSW ones; an HNSW collection ignores spann ones, as Chroma's
        /// local server does.
        public func applied(to stored: [String: JSONValue]) throws(ValidationError) -> [String: JSONValue] {
            var current = try CollectionConfiguration(metadata: nil, configuration: stored, stored: true)
            var members = current.json
            if current.spann != nil, !hnsw.isEmpty {
                throw ValidationError(
                    .invalidMetadataValue, "the collection's vector index is spann: hnsw parameters do not apply")
            }
            for (section, changes) in [("hnsw", hnsw), ("spann", spann)] {
                guard case .object(var parameters)? = members[section] else { continue }
                for (name, value) in changes { parameters[name] = value }
                members[section] = .object(parameters)
            }
            let updated = try CollectionConfiguration(metadata: nil, configuration: members, stored: true)
            current.hnsw = updated.hnsw
            current.spann = updated.spann
            if let embeddingFunction { current.embeddingFunction = try C.embeddingFunction(embeddingFunction) }
            return current.json
        }

        private typealias C = CollectionConfiguration
    }
}
