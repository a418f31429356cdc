// Exact k-nearest-neighbour search by scanning: for small allowed sets, the uncompacted log tail, and
// ground truth in tests and benchmarks.

public enum BruteForce {
    /// The `k` nearest of `vectors` (row-major, `ids.count` rows of `dimension` floats) to `query`.
    public static func search(
        query: [Float], vectors: [Float], ids: [OffsetID], dimension: Int, space: DistanceSpace, k: Int
    ) throws(VectorIndexError) -> [Neighbor] {
        guard dimension > 0, query.count == dimension else {
            throw VectorIndexError(.invalidArgument, "query has \(query.count) values, expected \(dimension)")
        }
        guard vectors.count == ids.count * dimension else {
            throw VectorIndexError(
                .invalidArgument, "\(vectors.count) values do not make \(ids.count) vectors of \(dimension)")
        }
        return try search(query: query, dimension: dimension, space: space, k: k) { row in
            vectors.withUnsafeBufferPointer { v in
                guard let vBase = v.baseAddress else { return }
                for index in ids.indices { row(ids[index], vBase + index * dimension) }
            }
        }
    }

    /// The `k` nearest to `query` of the rows `forEachRow` hands over, each an id and a pointer to `dimension`
    /// floats that stays valid during the call (rows read where they are stored, never copied).
    public static func search(
        query: [Float], dimension: Int, space: DistanceSpace, k: Int,
        forEachRow: ((OffsetID, UnsafePointer<Float>) -> Void) -> Void
    ) throws(VectorIndexError) -> [Neighbor] {
        guard dimension > 0, query.count == dimension else {
            throw VectorIndexError(.invalidArgument, "query has \(query.count) values, expected \(dimension)")
        }
        guard k > 0 else { return [] }
        var top = TopK(k: k)
        query.withUnsafeBufferPointer { q in
            guard let qBase = q.baseAddress else { return }
            forEachRow { id, row in
                let d = DistanceKernels.distance(space, qBase, row, dimension: dimension)
                if d < top.threshold { top.insert(id, d) }
            }
        }
        return top.sorted()
    }
}
