// FlatVectors: a small collection's vectors searched exactly (decision 0025) answer with the neighbours and the
// distances an HNSW index of the same space reports, honour a candidate filter, refuse malformed rows, and are
// cached by the provider once however many readers ask.
import Foundation
import ObjectStore
import Testing

@testable import VectorIndex

@Suite struct FlatVectorsTests {
    static func rows(_ data: Dataset) -> [(OffsetID, [Float])] {
        // Out of order on purpose: the rows are sorted by offset id.
        data.ids.reversed().map { id in
            (id * 3, Array(data.vectors[Int(id) * data.dimension..<(Int(id) + 1) * data.dimension]))
        }
    }

    @Test(arguments: [DistanceSpace.l2, .ip, .cosine])
    func answersAsAnHNSWIndexOfTheSameSpace(space: DistanceSpace) throws {
        let data = Dataset(count: 400, dimension: 12, seed: 5)
        let rows = Self.rows(data)
        let flat = try FlatVectors(dimension: 12, space: space, rows: rows)
        #expect(flat.count == 400 && flat.ids == rows.map(\.0).sorted())
        let index = try HNSWIndex.create(dimension: 12, parameters: HNSWParameters(space: space), capacity: 400)
        try index.add(flat: rows.flatMap(\.1), ids: rows.map(\.0))
        let queries = Dataset(count: 20, dimension: 12, seed: 6)
        for q in 0..<queries.count {
            let query = Array(queries.vectors[q * 12..<(q + 1) * 12])
            let exact = try flat.search(query, k: 10)
            // ef = every element: the graph search is exhaustive at this size.
            let graph = try index.search(query, k: 10, ef: 400)
            #expect(exact.map(\.id) == graph.map(\.id))
            for (a, b) in zip(exact, graph) { #expect(abs(a.distance - b.distance) <= 1e-5 * max(1, abs(b.distance))) }
            #expect(exact.map(\.distance) == exact.map(\.distance).sorted())
        }
    }

    @Test func searchesOnlyTheCandidates() throws {
        let data = Dataset(count: 200, dimension: 4, seed: 7)
        let flat = try FlatVectors(dimension: 4, space: .l2, rows: Self.rows(data))
        let query: [Float] = [0, 0, 0, 0]
        let even = try flat.search(query, k: 500) { $0 % 2 == 0 }
        #expect(even.count == flat.ids.count { $0 % 2 == 0 })
        #expect(even.allSatisfy { $0.id % 2 == 0 })
        #expect(try flat.search(query, k: 5) { _ in false }.isEmpty)
        #expect(try flat.search(query, k: 0).isEmpty)
    }

    @Test func refusesMalformedRows() {
        #expect(throws: VectorIndexError.self) {
            try FlatVectors(dimension: 3, space: .l2, rows: [(1, [1, 2, 3]), (2, [1, 2])])
        }
        #expect(throws: VectorIndexError.self) {
            try FlatVectors(dimension: 2, space: .l2, rows: [(1, [1, 2]), (1, [3, 4])])
        }
        #expect(throws: VectorIndexError.self) { try FlatVectors(dimension: 0, space: .l2, rows: []) }
        let flat = try? FlatVectors(dimension: 2, space: .l2, rows: [(1, [1, 2])])
        #expect(throws: VectorIndexError.self) { try flat?.search([1, 2, 3], k: 1) }
    }

    @Test func theProviderLoadsThemOnceAndWeighsThem() async throws {
        let provider = HnswIndexProvider(store: InMemoryStore(), capacityBytes: 1 << 30)
        let data = Dataset(count: 100, dimension: 8, seed: 8)
        let loads = LockedState(0)
        let results = try await withThrowingTaskGroup(of: FlatVectors.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await provider.resident("records:l2:root") {
                        loads.withLock { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(20))
                        return try FlatVectors(dimension: 8, space: .l2, rows: Self.rows(data))
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(loads.withLock { $0 } == 1)
        #expect(Set(results.map { ObjectIdentifier($0) }).count == 1)
        let metrics = provider.metrics
        #expect(metrics.loads == 1 && metrics.entries == 1)
        #expect(metrics.bytesResident == results[0].memoryBytes && metrics.bytesResident >= 100 * 8 * 4)
        // A failed load caches nothing.
        await #expect(throws: VectorIndexError.self) {
            try await provider.resident("records:l2:other") { () throws -> FlatVectors in
                throw VectorIndexError(.corrupt, "bad block")
            }
        }
        #expect(provider.metrics.entries == 1)
    }
}
