import Foundation
import Segments
import StorageTesting
import Testing

@testable import Cairn

// MaxScore with block bounds (decision 0022) against an exhaustive scan: the same top k, ties to the lower offset,
// negative weights and values included, with records filtered out; and it reads only part of the postings.
@Suite struct SparseTopKTests {
    /// Random posting lists over `records` records: values are multiples of 1/8, so every sum is exact in f32 and
    /// ties are real ties.
    static func lists(records: Int, dimensions: Int, density: Double, negative: Bool, seed: UInt64)
        -> [UInt32: SparsePostingList]
    {
        var random = SplitMix64(seed: seed)
        var lists: [UInt32: SparsePostingList] = [:]
        for dimension in 0..<UInt32(dimensions) {
            // A few common dimensions, many rare ones (as words are).
            let share = dimension < 3 ? 0.5 : density
            var list = SparsePostingList()
            for offset in 0..<UInt32(records) where Double.random(in: 0..<1, using: &random) < share {
                list.offsets.append(offset)
                let low = negative ? -8 : 1
                list.values.append(Float(Int.random(in: low...24, using: &random)) / 8)
            }
            lists[dimension] = list
        }
        return lists
    }

    static func exhaustive(
        _ query: [(UInt32, Float)], _ lists: [UInt32: SparsePostingList], k: Int, accept: (UInt32) -> Bool
    ) -> [(offset: UInt32, dot: Float)] {
        var dots: [UInt32: Float] = [:]
        for (dimension, weight) in query {
            guard let list = lists[dimension] else { continue }
            for (offset, value) in zip(list.offsets, list.values) where accept(offset) {
                dots[offset, default: 0] += weight * value
            }
        }
        return dots.map { (offset: $0.key, dot: $0.value) }.sorted { ($1.dot, $0.offset) < ($0.dot, $1.offset) }
            .prefix(k).map { $0 }
    }

    @Test(arguments: [false, true])
    func maxScoreFindsTheExhaustiveTopK(negative: Bool) {
        let lists = Self.lists(records: 5000, dimensions: 60, density: 0.02, negative: negative, seed: negative ? 1 : 2)
        let prepared = lists.mapValues(SparseTopK.Prepared.init)
        var random = SplitMix64(seed: 9)
        var scored = 0
        var total = 0
        for round in 0..<60 {
            let dimensions = Set(
                (0..<Int.random(in: 1...6, using: &random)).map { _ in UInt32.random(in: 0..<60, using: &random) })
            // BM25-like weights: rare dimensions weigh more (IDF), rounded to eighths so that sums stay exact.
            let query = dimensions.sorted().map { dimension -> (UInt32, Float) in
                let n = Double(lists[dimension]?.offsets.count ?? 0)
                let idf = Float((log(1 + (5000 - n + 0.5) / (n + 0.5)) * 8).rounded()) / 8
                let sign: Float = negative && Bool.random(using: &random) ? -1 : 1
                return (dimension, sign * idf * Float(Int.random(in: 1...2, using: &random)))
            }
            let k = [1, 5, 10, 50][round % 4]
            let accept: (UInt32) -> Bool = round % 3 == 0 ? { $0 % 7 != 0 } : { _ in true }
            let terms = query.compactMap { dimension, weight in
                prepared[dimension].map { SparseTopK.Term(weight: weight, postings: $0) }
            }
            let got = SparseTopK.top(terms, k: k, accept: accept, scored: &scored)
            let want = Self.exhaustive(query, lists, k: k, accept: accept)
            #expect(got.map(\.offset) == want.map(\.offset), "round \(round)")
            #expect(got.map(\.dot) == want.map(\.dot), "round \(round)")
            total += query.reduce(0) { $0 + (lists[$1.0]?.offsets.count ?? 0) }
        }
        if !negative {
            // Common dimensions dominate the postings; with positive values most of them are skipped.
            #expect(scored * 2 < total, "scored \(scored) of \(total) postings")
        }
    }
}
