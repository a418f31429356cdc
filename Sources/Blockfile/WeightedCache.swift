// A thread-safe LRU cache bounded by total weight (bytes), with single-flight loading: concurrent gets of one
// missing key share one load. The shared block cache of every blockfile reader is one of these.
import CoreMetrics
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
    private struct Node {
        var key: Key
        var value: Value
        var weight: Int
        var newer: Int?
        var older: Int?
    }

    private struct State {
        var nodes: [Node?] = []
        var free: [Int] = []
        var index: [Key: Int] = [:]
        var newest: Int?
        var oldest: Int?
        var inFlight: [Key: Task<Value, any Error>] = [:]
        var stats = CacheStatistics()

        /// Reads only the links: copying the node would retain its key and value on every hit.
        mutating func unlink(_ i: Int) {
            guard nodes[i] != nil else { return }
            let (newer, older) = (nodes[i]!.newer, nodes[i]!.older)
            if let newer { nodes[newer]!.older = older } else { newest = older }
            if let older { nodes[older]!.newer = newer } else { oldest = newer }
            nodes[i]!.newer = nil
            nodes[i]!.older = nil
        }

        mutating func pushNewest(_ i: Int) {
            nodes[i]?.older = newest
            nodes[i]?.newer = nil
            if let newest { nodes[newest]?.newer = i }
            newest = i
            if oldest == nil { oldest = i }
        }

        mutating func remove(_ i: Int) -> Node? {
            unlink(i)
            guard let node = nodes[i] else { return nil }
            nodes[i] = nil
            free.append(i)
            index[node.key] = nil
            stats.entries -= 1
            stats.bytes -= node.weight
            return node
        }
    }

    /// The most the cache holds, in weight units (bytes).
    public let capacity: Int
    private let weigh: @Sendable (Value) -> Int
    private let state = Mutex(State())
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
        self.weigh = weigh
        let dimensions = [("cache", name)]
        hitCounter = Counter(label: "cairn_cache_hits_total", dimensions: dimensions, factory: factory)
        missCounter = Counter(label: "cairn_cache_misses_total", dimensions: dimensions, factory: factory)
        evictionCounter = Counter(label: "cairn_cache_evictions_total", dimensions: dimensions, factory: factory)
        bytesGauge = Gauge(label: "cairn_cache_bytes", dimensions: dimensions, factory: factory)
    }

    public var statistics: CacheStatistics { state.withLock { $0.stats } }

    /// The cached value, if present (counts as a use, and as a hit).
    public func peek(_ key: Key) -> Value? {
        let value: Value? = state.withLock { state in
            guard let i = state.index[key] else { return nil }
            state.unlink(i)
            state.pushNewest(i)
            state.stats.hits += 1
            return state.nodes[i]?.value
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
            if let i = state.index[key], let node = state.nodes[i] {
                state.unlink(i)
                state.pushNewest(i)
                state.stats.hits += 1
                return .hit(node.value)
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
            if let i = state.index[key] { _ = state.remove(i) }
            guard weight <= capacity else { return (0, state.stats.bytes) }
            var evicted = 0
            while state.stats.bytes + weight > capacity, let oldest = state.oldest {
                _ = state.remove(oldest)
                evicted += 1
            }
            state.stats.evictions += evicted
            let node = Node(key: key, value: value, weight: weight)
            let i: Int
            if let slot = state.free.popLast() {
                state.nodes[slot] = node
                i = slot
            } else {
                state.nodes.append(node)
                i = state.nodes.count - 1
            }
            state.index[key] = i
            state.pushNewest(i)
            state.stats.entries += 1
            state.stats.bytes += weight
            return (evicted, state.stats.bytes)
        }
        if evicted > 0 { evictionCounter.increment(by: evicted) }
        bytesGauge.record(bytes)
    }

    /// Removes a key (no effect if absent).
    public func remove(_ key: Key) {
        state.withLock { state in
            if let i = state.index[key] { _ = state.remove(i) }
        }
    }

    /// Keys from most to least recently used (for tests and inspection).
    public var keysByRecency: [Key] {
        state.withLock { state in
            var keys: [Key] = []
            var cursor = state.newest
            while let i = cursor, let node = state.nodes[i] {
                keys.append(node.key)
                cursor = node.older
            }
            return keys
        }
    }

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
