// Size-bounded clustering for SPANN: 2-means on a sample (a posting's split), and hierarchical bisection with it (a
// build), which keeps every cluster at most a target size and lists clusters so that siblings are adjacent (nearby
// heads get nearby ids, so their postings share blocks).
import VectorIndex

/// SplitMix64: a small, seedable generator, so that builds and splits are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Clustering {
    /// Squared L2 between row `i` of `rows` and `point` (`dimension` floats each).
    @inline(__always)
    static func l2(_ rows: UnsafeBufferPointer<Float>, _ i: Int, _ point: UnsafePointer<Float>, _ dimension: Int)
        -> Float
    {
        DistanceKernels.l2Squared(rows.baseAddress! + i * dimension, point, dimension: dimension)
    }

    /// The mean of `members` rows of `rows`.
    static func mean(_ rows: UnsafeBufferPointer<Float>, _ members: [Int], _ dimension: Int) -> [Float] {
        var sum = [Double](repeating: 0, count: dimension)
        for m in members {
            let base = m * dimension
            for j in 0..<dimension { sum[j] += Double(rows[base + j]) }
        }
        let n = Double(max(members.count, 1))
        return sum.map { Float($0 / n) }
    }

    /// Splits `members` (indices of rows) in two by 2-means on at most `samples` of them (Lloyd's iterations from
    /// two far-apart seeds), then assigns every member to the nearer of the two centroids. Nil when the members
    /// cannot be told apart (all identical).
    static func twoMeans(
        _ rows: UnsafeBufferPointer<Float>, _ members: [Int], dimension: Int, samples: Int,
        generator: inout SeededGenerator
    ) -> (left: [Int], right: [Int])? {
        guard members.count >= 2 else { return nil }
        var sample = members
        if sample.count > samples {
            // A partial Fisher–Yates shuffle: the first `samples` positions are a uniform sample.
            for i in 0..<samples {
                let j = i + Int(generator.next() % UInt64(sample.count - i))
                sample.swapAt(i, j)
            }
            sample = Array(sample[..<samples])
        }
        // Seeds: a random sample member, then the member farthest from it, then the member farthest from that.
        let first = sample[Int(generator.next() % UInt64(sample.count))]
        func farthest(from row: Int) -> Int {
            var best = sample[0]
            var bestDistance: Float = -1
            let point = rows.baseAddress! + row * dimension
            for m in sample {
                let d = l2(rows, m, point, dimension)
                if d > bestDistance {
                    bestDistance = d
                    best = m
                }
            }
            return best
        }
        let a = farthest(from: first)
        let b = farthest(from: a)
        var c0 = Array(rows[(a * dimension)..<((a + 1) * dimension)])
        var c1 = Array(rows[(b * dimension)..<((b + 1) * dimension)])
        guard c0 != c1 else { return nil }
        for _ in 0..<8 {
            var left: [Int] = []
            var right: [Int] = []
            for m in sample {
                let d0 = c0.withUnsafeBufferPointer { l2(rows, m, $0.baseAddress!, dimension) }
                let d1 = c1.withUnsafeBufferPointer { l2(rows, m, $0.baseAddress!, dimension) }
                if d0 <= d1 { left.append(m) } else { right.append(m) }
            }
            guard !left.isEmpty, !right.isEmpty else { break }
            let n0 = mean(rows, left, dimension)
            let n1 = mean(rows, right, dimension)
            if n0 == c0 && n1 == c1 { break }
            c0 = n0
            c1 = n1
        }
        var left: [Int] = []
        var right: [Int] = []
        for m in members {
            let d0 = c0.withUnsafeBufferPointer { l2(rows, m, $0.baseAddress!, dimension) }
            let d1 = c1.withUnsafeBufferPointer { l2(rows, m, $0.baseAddress!, dimension) }
            if d0 < d1 || (d0 == d1 && left.count <= right.count) { left.append(m) } else { right.append(m) }
        }
        guard !left.isEmpty, !right.isEmpty else { return nil }
        return (left, right)
    }

    /// Bisects all rows until every cluster holds at most `target` (clusters of identical rows excepted), in
    /// depth-first order.
    static func bisect(
        _ rows: UnsafeBufferPointer<Float>, count: Int, dimension: Int, target: Int, samples: Int, seed: UInt64
    ) -> [[Int]] {
        var generator = SeededGenerator(seed: seed)
        var result: [[Int]] = []
        var stack: [[Int]] = [Array(0..<count)]
        while let cluster = stack.popLast() {
            guard cluster.count > target,
                let (left, right) = twoMeans(
                    rows, cluster, dimension: dimension, samples: samples, generator: &generator)
            else {
                result.append(cluster)
                continue
            }
            stack.append(right)
            stack.append(left)
        }
        return result
    }
}
