// A vector segment holding a SPANN index (decision 0029): opened once per version through the HNSW provider's cache
// (its centroids, graph and versions weighed in the same budget), by readers and compaction alike.
import Blockfile
import ObjectStore
import Spann
import VectorIndex

extension SpannRoots {
    /// The cache key of the index version these roots name (root ids are unique; a fork's are qualified).
    public var cacheKey: String { "spann:\(space.rawValue):\(centroids):\(versions)" }
}

extension HnswIndexProvider {
    /// The SPANN index version `roots` names, from the cache or opened from `store` once however many tasks ask.
    public func spann(
        _ roots: SpannRoots, parameters: SpannParameters, store: any ObjectStore, location: BlockfileLocation,
        cache: BlockCache
    ) async throws -> SpannIndex {
        try await resident(roots.cacheKey) {
            try await SpannIndex.open(
                roots: roots, parameters: parameters, store: store, location: location, cache: cache)
        }
    }
}
