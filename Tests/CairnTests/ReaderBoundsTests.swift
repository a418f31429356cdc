// Request integers at their extremes (issue 16, items 1 and 4): `limit`, `offset` and `nResults` may be anything a
// client sends, up to Int.max; a read answers with what exists and never traps.
import Foundation
import StorageTesting
import Testing

@testable import Cairn

@Suite struct ReaderBoundsTests {
    static let extremes: [Int] = [
        0, 1, 2, 3, 7, 49, 50, 51, 100_001, 1 << 31, 1 << 53, Int.max / 2, Int.max - 1, Int.max,
    ]

    static func options() -> Client.Options {
        var options = Client.Options()
        options.compactionThreshold = nil
        return options
    }

    /// 50 records: 30 compacted, 20 in the log tail (some of them updates of compacted ones).
    static func collection(in folder: URL) async throws -> (Collection, [String]) {
        let client = try await Client.open(folder.path, options: options())
        let collection = try await client.createCollection("bounds")
        let ids = (0..<50).map { "r\($0)" }
        try await collection.add(ids: Array(ids[0..<30]), embeddings: (0..<30).map { [Float($0), 1] })
        try await collection.compact()
        try await collection.add(ids: Array(ids[30..<50]), embeddings: (30..<50).map { [Float($0), 1] })
        try await collection.update(ids: ["r3", "r4"], embeddings: [[3, 1], [4, 1]])
        return (collection, ids)
    }

    /// Property: get(limit, offset) is the slice of the whole result, for every pair of extremes and random ones.
    @Test func getPagesAreSlicesForAnyLimitAndOffset() async throws {
        try await TemporaryDirectory.with { folder in
            let (collection, ids) = try await Self.collection(in: folder)
            var rng = SplitMix64(seed: 16)
            var pairs = Self.extremes.flatMap { limit in Self.extremes.map { (limit, $0) } }
            for _ in 0..<200 {
                pairs.append((Int.random(in: 0...Int.max, using: &rng), Int.random(in: 0...60, using: &rng)))
                pairs.append((Int.random(in: 0...60, using: &rng), Int.random(in: 0...Int.max, using: &rng)))
            }
            for (limit, offset) in pairs {
                let page = try await collection.get(limit: limit, offset: offset, include: Include())
                let expected = Array(ids.dropFirst(min(offset, ids.count)).prefix(min(limit, ids.count)))
                #expect(page.ids == expected, "limit \(limit) offset \(offset)")
            }
            await #expect(throws: CairnError.self) { try await collection.get(limit: -1) }
            await #expect(throws: CairnError.self) { try await collection.get(offset: Int.min) }
        }
    }

    /// Property: a query asks for at most what exists; through the HNSW index (compacted) and the tail alike, and
    /// past the index's former limit of 100,000 neighbours.
    @Test func queriesAnswerWithWhatExistsForAnyNResults() async throws {
        try await TemporaryDirectory.with { folder in
            let (collection, _) = try await Self.collection(in: folder)
            for k in Self.extremes where k > 0 {
                let result = try await collection.query(queryEmbeddings: [[0, 1], [25, 1]], nResults: k)
                for row in 0..<2 {
                    #expect(result.ids[row].count == min(k, 50), "nResults \(k)")
                    let distances = result.distances?[row] ?? []
                    #expect(distances == distances.sorted(), "nResults \(k): nearest first")
                }
                let filtered = try await collection.query(
                    queryEmbeddings: [[0, 1]], nResults: k, where: .field("missing", .eq(.int(1))))
                #expect(filtered.ids[0].isEmpty)
            }
            try await collection.compact()
            let all = try await collection.query(queryEmbeddings: [[0, 1]], nResults: 200_000)
            #expect(all.ids[0].count == 50, "n_results above 100,000 on a compacted collection")
            let none = try await collection.query(queryEmbeddings: [[0, 1]], nResults: 0)
            #expect(none.ids == [[]], "n_results 0 answers an empty row, as Chroma's server does")
            await #expect(throws: CairnError.self) {
                try await collection.query(queryEmbeddings: [[0, 1]], nResults: -1)
            }
        }
    }

    /// A log backlog left by an earlier process (background compaction was off) is compacted after a restart
    /// without any new write (issue 16, item 6).
    @Test func aBacklogFoundAtOpenIsCompactedWithoutANewWrite() async throws {
        try await TemporaryDirectory.with { folder in
            do {
                let client = try await Client.open(folder.path, options: Self.options())
                let collection = try await client.createCollection("backlog")
                try await collection.add(ids: (0..<300).map { "b\($0)" }, embeddings: (0..<300).map { [Float($0), 1] })
            }
            var options = Client.Options()
            options.compactionThreshold = 50_000
            options.compactionMaxAge = .seconds(3600)
            options.garbageCollectionInterval = nil
            let client = try await Client.open(folder.path, options: options)
            let deadline = ContinuousClock.now + .seconds(60)
            var compacted = false
            while ContinuousClock.now < deadline, !compacted {
                try await Task.sleep(for: .milliseconds(50))
                let id = try await client.getCollection("backlog").id
                compacted = try client.context.catalog.call { try $0.collection(id: id).compactedLogOffset } > 0
            }
            #expect(compacted, "the backlog was not compacted within 60 s")
            #expect(try await client.getCollection("backlog").count() == 300)
        }
    }
}
