// The cache of hydrated HNSW indexes (docs/decisions/0012-hnsw-index-provider.md): keyed by index id, weighted LRU by
// native bytes, single-flight hydration through partitioned async locks, fork for compaction, commit to the
// object store. Eviction only drops the cache's reference: an index a reader still holds stays valid, and
// its native memory is freed when the last reference goes (HNSWIndex.deinit). The other in-memory forms a version's
// vectors take are cached here too, weighed in the same budget (`ResidentIndex`): small collections' vectors,
// searched exactly without a graph (decision 0025), and SPANN indexes' centroids and versions (decision 0029).
import CoreMetrics
import Foundation
import ObjectStore
import Synchronization

/// A version's vectors held in memory in some form other than an HNSW graph, cached by `HnswIndexProvider` in the
/// same byte budget.
public protocol ResidentIndex: AnyObject, Sendable {
    /// What it holds in memory, in bytes (its weight in the cache).
    var memoryBytes: Int { get }
}

public final class HnswIndexProvider: Sendable {
    /// Counters since the provider was created.
    public struct Metrics: Sendable, Hashable {
        /// `get`s answered from the cache, including those that waited for another task's hydration.
        public var hits = 0
        /// `get`s that found no cached index and hydrated it.
        public var misses = 0
        /// Indexes downloaded and loaded.
        public var loads = 0
        /// Indexes dropped from the cache to make room (or explicitly).
        public var evictions = 0
        /// Native bytes of the cached indexes.
        public var bytesResident = 0
        /// Cached indexes.
        public var entries = 0
    }

    /// What the cache holds under a key: a graph, or another resident form of a version's vectors.
    private enum Entry: Sendable {
        case graph(HNSWIndex)
        case resident(any ResidentIndex)

        var graph: HNSWIndex? {
            if case .graph(let index) = self { return index }
            return nil
        }

        func resident<T: ResidentIndex>(_: T.Type) -> T? {
            if case .resident(let index) = self { return index as? T }
            return nil
        }

        var memoryBytes: Int {
            switch self {
            case .graph(let index): index.memoryBytes
            case .resident(let index): index.memoryBytes
            }
        }
    }

    private struct State: Sendable {
        var cache: WeightedLRU<String, Entry>
        var metrics = Metrics()
    }

    public let capacityBytes: Int
    private let store: any ObjectStore
    private let state: LockedState<State>
    private let writeLocks: AsyncPartitionedMutex
    private let temporaryRoot: URL?
    private let reporter: Reporter

    /// The same counts through swift-metrics (the server's Prometheus endpoint), dimension `cache=hnsw`.
    private struct Reporter: Sendable {
        let hits: Counter
        let misses: Counter
        let loads: Counter
        let evictions: Counter
        let bytesResident: Gauge
        let entries: Gauge

        init(factory: MetricsFactory) {
            let dimensions = [("cache", "hnsw")]
            hits = Counter(label: "cairn_cache_hits_total", dimensions: dimensions, factory: factory)
            misses = Counter(label: "cairn_cache_misses_total", dimensions: dimensions, factory: factory)
            loads = Counter(label: "cairn_cache_loads_total", dimensions: dimensions, factory: factory)
            evictions = Counter(label: "cairn_cache_evictions_total", dimensions: dimensions, factory: factory)
            bytesResident = Gauge(label: "cairn_cache_bytes", dimensions: dimensions, factory: factory)
            entries = Gauge(label: "cairn_cache_entries", dimensions: dimensions, factory: factory)
        }
    }

    /// - Parameters:
    ///   - capacityBytes: the native bytes the cache may hold (an index larger than that alone is still
    ///     cached until the next insertion).
    ///   - partitions: number of write locks; hydrations of different ids rarely share one.
    ///   - temporaryRoot: where hydrated files are written for the moment of loading (system temp if nil).
    ///   - factory: the metrics backend (the process-wide one unless the caller passes its own).
    public init(
        store: any ObjectStore, capacityBytes: Int, partitions: Int = 32, temporaryRoot: URL? = nil,
        factory: MetricsFactory = MetricsSystem.factory
    ) {
        self.reporter = Reporter(factory: factory)
        self.store = store
        self.capacityBytes = capacityBytes
        self.state = LockedState(State(cache: WeightedLRU(capacity: capacityBytes)))
        self.writeLocks = AsyncPartitionedMutex(partitions: partitions)
        self.temporaryRoot = temporaryRoot
    }

    public var metrics: Metrics {
        state.withLock { state in
            var metrics = state.metrics
            metrics.bytesResident = state.cache.totalWeight
            metrics.entries = state.cache.count
            return metrics
        }
    }

    /// The cached index, without loading (and without touching recency or metrics).
    public func cached(_ indexID: String) -> HNSWIndex? {
        state.withLock { $0.cache.peek(indexID)?.graph }
    }

    /// The index at `location`: from the cache, or hydrated from the store once however many tasks ask at
    /// the same time.
    public func get(_ location: HNSWIndexLocation) async throws(VectorIndexError) -> HNSWIndex {
        if let index = hit(location.indexID)?.graph { return index }
        let lock = writeLocks.lock(for: location.indexID)
        await lock.lock()
        defer { lock.unlock() }
        // Another task may have hydrated it while this one waited for the lock.
        if let index = hit(location.indexID)?.graph { return index }
        countMiss()
        let index = try await HNSWIndex.read(from: location, store: store, temporaryRoot: temporaryRoot)
        insert(location.indexID, .graph(index), countsAsLoad: true)
        return index
    }

