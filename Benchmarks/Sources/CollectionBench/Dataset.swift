// The standard benchmark dataset (Benchmarks/dataset.py), from its `.npy` cache: vectors, queries, clusters,
// tags, and the exact ground truth files; ids, metadata and documents are rebuilt with dataset.py's formulas.
import Foundation
import Segments

struct Dataset {
    static let dim = 128
    static let k = 10
    static let tags = ["alpha", "beta", "gamma", "delta"]
    static let cacheTag = "1348f8727e"

    let folder: String
    let n: Int
    let base: [Float]
    let queries: [Float]
    let cluster: [Int]
    let tagIndex: [Int]

    init(folder: String, n: Int) throws {
        self.folder = folder
        base = try NPYArray.load("\(folder)/base-\(Self.cacheTag).npy").floats()
        queries = try NPYArray.load("\(folder)/queries-\(Self.cacheTag).npy").floats()
        cluster = try NPYArray.load("\(folder)/cluster-\(Self.cacheTag).npy").ints()
        tagIndex = try NPYArray.load("\(folder)/tagidx-\(Self.cacheTag).npy").ints()
        guard base.count >= n * Self.dim else { throw BenchError("the cache holds fewer than \(n) vectors") }
        self.n = n
    }

    var queryCount: Int { queries.count / Self.dim }

    func vector(_ i: Int) -> [Float] { Array(base[(i * Self.dim)..<((i + 1) * Self.dim)]) }
    func query(_ i: Int) -> [Float] { Array(queries[(i * Self.dim)..<((i + 1) * Self.dim)]) }
    func id(_ i: Int) -> String { "id" + String(repeating: "0", count: max(0, 6 - String(i).count)) + String(i) }
    func metadata(_ i: Int) -> Metadata {
        ["cat": .int(Int64(i % 1000)), "shard": .int(Int64(i % 10)), "tag": .string(Self.tags[tagIndex[i]])]
    }
    func document(_ i: Int) -> String { "doc \(i) cluster \(cluster[i])" }

    /// Exact top-k rows (base indices, -1 padded) cached by dataset.py under `gt_<name>`.
    func groundTruth(_ name: String) throws -> [[Int]] {
        let array = try NPYArray.load("\(folder)/gt_\(name)-\(Self.cacheTag).npy")
        let flat = try array.ints()
        let width = array.shape[1]
        return (0..<array.shape[0]).map { Array(flat[($0 * width)..<(($0 + 1) * width)]) }
    }

    static func index(of id: String) -> Int { Int(id.dropFirst(2)) ?? -1 }

    /// dataset.recall_at_k: mean over queries of |result ∩ gt| / |valid gt|.
    static func recall(_ results: [[Int]], _ truth: [[Int]]) -> Double {
        var total = 0.0
        for (result, row) in zip(results, truth) {
            let expected = Set(row.prefix(k).filter { $0 >= 0 })
            guard !expected.isEmpty else { continue }
            total += Double(expected.intersection(result.prefix(k)).count) / Double(expected.count)
        }
        return total / Double(results.count)
    }
}
