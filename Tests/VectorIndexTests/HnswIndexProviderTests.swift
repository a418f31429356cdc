// HnswIndexProvider: single-flight hydration, weighted LRU eviction by bytes, readers outliving eviction,
// fork and commit, temp files gone after loading, and many concurrent tasks (also run under TSan).
import Foundation
import ObjectStore
import Testing

@testable import VectorIndex

@Suite("HnswIndexProvider")
struct HnswIndexProviderTests {
    static let collection = ObjectPath(prefix: "tests").collection(tenant: "t", database: "d", collectionID: "c")

    static func location(_ id: String) -> HNSWIndexLocation {
        HNSWIndexLocation(collection: collection, segmentID: "seg", indexID: id)
    }

    /// Writes an index of `count` vectors at `location(id)` and returns its native size.
    @discardableResult
    static func seed(_ store: any ObjectStore, id: String, count: Int = 300, seed: UInt64 = 1) async throws -> Int {
        let data = Dataset(count: count, dimension: 8, seed: seed)
        let index = try HNSWIndex.create(dimension: 8, capacity: count)
        try index.add(flat: data.vectors, ids: data.ids)
        try await index.write(to: location(id), store: store)
        return index.memoryBytes
    }

    static func temporaryRoot() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cairn-provider-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("32 concurrent gets of a cold index: one download, one load, one index")
    func singleFlight() async throws {
        let store = CountingStore(delay: .milliseconds(50))
        try await Self.seed(store.base, id: "cold")
        let root = try Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        let provider = HnswIndexProvider(store: store, capacityBytes: 1 << 30, temporaryRoot: root)
        let indexes = try await withThrowingTaskGroup(of: HNSWIndex.self) { group in
            for _ in 0..<32 { group.addTask { try await provider.get(Self.location("cold")) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(indexes.count == 32)
        #expect(indexes.allSatisfy { $0 === indexes[0] })
        #expect(store.gets(Self.location("cold").dataKey) == 1)
        #expect(store.gets(Self.location("cold").headerKey) == 1)
        let metrics = provider.metrics
        #expect(metrics.loads == 1 && metrics.misses == 1 && metrics.hits == 31)
        #expect(metrics.bytesResident == indexes[0].memoryBytes && metrics.entries == 1)
        // Hydrated files were removed as soon as the index was loaded.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    @Test("eviction follows recency and weighs bytes, not entries")
    func evictionByBytes() async throws {
        let store = InMemoryStore()
        let size = try await Self.seed(store, id: "a")
        try await Self.seed(store, id: "b")
        try await Self.seed(store, id: "c")
        // Big enough that its vectors and links outweigh two small indexes whole (each has hnswlib's fixed 2.5 MiB).
        let big = try await Self.seed(store, id: "big", count: 15_000)
        #expect(big > 2 * size)
        let provider = HnswIndexProvider(store: store, capacityBytes: 2 * size + size / 2)
        _ = try await provider.get(Self.location("a"))
        _ = try await provider.get(Self.location("b"))
        _ = try await provider.get(Self.location("a"))  // a is now the most recent
        _ = try await provider.get(Self.location("c"))  // evicts b, the least recent
        #expect(provider.cached("a") != nil && provider.cached("b") == nil && provider.cached("c") != nil)
        #expect(provider.metrics.evictions == 1)
        #expect(provider.metrics.bytesResident <= provider.capacityBytes)

        // One big index pushes out both small ones.
        _ = try await provider.get(Self.location("big"))
        #expect(provider.cached("a") == nil && provider.cached("c") == nil && provider.cached("big") != nil)
        #expect(provider.metrics.evictions == 3)
        #expect(provider.metrics.entries == 1)
    }

    @Test("an evicted index stays valid for its holder and is freed on release")
    func readersOutliveEviction() async throws {
        let store = InMemoryStore()
        let size = try await Self.seed(store, id: "held")
        try await Self.seed(store, id: "other", seed: 2)
        let provider = HnswIndexProvider(store: store, capacityBytes: size + size / 2)
        weak var weakHeld: HNSWIndex?
        do {
            let held = try await provider.get(Self.location("held"))
            weakHeld = held
            _ = try await provider.get(Self.location("other"))
            #expect(provider.cached("held") == nil)
            // Still searchable after eviction.
            let query = [Float](repeating: 0.1, count: 8)
            #expect(try held.search(query, k: 5).count == 5)
            #expect(weakHeld != nil)
        }
        // The last reference is gone: the native index was freed.
        #expect(weakHeld == nil)
        // A new get hydrates a fresh copy.
        _ = try await provider.get(Self.location("held"))
        #expect(provider.metrics.loads == 3)
    }

    @Test("fork gives a private copy; commit publishes it under the new id")
    func forkAndCommit() async throws {
        let store = CountingStore()
        try await Self.seed(store.base, id: "v1")
        let provider = HnswIndexProvider(store: store, capacityBytes: 1 << 30)
        let original = try await provider.get(Self.location("v1"))
        let fork = try await provider.fork(Self.location("v1"), to: Self.location("v2"))
        #expect(fork !== original)
        try fork.add([[Float](repeating: 50, count: 8)], ids: [10_000])
        try fork.markDeleted([0])
        #expect(original.count == 300 && original.deletedCount == 0)
        #expect(fork.count == 301 && fork.deletedCount == 1)
        try await provider.commit(fork, to: Self.location("v2"))
        #expect(try await store.base.exists(Self.location("v2").dataKey))

        // A fresh provider hydrates the committed fork.
        let fresh = HnswIndexProvider(store: store, capacityBytes: 1 << 30)
        let loaded = try await fresh.get(Self.location("v2"))
        #expect(loaded.count == 301 && loaded.deletedCount == 1)
        #expect(try loaded.search([Float](repeating: 50, count: 8), k: 1).first?.id == 10_000)
        await #expect(throws: VectorIndexError.self) {
            try await provider.fork(Self.location("v1"), to: Self.location("v1"))
        }
    }

    @Test("a missing index is a typed error and is not cached")
    func missingIndex() async throws {
        let provider = HnswIndexProvider(store: InMemoryStore(), capacityBytes: 1 << 20)
        let error = await #expect(throws: VectorIndexError.self) { try await provider.get(Self.location("nope")) }
        #expect(error?.code == .store)
        #expect(provider.metrics.entries == 0 && provider.metrics.loads == 0)
    }

    @Test("many tasks get, search, fork and evict concurrently")
    func concurrentMix() async throws {
        let store = CountingStore(delay: .milliseconds(1))
        var sizes: [Int] = []
        for i in 0..<6 { sizes.append(try await Self.seed(store.base, id: "m\(i)", count: 200, seed: UInt64(i))) }
        // Room for about three: hydrations and evictions interleave.
        let provider = HnswIndexProvider(store: store, capacityBytes: 3 * sizes.max()!, partitions: 4)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<64 {
                group.addTask {
                    var rng = SeededGenerator(seed: UInt64(task))
                    for step in 0..<10 {
                        let id = "m\(Int.random(in: 0..<6, using: &rng))"
                        let index = try await provider.get(Self.location(id))
                        let query = (0..<8).map { _ in rng.gaussian() }
                        let found = try index.search(query, k: 5)
                        #expect(found.count == 5)
                        if step == 5, task % 16 == 0 {
                            let fork = try await provider.fork(Self.location(id), to: Self.location("fork-\(task)"))
                            try fork.add([query], ids: [9_999])
                            #expect(try fork.search(query, k: 1).first?.id == 9_999)
                        }
                        if task % 7 == 0 { provider.evict(id) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let metrics = provider.metrics
        #expect(metrics.hits + metrics.misses == 64 * 10 + 4)  // forks get their source too
        #expect(metrics.loads == metrics.misses)
        #expect(metrics.bytesResident <= provider.capacityBytes)
    }

    @Test("concurrent searches and writes on one index")
    func readersAndWriter() async throws {
        let data = Dataset(count: 500, dimension: 8, seed: 30)
        let index = try HNSWIndex.create(dimension: 8, parameters: HNSWParameters(numThreads: 2), capacity: 100)
        try index.add(flat: Array(data.vectors[0..<(100 * 8)]), ids: (0..<100).map { OffsetID($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for batch in 1..<5 {
                    let ids = (batch * 100..<(batch + 1) * 100).map { OffsetID($0) }
                    try index.add(flat: Array(data.vectors[(batch * 100 * 8)..<((batch + 1) * 100 * 8)]), ids: ids)
                    try index.markDeleted([OffsetID(batch)])
                }
            }
            for reader in 0..<8 {
                group.addTask {
                    for query in data.queries(20, seed: UInt64(reader)) {
                        let found = try index.search(query, k: 10)
                        #expect(found.count == 10)
                        _ = try index.search(query, k: 10, allowed: AllowedSet((0..<500).map { OffsetID($0 * 2) }))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(index.count == 500 && index.deletedCount == 4)
    }
}