    /// What is cached under `key` (a small collection's vectors, a SPANN index version), or what `load` reads,
    /// once however many tasks ask at the same time; weighed and evicted with the graphs.
    public func resident<T: ResidentIndex>(_ key: String, load: () async throws -> T) async throws -> T {
        if let index = hit(key)?.resident(T.self) { return index }
        let lock = writeLocks.lock(for: key)
        await lock.lock()
        defer { lock.unlock() }
        if let index = hit(key)?.resident(T.self) { return index }
        countMiss()
        let index = try await load()
        insert(key, .resident(index), countsAsLoad: true)
        return index
    }

    /// Caches `index` under `key`, made here rather than loaded (a compaction's new SPANN version, so that the
    /// first query after it finds it).
    public func keep(_ index: some ResidentIndex, as key: String) {
        insert(key, .resident(index), countsAsLoad: false)
    }

    private func countMiss() {
        state.withLock { $0.metrics.misses += 1 }
        reporter.misses.increment()
    }

    /// A new empty index, cached under `location.indexID` (written by `commit`).
    public func create(
        at location: HNSWIndexLocation, dimension: Int, parameters: HNSWParameters, capacity: Int = 1000
    ) async throws(VectorIndexError) -> HNSWIndex {
        let lock = writeLocks.lock(for: location.indexID)
        await lock.lock()
        defer { lock.unlock() }
        guard cached(location.indexID) == nil else {
            throw VectorIndexError(.invalidArgument, "index \(location.indexID) already exists in the cache")
        }
        let index = try HNSWIndex.create(dimension: dimension, parameters: parameters, capacity: capacity)
        insert(location.indexID, .graph(index), countsAsLoad: false)
        return index
    }

    /// Caches `index` (built elsewhere, e.g. a copy of the log tail's graph) under `location.indexID` for a
    /// compaction to finish and commit, like an index from `create`.
    public func adopt(_ index: HNSWIndex, at location: HNSWIndexLocation) async throws(VectorIndexError) {
        let lock = writeLocks.lock(for: location.indexID)
        await lock.lock()
        defer { lock.unlock() }
        guard cached(location.indexID) == nil else {
            throw VectorIndexError(.invalidArgument, "index \(location.indexID) already exists in the cache")
        }
        insert(location.indexID, .graph(index), countsAsLoad: false)
    }

    /// A deep copy of the index at `source` for a compaction to mutate, cached under `target.indexID`;
    /// readers of `source` keep using the original. Commit the copy with `commit(_:to:)`.
    public func fork(_ source: HNSWIndexLocation, to target: HNSWIndexLocation) async throws(VectorIndexError)
        -> HNSWIndex
    {
        guard source.indexID != target.indexID else {
            throw VectorIndexError(.invalidArgument, "a fork needs a new index id (got \(target.indexID) twice)")
        }
        let original = try await get(source)
        let lock = writeLocks.lock(for: target.indexID)
        await lock.lock()
        defer { lock.unlock() }
        guard cached(target.indexID) == nil else {
            throw VectorIndexError(.invalidArgument, "index \(target.indexID) already exists in the cache")
        }
        let copy = try original.clone()
        insert(target.indexID, .graph(copy), countsAsLoad: false)
        return copy
    }

    /// Writes `index` to the store at `location` (create-only) and caches it there with its current size.
    public func commit(_ index: HNSWIndex, to location: HNSWIndexLocation) async throws(VectorIndexError) {
        let lock = writeLocks.lock(for: location.indexID)
        await lock.lock()
        defer { lock.unlock() }
        try await index.write(to: location, store: store)
        insert(location.indexID, .graph(index), countsAsLoad: false)
    }

    /// Drops the cache's reference to an index (holders keep theirs). Returns whether it was cached.
    @discardableResult
    public func evict(_ indexID: String) -> Bool {
        let (evicted, bytes, entries) = state.withLock { state in
            guard state.cache.remove(indexID) != nil else { return (false, 0, 0) }
            state.metrics.evictions += 1
            return (true, state.cache.totalWeight, state.cache.count)
        }
        if evicted {
            reporter.evictions.increment()
            reporter.bytesResident.record(bytes)
            reporter.entries.record(entries)
        }
        return evicted
    }

    private func hit(_ indexID: String) -> Entry? {
        let index = state.withLock { state -> Entry? in
            guard let index = state.cache.get(indexID) else { return nil }
            state.metrics.hits += 1
            return index
        }
        if index != nil { reporter.hits.increment() }
        return index
    }

    private func insert(_ indexID: String, _ index: Entry, countsAsLoad: Bool) {
        let weight = index.memoryBytes
        // Evicted indexes are released after the lock: their deinit (native free) must not run under it.
        let (evicted, bytes, entries) = state.withLock { state in
            if countsAsLoad { state.metrics.loads += 1 }
            let evicted = state.cache.insert(indexID, index, weight: weight)
            state.metrics.evictions += evicted.count
            return (evicted, state.cache.totalWeight, state.cache.count)
        }
        if countsAsLoad { reporter.loads.increment() }
        if !evicted.isEmpty { reporter.evictions.increment(by: evicted.count) }
        reporter.bytesResident.record(bytes)
        reporter.entries.record(entries)
        _ = evicted
    }
}
