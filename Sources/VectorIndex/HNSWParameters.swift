// A collection's HNSW parameters under the names and defaults Chroma uses (`hnsw:space`, `hnsw:M`, …).
// Defaults checked against chroma-core/chroma (rust/types: default_m 16, construction_ef 100, search_ef 100,
// resize_factor 1.2, batch_size 100, sync_threshold 1000, num_threads = available parallelism).

/// How one collection's HNSW index is built and searched.
public struct HNSWParameters: Sendable, Hashable, Codable {
    /// `hnsw:space`.
    public var space: DistanceSpace
    /// `hnsw:M`: neighbours per node (twice that on layer 0).
    public var m: Int
    /// `hnsw:construction_ef`: candidate list size while inserting.
    public var constructionEF: Int
    /// `hnsw:search_ef`: candidate list size while searching (raised to k when smaller).
    public var searchEF: Int
    /// `hnsw:num_threads`: threads used for batch inserts.
    public var numThreads: Int
    /// `hnsw:resize_factor`: capacity growth factor when the index is full.
    public var resizeFactor: Double
    /// `hnsw:batch_size`: vectors buffered in memory before they are added to the index.
    public var batchSize: Int
    /// `hnsw:sync_threshold`: vectors added before the index is persisted.
    public var syncThreshold: Int

    /// The metadata keys, exactly as Chroma spells them.
    public enum Key {
        public static let space = "hnsw:space"
        public static let m = "hnsw:M"
        public static let constructionEF = "hnsw:construction_ef"
        public static let searchEF = "hnsw:search_ef"
        public static let numThreads = "hnsw:num_threads"
        public static let resizeFactor = "hnsw:resize_factor"
        public static let batchSize = "hnsw:batch_size"
        public static let syncThreshold = "hnsw:sync_threshold"
        public static let all = [
            space, m, constructionEF, searchEF, numThreads, resizeFactor, batchSize, syncThreshold,
        ]
    }

    /// Upper bounds that keep a bad parameter from exhausting memory.
    public enum Limits {
        public static let maxM = 2048
        public static let maxEF = 1_000_000
        public static let maxThreads = 1024
        public static let maxResizeFactor = 16.0
    }

    public init(
        space: DistanceSpace = .l2, m: Int = 16, constructionEF: Int = 100, searchEF: Int = 100,
        numThreads: Int = HNSWParameters.defaultThreads, resizeFactor: Double = 1.2, batchSize: Int = 100,
        syncThreshold: Int = 1000
    ) {
        self.space = space
        self.m = m
        self.constructionEF = constructionEF
        self.searchEF = searchEF
        self.numThreads = numThreads
        self.resizeFactor = resizeFactor
        self.batchSize = batchSize
        self.syncThreshold = syncThreshold
    }

    /// Chroma's default for `hnsw:num_threads`: the machine's available parallelism.
    public static var defaultThreads: Int { max(1, ProcessInfoCores.active) }

    /// Parameters from collection metadata. Unknown `hnsw:` keys, wrong types and out-of-range values are
    /// errors naming the key; keys without the `hnsw:` prefix are ignored.
    public init(metadata: [String: HNSWMetadataValue]) throws(VectorIndexError) {
        self.init()
        for (key, value) in metadata where key.hasPrefix("hnsw:") {
            switch key {
            case Key.space:
                guard case .string(let name) = value, let space = DistanceSpace(rawValue: name) else {
                    throw VectorIndexError(.invalidArgument, "\(key) must be one of l2, ip, cosine; got \(value)")
                }
                self.space = space
            case Key.m: m = try Self.integer(value, key: key, in: 2...Limits.maxM)
            case Key.constructionEF: constructionEF = try Self.integer(value, key: key, in: 1...Limits.maxEF)
            case Key.searchEF: searchEF = try Self.integer(value, key: key, in: 1...Limits.maxEF)
            case Key.numThreads: numThreads = try Self.integer(value, key: key, in: 1...Limits.maxThreads)
            case Key.batchSize: batchSize = try Self.integer(value, key: key, in: 2...Int(Int32.max))
            case Key.syncThreshold: syncThreshold = try Self.integer(value, key: key, in: 2...Int(Int32.max))
            case Key.resizeFactor:
                let factor: Double
                switch value {
                case .double(let d): factor = d
                case .int(let i): factor = Double(i)
                default: throw VectorIndexError(.invalidArgument, "\(key) must be a number; got \(value)")
                }
                guard factor > 1, factor <= Limits.maxResizeFactor else {
                    throw VectorIndexError(
                        .invalidArgument, "\(key) must be in (1, \(Limits.maxResizeFactor)]; got \(factor)")
                }
                resizeFactor = factor
            default:
                throw VectorIndexError(.invalidArgument, "unknown HNSW parameter \(key)")
            }
        }
    }

    /// The parameters as Chroma metadata.
    public var metadata: [String: HNSWMetadataValue] {
        [
            Key.space: .string(space.rawValue), Key.m: .int(m), Key.constructionEF: .int(constructionEF),
            Key.searchEF: .int(searchEF), Key.numThreads: .int(numThreads), Key.resizeFactor: .double(resizeFactor),
            Key.batchSize: .int(batchSize), Key.syncThreshold: .int(syncThreshold),
        ]
    }

    private static func integer(_ value: HNSWMetadataValue, key: String, in range: ClosedRange<Int>)
        throws(VectorIndexError) -> Int
    {
        guard case .int(let number) = value else {
            throw VectorIndexError(.invalidArgument, "\(key) must be an integer; got \(value)")
        }
        guard range.contains(number) else {
            throw VectorIndexError(.invalidArgument, "\(key) must be in \(range); got \(number)")
        }
        return number
    }
}

/// A collection metadata value, as far as HNSW parameters need one.
public enum HNSWMetadataValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)

    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        }
    }
}
