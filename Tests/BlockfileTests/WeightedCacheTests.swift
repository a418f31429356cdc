// The block cache's promises: LRU eviction by weight, single-flight loads, failures not cached.
import Blockfile
import Foundation
import MetricsTestKit
import StorageTesting
import Synchronization
import Testing

@Suite struct WeightedCacheTests {
    func makeCache(capacity: Int, metrics: TestMetrics = TestMetrics()) -> WeightedCache<String, [UInt8]> {
        WeightedCache(capacity: capacity, name: "test", factory: metrics) { $0.count }
    }

    @Test func evictsLeastRecentlyUsedByWeight() async throws {
        let cache = makeCache(capacity: 100)
        cache.insert([UInt8](repeating: 0, count: 40), for: "a")
        cache.insert([UInt8](repeating: 0, count: 40), for: "b")
        _ = cache.peek("a")  // a is now the most recent
        cache.insert([UInt8](repeating: 0, count: 40), for: "c")  // must evict b, not a
        #expect(cache.keysByRecency == ["c", "a"])
        #expect(cache.statistics.bytes == 80)
        #expect(cache.statistics.evictions == 1)
        cache.insert([UInt8](repeating: 0, count: 100), for: "d")  // evicts both
        #expect(cache.keysByRecency == ["d"])
        cache.insert([UInt8](repeating: 0, count: 101), for: "huge")  // heavier than the cache: not kept
        #expect(cache.peek("huge") == nil)
        #expect(cache.keysByRecency == ["d"])
    }

    @Test func concurrentGetsOfOneMissingKeyLoadOnce() async throws {
        let cache = makeCache(capacity: 1 << 20)
        let loads = LoadCount()
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<32 {
                group.addTask {
                    try await cache.value(for: "block") {
                        loads.increment()
                        try await Task.sleep(for: .milliseconds(50))
                        return [1, 2, 3]
                    }
                }
            }
            for try await value in group { #expect(value == [1, 2, 3]) }
        }
        #expect(loads.value == 1)
        let stats = cache.statistics
        #expect(stats.misses == 1 && stats.hits + stats.joined == 31)
        _ = try await cache.value(for: "block") {
            Issue.record("a cached value must not load")
            return []
        }
    }

    @Test func failedLoadsAreNotCachedAndReachEveryWaiter() async throws {
        struct Boom: Error {}
        let cache = makeCache(capacity: 1 << 20)
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do {
                        _ = try await cache.value(for: "k") {
                            try await Task.sleep(for: .milliseconds(20))
                            throw Boom()
                        }
                        return false
                    } catch {
                        return error is Boom
                    }
                }
            }
            for await failed in group { #expect(failed) }
        }
        #expect(cache.statistics.entries == 0)
        let value = try await cache.value(for: "k") { [9] }
        #expect(value == [9])
    }

    @Test func metricsCountHitsMissesAndEvictions() async throws {
        let metrics = TestMetrics()
        let cache = makeCache(capacity: 10, metrics: metrics)
        _ = try await cache.value(for: "a") { [UInt8](repeating: 0, count: 6) }
        _ = try await cache.value(for: "a") { [] }
        _ = try await cache.value(for: "b") { [UInt8](repeating: 0, count: 6) }
        #expect(metrics.counterTotal(label: "cairn_cache_hits_total") == 1)
        #expect(metrics.counterTotal(label: "cairn_cache_misses_total") == 2)
        #expect(metrics.counterTotal(label: "cairn_cache_evictions_total") == 1)
    }

    @Test func randomisedOperationsKeepTheWeightBound() async throws {
        var random = SplitMix64(seed: 5)
        let cache = makeCache(capacity: 1000)
        for step in 0..<5000 {
            let key = "k\(Int.random(in: 0..<200, using: &random))"
            if step % 3 == 0 {
                cache.remove(key)
            } else {
                cache.insert([UInt8](repeating: 0, count: Int.random(in: 1...120, using: &random)), for: key)
            }
            let stats = cache.statistics
            #expect(stats.bytes <= 1000)
            #expect(stats.entries == cache.keysByRecency.count)
        }
    }
}

/// A counter that concurrent loaders can share.
final class LoadCount: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
