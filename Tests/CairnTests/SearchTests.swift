import Foundation
import StorageTesting
import Testing

@testable import Cairn

// The Search API over the embedded collection: Chroma's rules for rank expressions (docs/search.md) — lists from KNN
// terms, defaults, the worked RRF example of the spec — over compacted records and the log tail alike.
@Suite struct SearchTests {
    static func withCollection(_ body: (Collection) async throws -> Void) async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: .manualMaintenance)
            try await body(try await client.createCollection("search"))
        }
    }

    /// Records on a line: a at 0, b at 1, c at 2, d at 10; queries at 0 and at 1.1 rank them differently.
    static func line(_ collection: Collection) async throws {
        try await collection.add(
            ids: ["a", "b", "c", "d"], embeddings: [[0], [1], [2], [10]],
            metadatas: [
                ["g": .string("x"), "n": .int(1)], ["g": .string("y"), "n": .int(2)],
                ["g": .string("x"), "n": .int(3)], ["g": .string("y")],
            ])
    }

    @Test func knnListsDefaultsAndRrfFollowChromasRules() async throws {
        try await Self.withCollection { collection in
            try await Self.line(collection)
            for compacted in [false, true] {
                if compacted { try await collection.compact() }
                let first = KnnTerm(query: .dense([0]), limit: 3, returnRank: true)  // a, b, c
                let second = KnnTerm(query: .dense([10]), limit: 2, returnRank: true)  // d, c
                func rrf(_ a: KnnTerm, _ b: KnnTerm) -> RankExpression {
                    func term(_ knn: KnnTerm) -> RankExpression {
                        .quotient(.value(1), .sum([.value(60), .knn(knn)]))
                    }
                    return .product([.value(-1), .sum([term(a), term(b)])])
                }
                // Without defaults only the record in both lists (c: rank 2 and 1) is ranked.
                let both = try await collection.search([SearchPayload(rank: rrf(first, second), select: ["#score"])])
                #expect(both[0].ids == ["c"], "compacted: \(compacted)")
                #expect(both[0].scores == [-(Float(1) / 62 + Float(1) / 61)])
                // With defaults, the union (a: 1/60 + 1/160 and d: 1/160 + 1/60 tie; insertion order breaks it).
                var withDefault = first
                withDefault.defaultValue = 100
                var secondDefault = second
                secondDefault.defaultValue = 100
                let union = try await collection.search([SearchPayload(rank: rrf(withDefault, secondDefault))])
                #expect(union[0].ids == ["c", "a", "d", "b"])
                // A rank without a KNN term ranks nothing; distances are the query's.
                #expect(try await collection.search([SearchPayload(rank: .value(0))])[0].ids.isEmpty)
                let plain = try await collection.search([
                    SearchPayload(rank: .knn(KnnTerm(query: .dense([1.1]), limit: 2)), select: ["#score"])
                ])
                #expect(plain[0].ids == ["b", "c"])
                #expect(plain[0].scores!.map { ($0 * 100).rounded() / 100 } == [0.01, 0.81])
            }
        }
    }

    @Test func groupByPagesAndSelectedFields() async throws {
        try await Self.withCollection { collection in
            try await Self.line(collection)
            let knn = RankExpression.knn(KnnTerm(query: .dense([0]), limit: 4))
            let best = try await collection.search([
                SearchPayload(
                    rank: knn, groupBy: SearchGroupBy(keys: ["g"], order: .minK, aggregateKeys: ["#score"], k: 1),
                    select: ["n"])
            ])
            #expect(best[0].ids == ["a", "b"])
            #expect(best[0].metadatas == [["n": .int(1)], ["n": .int(2)]])
            let most = try await collection.search([
                SearchPayload(rank: knn, groupBy: SearchGroupBy(keys: ["g"], order: .maxK, aggregateKeys: ["n"], k: 1))
            ])
            #expect(most[0].ids == ["b", "c"], "d has no n: it sorts last in max-k")
            let page = try await collection.search([
                SearchPayload(rank: knn, offset: 1, limit: 2, select: ["#document", "#embedding", "#metadata"])
            ])
            #expect(page[0].ids == ["b", "c"] && page[0].embeddings == [[1], [2]] && page[0].scores == nil)
            #expect(page[0].select == ["#document", "#embedding", "#metadata"])
            var unranked = SearchPayload(offset: 1, limit: 2, select: ["#score"])
            unranked.excludedIDs = ["b"]
            let plain = try await collection.search([unranked])
            #expect(plain[0].ids == ["c", "d"] && plain[0].scores == [0, 1])
        }
    }
}
