// The Swift SIMD kernels agree with plain loops for every length, including tails shorter than a lane.
import Testing

@testable import VectorIndex

@Suite("DistanceKernels")
struct DistanceKernelsTests {
    @Test("SIMD kernels match scalar loops", arguments: [1, 3, 7, 8, 9, 15, 16, 17, 31, 64, 100, 128, 130])
    func matchesScalar(dimension: Int) {
        var rng = SeededGenerator(seed: UInt64(dimension))
        let a = (0..<dimension).map { _ in rng.gaussian() }
        let b = (0..<dimension).map { _ in rng.gaussian() }
        var l2: Float = 0
        var dot: Float = 0
        for i in 0..<dimension {
            l2 += (a[i] - b[i]) * (a[i] - b[i])
            dot += a[i] * b[i]
        }
        let cosine = 1 - dot / ((a.map { $0 * $0 }.reduce(0, +) * b.map { $0 * $0 }.reduce(0, +)).squareRoot())
        let tolerance: Float = 1e-4 * Float(dimension)
        #expect(abs(DistanceKernels.distance(.l2, a, b, dimension: dimension) - l2) <= tolerance)
        #expect(abs(DistanceKernels.distance(.ip, a, b, dimension: dimension) - (1 - dot)) <= tolerance)
        #expect(abs(DistanceKernels.distance(.cosine, a, b, dimension: dimension) - cosine) <= tolerance)
    }

    @Test("brute force returns the exact k nearest, ties by id")
    func bruteForceExact() throws {
        let vectors: [Float] = [0, 0, 1, 0, 0, 1, 1, 1, -1, 0]
        let result = try BruteForce.search(
            query: [0, 0], vectors: vectors, ids: [10, 11, 12, 13, 14], dimension: 2, space: .l2, k: 3)
        #expect(result.map(\.id) == [10, 11, 12])
        #expect(result.map(\.distance) == [0, 1, 1])
        #expect(throws: VectorIndexError.self) {
            try BruteForce.search(query: [0], vectors: vectors, ids: [1], dimension: 2, space: .l2, k: 1)
        }
    }
}
