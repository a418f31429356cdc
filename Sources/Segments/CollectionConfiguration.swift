// A collection's index configuration as Chroma spells it: `configuration.hnsw` (space, ef_construction, ef_search,
// max_neighbors, num_threads, batch_size, sync_threshold, resize_factor) or the older `hnsw:*` metadata keys.
import CairnJSON
import VectorIndex

public struct CollectionConfiguration: Sendable, Hashable {
    public var hnsw: HNSWParameters

    public init(hnsw: HNSWParameters = HNSWParameters()) {
        self.hnsw = hnsw
    }

    /// The configuration a create call asks for: `hnsw:*` metadata keys first, then the configuration object's
    /// `hnsw` members (which win). Unknown keys and wrong types are errors naming the key.
    public init(metadata: Metadata?, configuration: [String: JSONValue]?) throws(ValidationError) {
        var legacy: [String: HNSWMetadataValue] = [:]
        for (key, value) in metadata ?? [:] where key.hasPrefix("hnsw:") {
            switch value {
            case .string(let text): legacy[key] = .string(text)
            case .int(let number): legacy[key] = .int(Int(number))
            case .float(let number): legacy[key] = .double(number)
            default: throw ValidationError(.invalidMetadataValue, "\(key) must be a string or a number", key: key)
            }
        }
        if let hnsw = configuration?["hnsw"] {
            guard case .object(let members) = hnsw else {
                throw ValidationError(.invalidMetadataValue, "configuration.hnsw must be an object", key: "hnsw")
            }
            for (name, value) in members {
                guard let key = Self.configurationKeys[name] else {
                    throw ValidationError(
                        .invalidMetadataValue, "unknown HNSW configuration key '\(name)'", key: "hnsw.\(name)")
                }
                switch value {
                case .null: continue
                case .string(let text): legacy[key] = .string(text)
                case .int(let number): legacy[key] = .int(Int(number))
                case .double(let number): legacy[key] = .double(number)
                default:
                    throw ValidationError(
                        .invalidMetadataValue, "configuration.hnsw.\(name) must be a string or a number",
                        key: "hnsw.\(name)")
                }
            }
        }
        do {
            hnsw = try HNSWParameters(metadata: legacy)
        } catch {
            throw ValidationError(.invalidMetadataValue, error.message)
        }
    }

    /// Chroma 1.x configuration names → the `hnsw:*` keys HNSWParameters reads.
    static let configurationKeys: [String: String] = [
        "space": HNSWParameters.Key.space, "ef_construction": HNSWParameters.Key.constructionEF,
        "ef_search": HNSWParameters.Key.searchEF, "max_neighbors": HNSWParameters.Key.m,
        "num_threads": HNSWParameters.Key.numThreads, "batch_size": HNSWParameters.Key.batchSize,
        "sync_threshold": HNSWParameters.Key.syncThreshold, "resize_factor": HNSWParameters.Key.resizeFactor,
    ]

    /// The configuration as stored in the catalog and manifests (Chroma's shape).
    public var json: [String: JSONValue] {
        [
            "hnsw": .object([
                "space": .string(hnsw.space.rawValue), "ef_construction": .int(Int64(hnsw.constructionEF)),
                "ef_search": .int(Int64(hnsw.searchEF)), "max_neighbors": .int(Int64(hnsw.m)),
                "num_threads": .int(Int64(hnsw.numThreads)), "batch_size": .int(Int64(hnsw.batchSize)),
                "sync_threshold": .int(Int64(hnsw.syncThreshold)), "resize_factor": .double(hnsw.resizeFactor),
            ])
        ]
    }
}
