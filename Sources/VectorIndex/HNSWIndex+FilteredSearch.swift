// Filtered k-NN over an HNSW index: the planner's choice between exact brute force over the allowed
// vectors (Swift SIMD kernels over the index's own storage) and a filtered graph walk (in the C++ shim).
import CHNSW

/// The answer to a filtered query and how it was computed.
public struct FilteredSearchResult: Sendable, Hashable {
    public var neighbors: [Neighbor]
    public var plan: SearchPlan
}

extension HNSWIndex {
    /// The `k` nearest neighbours of `query` among `allowed`, nearest first. Deleted ids never appear.
    public func search(
        _ query: [Float], k: Int, allowed: AllowedSet, ef: Int? = nil,
        planner: FilteredSearchPlanner = .default
    ) throws(VectorIndexError) -> FilteredSearchResult {
        try checkQuery(query, k: k)
        let baseEF = ef ?? parameters.searchEF
        return try lock.withReadLock { () throws(VectorIndexError) in
            let live = cairn_hnsw_count(native) - cairn_hnsw_deleted_count(native)
            // No more neighbours than allowed ids can be found: the result buffers are sized by what can.
            let k = min(k, allowed.count)
            guard k > 0 else { return FilteredSearchResult(neighbors: [], plan: .bruteForce) }
            let plan = planner.plan(
                allowed: allowed.count, span: allowed.span, total: live, k: k, baseEF: baseEF)
            switch plan {
            case .bruteForce, .graphFellBackToBruteForce:
                return FilteredSearchResult(
                    neighbors: bruteForceStored(query, k: k, allowed: allowed), plan: .bruteForce)
            case .filteredGraph(let width):
                let budget = planner.budget(allowed: allowed.count, span: allowed.span, ef: width)
                let walk = try graphSearch(
                    query, k: k, ef: width, bitset: allowed.bitset(), seeds: allowed.sample(planner.seedCount),
                    budget: budget,
                    minLocalFraction: planner.mismatchFraction * Double(allowed.count) / Double(max(live, 1)))
                if walk.exhausted {
                    return FilteredSearchResult(
                        neighbors: bruteForceStored(query, k: k, allowed: allowed),
                        plan: .graphFellBackToBruteForce(ef: width))
                }
                return FilteredSearchResult(neighbors: walk.neighbors, plan: plan)
            }
        }
    }

    /// Exact search over the stored vectors of `allowed` (call under the read lock).
    func bruteForceStored(_ query: [Float], k: Int, allowed: AllowedSet) -> [Neighbor] {
        let internalIDs = Self.lookup(native, allowed.ids)
        guard let base = cairn_hnsw_vectors_base(native) else { return [] }
        let stride = cairn_hnsw_vectors_stride(native)
        let space = parameters.space
        let dimension = self.dimension
        // Stored cosine vectors are unit length: compare with the normalised query by inner product.
        let q = space == .cosine ? DistanceKernels.normalized(query) : query
        var top = TopK(k: k)
        q.withUnsafeBufferPointer { qBuffer in
            guard let qp = qBuffer.baseAddress else { return }
            let raw = UnsafeRawPointer(base)
            let bytes = dimension * MemoryLayout<Float>.stride
            let ahead = 4
            // Prefetch the vectors `ahead` positions on (every cache line of each) while this one is computed.
            for position in 0..<min(ahead, internalIDs.count) where internalIDs[position] != UInt32.max {
                Self.prefetch(raw + Int(internalIDs[position]) * stride, bytes: bytes)
            }
            for (position, id) in internalIDs.enumerated() where id != UInt32.max {
                let next = position + ahead
                if next < internalIDs.count, internalIDs[next] != UInt32.max {
                    Self.prefetch(raw + Int(internalIDs[next]) * stride, bytes: bytes)
                }
                let vector = (raw + Int(id) * stride).assumingMemoryBound(to: Float.self)
                let d: Float
                switch space {
                case .l2: d = DistanceKernels.l2Squared(qp, vector, dimension: dimension)
                case .ip, .cosine: d = 1 - DistanceKernels.dot(qp, vector, dimension: dimension)
                }
                if d < top.threshold { top.insert(allowed.ids[position], d) }
            }
        }
        return top.sorted()
    }

    /// Asks the CPU to load every cache line of the `bytes` bytes at `start` (a vector computed soon).
    @inlinable @inline(__always) package static func prefetch(_ start: UnsafeRawPointer, bytes: Int) {
        for line in Swift.stride(from: 0, to: bytes, by: 64) { cairn_hnsw_prefetch(start + line) }
    }
}
