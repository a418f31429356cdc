// The parameters of a SPANN index, named and defaulted as Chroma's `spann` configuration (decision 0029), plus the
// few Cairn adds (block sizes, the clustering seed). Beside HNSWParameters: a collection's configuration names
// either; the Spann module builds the index.

public struct SpannParameters: Sendable, Hashable, Codable {
    /// Distance space of the vectors (`space`).
    public var space: DistanceSpace
    /// Postings a query reads (`search_nprobe`).
    public var searchNprobe: Int
    /// Nearest heads a written vector is considered for (`write_nprobe`).
    public var writeNprobe: Int
    /// Most postings one vector is written to (Chroma's `nreplica_count`).
    public var nreplicaCount: Int
    /// RNG rule of replication: a head is skipped when an already chosen head is nearer to it, scaled by this
    /// factor, than the vector is (Chroma's `write_rng_factor`).
    public var writeRngFactor: Float
    /// A head further than (1 + epsilon) × the nearest head's distance is not a replica (`write_rng_epsilon`).
    public var writeRngEpsilon: Float
    /// A posting with more live entries than this is split in two (`split_threshold`). Cairn's default is 200
    /// (Chroma's has been 50, 100 and 200 across its versions): at a million vectors, postings of ~125 entries
    /// reach recall 0.99 with a quarter of the probes, round trips and centroids that postings of ~30 need
    /// (decision 0029).
    public var splitThreshold: Int
    /// A rewritten posting with fewer live entries than this is merged away (`merge_threshold`; default half the
    /// default split threshold).
    public var mergeThreshold: Int
    /// Heads nearest to a split one whose postings are checked for vectors now nearer a new head
    /// (`reassign_neighbor_count`).
    public var reassignNeighborCount: Int
    /// Vectors sampled to compute a 2-means split (`num_samples_kmeans`).
    public var numSamplesKmeans: Int
    /// The centroid HNSW's construction width, search width and links (`ef_construction`, `ef_search`,
    /// `max_neighbors`).
    public var efConstruction: Int
    public var efSearch: Int
    public var maxNeighbors: Int
    /// Cairn's: seed of every random choice (sampling for k-means), so builds and updates are deterministic.
    public var seed: UInt64
    /// Cairn's: largest block of the posting blockfiles. Smaller than other blockfiles' 1 MiB so that a query's
    /// `nprobe` postings do not drag whole megabytes of unrelated postings from the store.
    public var postingBlockSize: Int

    public init(
        space: DistanceSpace = .l2, searchNprobe: Int = 64, writeNprobe: Int = 32, nreplicaCount: Int = 8,
        writeRngFactor: Float = 1.0, writeRngEpsilon: Float = 5.0, splitThreshold: Int = 200, mergeThreshold: Int = 100,
        reassignNeighborCount: Int = 64, numSamplesKmeans: Int = 1000, efConstruction: Int = 200,
        efSearch: Int = 200, maxNeighbors: Int = 64, seed: UInt64 = 0x5EED, postingBlockSize: Int = 64 << 10
    ) {
        self.space = space
        self.searchNprobe = searchNprobe
        self.writeNprobe = writeNprobe
        self.nreplicaCount = nreplicaCount
        self.writeRngFactor = writeRngFactor
        self.writeRngEpsilon = writeRngEpsilon
        self.splitThreshold = splitThreshold
        self.mergeThreshold = mergeThreshold
        self.reassignNeighborCount = reassignNeighborCount
        self.numSamplesKmeans = numSamplesKmeans
        self.efConstruction = efConstruction
        self.efSearch = efSearch
        self.maxNeighbors = maxNeighbors
        self.seed = seed
        self.postingBlockSize = postingBlockSize
    }

    /// Throws `invalidArgument` naming the first parameter out of range.
    public func validate() throws(VectorIndexError) {
        func check(_ ok: Bool, _ name: String, _ value: Any, _ range: String) throws(VectorIndexError) {
            guard ok else { throw VectorIndexError(.invalidArgument, "\(name) must be \(range); got \(value)") }
        }
        try check(searchNprobe >= 1 && searchNprobe <= 4096, "search_nprobe", searchNprobe, "1...4096")
        try check(writeNprobe >= 1 && writeNprobe <= 4096, "write_nprobe", writeNprobe, "1...4096")
        try check(nreplicaCount >= 1 && nreplicaCount <= 64, "nreplica_count", nreplicaCount, "1...64")
        try check(writeRngFactor > 0, "write_rng_factor", writeRngFactor, "positive")
        try check(writeRngEpsilon >= 0, "write_rng_epsilon", writeRngEpsilon, "at least 0")
        try check(splitThreshold >= 2 && splitThreshold <= 100_000, "split_threshold", splitThreshold, "2...100000")
        try check(
            mergeThreshold >= 0 && mergeThreshold < splitThreshold, "merge_threshold", mergeThreshold,
            "0...split_threshold-1")
        try check(
            reassignNeighborCount >= 0 && reassignNeighborCount <= 4096, "reassign_neighbor_count",
            reassignNeighborCount, "0...4096")
        try check(numSamplesKmeans >= 2, "num_samples_kmeans", numSamplesKmeans, "at least 2")
        try check(efConstruction >= 1, "ef_construction", efConstruction, "positive")
        try check(efSearch >= 1, "ef_search", efSearch, "positive")
        try check(maxNeighbors >= 2 && maxNeighbors <= 2048, "max_neighbors", maxNeighbors, "2...2048")
        try check(postingBlockSize >= 4096, "posting block size", postingBlockSize, "at least 4096")
    }
}
