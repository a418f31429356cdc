// The vectors of a small collection held as one contiguous array and searched exactly (decision 0025): a version
// whose vector segment names no HNSW file keeps its vectors once, in its record segment, and a reader loads them
// into this. Below ~1,000 vectors a scan costs a few microseconds, less than a graph's construction at load.

public final class FlatVectors: ResidentIndex {
    public let dimension: Int
    public let space: DistanceSpace
    /// Offset ids, ascending; row `i` of `vectors` is `ids[i]`'s vector.
    public let ids: [OffsetID]
    /// Row-major, `ids.count` rows of `dimension` floats; unit length for `cosine` (as HNSW stores them).
    private let vectors: [Float]

    /// - Parameter rows: (offset id, vector) pairs in any order, each of `dimension` floats.
    public init(dimension: Int, space: DistanceSpace, rows: [(OffsetID, [Float])]) throws(VectorIndexError) {
        guard dimension > 0 else { throw VectorIndexError(.invalidArgument, "dimension \(dimension) is not positive") }
        let sorted = rows.sorted { $0.0 < $1.0 }
        var ids: [OffsetID] = []
        var vectors: [Float] = []
        ids.reserveCapacity(sorted.count)
        vectors.reserveCapacity(sorted.count * dimension)
        for (id, vector) in sorted {
            guard vector.count == dimension else {
                throw VectorIndexError(
                    .invalidArgument, "vector \(id) has \(vector.count) values, expected \(dimension)")
            }
            if let last = ids.last, last == id {
                throw VectorIndexError(.invalidArgument, "offset id \(id) appears twice")
            }
            ids.append(id)
            vectors += space == .cosine ? DistanceKernels.normalized(vector) : vector
        }
        self.dimension = dimension
        self.space = space
        self.ids = ids
        self.vectors = vectors
    }

    public var count: Int { ids.count }

    /// Bytes held (what a cache weighs it by).
    public var memoryBytes: Int {
        vectors.count * MemoryLayout<Float>.stride + ids.count * MemoryLayout<OffsetID>.stride
    }

    /// The `k` nearest rows to `query` among those `isCandidate` accepts (all when nil), nearest first, with the
    /// distances an HNSW index of the same space reports.
    public func search(_ query: [Float], k: Int, isCandidate: ((OffsetID) -> Bool)? = nil) throws(VectorIndexError)
        -> [Neighbor]
    {
        // Cosine: stored rows are unit length, so 1 − dot with the unit query is the index's cosine distance.
        let (q, kernel): ([Float], DistanceSpace) =
            space == .cosine ? (DistanceKernels.normalized(query), .ip) : (query, space)
        return try BruteForce.search(query: q, dimension: dimension, space: kernel, k: k) { row in
            vectors.withUnsafeBufferPointer { v in
                guard let base = v.baseAddress else { return }
                for index in ids.indices where isCandidate?(ids[index]) ?? true {
                    row(ids[index], base + index * dimension)
                }
            }
        }
    }
}
