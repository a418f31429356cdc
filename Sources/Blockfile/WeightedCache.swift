// A thread-safe LRU cache bounded by total weight (bytes), with single-flight loading: concurrent gets of one
// missing key share one load. The shared block cache of every blockfile reader is one of these.
import CoreMetrics
import ObjectStore
import Synchronization

/// What a cache has done so far.
public struct CacheStatistics: Sendable, Equatable {
    public var hits = 0
    /// Gets that found a load of the same key already running and waited for it.
    public var joined = 0
    public var misses = 0
    public var loadFailures = 0
    public var evictions = 0
    public var entries = 0
    public var bytes = 0
}

public final class WeightedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var lru: WeightedLRU<Key, Value>
        var inFlight: [Key: Task<Value, any Error>] = [:]
        var stats = CacheStatistics()
    }

    /// The most the cache holds, in weight units (bytes).
    public let capacity: Int
    private let weigh: @Sendable (Value) -> Int
    private let state: Mutex<State>
    private let hitCounter: Counter
    private let missCounter: Counter
    private let evictionCounter: Counter
    private let bytesGauge: Gauge

    /// - Parameters:
    ///   - capacity: total weight the cache may hold; an entry heavier than this is returned but not kept.
    ///   - name: the `cache` dimension of the metrics (e.g. "block").
    ///   - weigh: the weight of a value, in bytes.
    public init(
        capacity: Int, name: String, factory: MetricsFactory = MetricsSystem.factory,
        weigh: @escaping @Sendable (Value) -> Int
    ) {
        precondition(capacity >= 0, "cache capacity must not be negative")
        self.capacity = capacity
        state = Mutex(State(lru: WeightedLRU(capacity: capacity)))
        self.weigh = weigh
        let dimensions = [("cache", name)]
        hitCounter = Counter(label: "cairn_cache_hits_total", dimensions: dimensions, factory: factory)
        missCounter = Counter(label: "cairn_cache_misses_total", dimensions: dimensions, factory: factory)
        evictionCounter = Counter(label: "cairn_cache_evictions_total", dimensions: dimensions, factory: factory)
        bytesGauge = Gauge(label: "cairn_cache_bytes", dimensions: dimensions, factory: factory)
    }

    public var statistics: CacheStatistics {
        state.withLock { state in
            var stats = state.stats
            stats.entries = state.lru.count
            stats.bytes = state.lru.totalWeight
            return stats
        }
    }

    /// The cached value, if present (counts as a use, and as a hit).
    public func peek(_ key: Key) -> Value? {
        let value: Value? = state.withLock { state in
            guard let value = state.lru.get(key) else { return nil }
            state.stats.hits += 1
            return value
        }
        if value != nil { hitCounter.increment() }
        return value
    }

    /// The value for `key`: from the cache, or from a load already running for it, or by running `load` once.
    /// A failed load is not cached; every caller waiting on it gets its error.
    public nonisolated(nonsending) func value(for key: Key, load: @escaping @Sendable () async throws -> Value)
        async throws -> Value
    {
        let lookup: Lookup = state.withLock { state in
            if let value = state.lru.get(key) {
                state.stats.hits += 1
                return .hit(value)
            }
            if let task = state.inFlight[key] {
                state.stats.joined += 1
                return .wait(task)
            }
            state.stats.misses += 1
            // The load runs in its own task so that it completes (and fills the cache) even if the caller that
            // started it is cancelled while others still wait for it.
            let task = Task<Value, any Error> {
                do {
                    let value = try await load()
                    self.finishLoad(key, value: value)
                    return value
                } catch {
                    self.finishLoad(key, value: nil)
                    throw error
                }
            }
            state.inFlight[key] = task
            return .wait(task)
        }
        switch lookup {
        case .hit(let value):
            hitCounter.increment()
            return value
        case .wait(let task):
            return try await task.value
        }
    }

    /// Inserts (or replaces) a value, evicting the least recently used entries as needed.
    public func insert(_ value: Value, for key: Key) {
        let weight = weigh(value)
        let (evicted, bytes) = state.withLock { state in
            // An entry heavier than the whole cache is returned to its caller but not kept.
            guard weight <= capacity else {
                state.lru.remove(key)
                return (0, state.lru.totalWeight)
            }
            let evicted = state.lru.insert(key, value, weight: weight).count
            state.stats.evictions += evicted
            return (evicted, state.lru.totalWeight)
        }
        if evicted > 0 { evictionCounter.increment(by: evicted) }
        bytesGauge.record(bytes)
    }

    /// Removes a key (no effect if absent).
    public func remove(_ key: Key) {
        state.withLock { _ = $0.lru.remove(key) }
    }

    /// Keys from most to least recently used (for tests and inspection).
    public var keysByRecency: [Key] { state.withLock { $0.lru.keysByRecency } }

    private enum Lookup {
        case hit(Value)
        case wait(Task<Value, any Error>)
    }

    private func finishLoad(_ key: Key, value: Value?) {
        state.withLock { state in
            state.inFlight[key] = nil
            if value == nil { state.stats.loadFailures += 1 }
        }
        missCounter.increment()
        if let value { insert(value, for: key) }
    }
}
