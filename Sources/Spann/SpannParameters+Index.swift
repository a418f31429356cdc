// How the index uses its parameters (VectorIndex's SpannParameters, which a collection's configuration names): the
// centroid graph's HNSW parameters, the space the kernels compare in, and vectors as stored.
import VectorIndex

extension SpannParameters {
    /// `validate()` as the index's own error (`invalidArgument` naming the parameter).
    func checked() throws(SpannError) {
        do {
            try validate()
        } catch {
            throw SpannError(.invalidArgument, error.message)
        }
    }

    /// The centroid graph's HNSW parameters.
    var headParameters: HNSWParameters {
        HNSWParameters(
            space: space, m: maxNeighbors, constructionEF: efConstruction, searchEF: efSearch, numThreads: 1)
    }

    /// The space the distance kernels compare in: cosine vectors are stored at unit length, so 1 − dot is their
    /// cosine distance.
    var kernelSpace: DistanceSpace { space == .cosine ? .ip : space }

    /// `vector` as the index stores and compares it (unit length for cosine): vectors, queries and centroids alike.
    func stored(_ vector: [Float]) -> [Float] { space == .cosine ? DistanceKernels.normalized(vector) : vector }
}
