// Deterministic vectors for the VectorIndex tests: a seeded generator and clustered Gaussian data.
import Foundation
import StorageTesting
import VectorIndex

/// The shared deterministic generator (SplitMix64, StorageTesting).
typealias SeededGenerator = SplitMix64

extension SplitMix64 {
    /// A standard normal sample (Box–Muller).
    mutating func gaussian() -> Float {
        let u1 = max(Double.leastNonzeroMagnitude, Double.random(in: 0..<1, using: &self))
        let u2 = Double.random(in: 0..<1, using: &self)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

/// `count` vectors of `dimension` around `clusters` centres (noise 0.3), row-major, plus each one's cluster.
struct Dataset {
    var dimension: Int
    var vectors: [Float]
    var cluster: [Int]
    var count: Int { cluster.count }

    init(count: Int, dimension: Int, clusters: Int = 10, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let centres = (0..<clusters * dimension).map { _ in rng.gaussian() }
        var vectors: [Float] = []
        vectors.reserveCapacity(count * dimension)
        var cluster: [Int] = []
        for _ in 0..<count {
            let c = Int.random(in: 0..<clusters, using: &rng)
            cluster.append(c)
            for j in 0..<dimension { vectors.append(centres[c * dimension + j] + 0.3 * rng.gaussian()) }
        }
        self.dimension = dimension
        self.vectors = vectors
        self.cluster = cluster
    }

    func vector(_ i: Int) -> [Float] { Array(vectors[i * dimension..<(i + 1) * dimension]) }

    var ids: [OffsetID] { (0..<count).map { OffsetID($0) } }

    /// Queries near the data: perturbed copies of some rows.
    func queries(_ n: Int, seed: UInt64) -> [[Float]] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in
            let row = Int.random(in: 0..<count, using: &rng)
            return vector(row).map { $0 + 0.2 * rng.gaussian() }
        }
    }

    /// Exact top-k among `allowed` (all when nil), skipping `excluded`.
    func exact(_ query: [Float], k: Int, space: DistanceSpace, allowed: [OffsetID]? = nil) throws -> [Neighbor] {
        let ids = allowed ?? self.ids
        var flat: [Float] = []
        flat.reserveCapacity(ids.count * dimension)
        for id in ids { flat.append(contentsOf: vector(Int(id))) }
        return try BruteForce.search(query: query, vectors: flat, ids: ids, dimension: dimension, space: space, k: k)
    }
}

/// |result ∩ truth| / |truth|.
func recall(_ result: [Neighbor], _ truth: [Neighbor]) -> Double {
    guard !truth.isEmpty else { return 1 }
    let expected = Set(truth.map(\.id))
    return Double(result.filter { expected.contains($0.id) }.count) / Double(expected.count)
}
