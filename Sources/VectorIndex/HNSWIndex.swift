// The one Swift owner of a native HNSW index (CHNSW): adds, deletes and searches behind a reader-writer
// lock, growth by `hnsw:resize_factor`, and the native memory freed when the last reference goes away.
import CHNSW
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An HNSW index of `dimension`-float vectors labelled by offset id.
///
/// `@unchecked Sendable`: the class owns one `cairn_hnsw_index` pointer that is only touched under `lock`
/// (searches under the read lock, mutations under the write lock); the pointer never changes after init.
public final class HNSWIndex: @unchecked Sendable {
    public let dimension: Int
    public let parameters: HNSWParameters
    let native: OpaquePointer
    let lock = ReadWriteLock()
    /// Copies under way (`clone`): they hold the read lock long, and a writer waiting for the lock queues every
    /// search behind them, so `addBesideSearches` waits for them before asking.
    private let clones = Atomic<Int>(0)

    /// Native indexes alive in this process (for tests of the provider's memory claims).
    public static var liveNativeIndexes: Int { live.load(ordering: .relaxed) }
    private static let live = Atomic<Int>(0)

    init(native: OpaquePointer, dimension: Int, parameters: HNSWParameters) {
        self.native = native
        self.dimension = dimension
        self.parameters = parameters
        Self.live.add(1, ordering: .relaxed)
    }

    deinit {
        cairn_hnsw_free(native)
        Self.live.subtract(1, ordering: .relaxed)
    }

    /// An empty index with room for `capacity` vectors before it first grows.
    public static func create(
        dimension: Int, parameters: HNSWParameters = HNSWParameters(), capacity: Int = 1000, seed: Int = 100
    ) throws(VectorIndexError) -> HNSWIndex {
        guard dimension > 0, dimension <= 65536 else {
            throw VectorIndexError(.invalidArgument, "dimension must be 1...65536; got \(dimension)")
        }
        guard capacity >= 0, seed >= 0 else {
            throw VectorIndexError(.invalidArgument, "capacity and seed must not be negative")
        }
        var pointer: OpaquePointer?
        try check(
            cairn_hnsw_create(
                parameters.space.nativeValue, dimension, parameters.m, parameters.constructionEF, max(capacity, 1),
                seed, &pointer))
        guard let pointer else { throw VectorIndexError(.internal, "create returned no index") }
        return HNSWIndex(native: pointer, dimension: dimension, parameters: parameters)
    }

    /// Live elements plus deleted ones (hnswlib keeps deleted vectors in the graph).
    public var count: Int { lock.withReadLock { cairn_hnsw_count(native) } }
    public var deletedCount: Int { lock.withReadLock { cairn_hnsw_deleted_count(native) } }
    public var liveCount: Int { lock.withReadLock { cairn_hnsw_count(native) - cairn_hnsw_deleted_count(native) } }
    public var capacity: Int { lock.withReadLock { cairn_hnsw_capacity(native) } }
    /// Native memory held, in bytes (the provider's cache weight).
    public var memoryBytes: Int { lock.withReadLock { cairn_hnsw_memory_bytes(native) } }

    /// Adds vectors given row by row; an id already present is replaced (and undeleted).
    public func add(_ vectors: [[Float]], ids: [OffsetID]) throws(VectorIndexError) {
        var flat: [Float] = []
        flat.reserveCapacity(vectors.count * dimension)
        for (row, vector) in vectors.enumerated() {
            guard vector.count == dimension else {
                throw VectorIndexError(
                    .invalidArgument, "vector \(row) has \(vector.count) values, expected \(dimension)")
            }
            flat.append(contentsOf: vector)
        }
        try add(flat: flat, ids: ids)
    }

    /// Adds `ids.count` vectors stored row-major in `flat`, on `parameters.numThreads` threads. Grows the
    /// capacity by `hnsw:resize_factor` (or to what the batch needs) first.
    public func add(flat: [Float], ids: [OffsetID]) throws(VectorIndexError) {
        guard flat.count == ids.count * dimension else {
            throw VectorIndexError(
                .invalidArgument, "\(flat.count) values do not make \(ids.count) vectors of \(dimension)")
        }
        guard !ids.isEmpty else { return }
        guard Set(ids).count == ids.count else {
            throw VectorIndexError(.invalidArgument, "a batch names the same id twice")
        }
        let labels = ids.map { UInt64($0) }
        try lock.withWriteLock { () throws(VectorIndexError) in
            try growIfNeeded(toHold: cairn_hnsw_count(native) + ids.count)
            try Self.check(cairn_hnsw_add(native, flat, labels, ids.count, max(1, parameters.numThreads)))
        }
    }

    /// Makes room for `needed` elements, by `hnsw:resize_factor` at least (call under the write lock).
    private func growIfNeeded(toHold needed: Int) throws(VectorIndexError) {
        let capacity = cairn_hnsw_capacity(native)
        guard needed > capacity else { return }
        let grown = Int((Double(capacity) * parameters.resizeFactor).rounded(.up))
        try Self.check(cairn_hnsw_resize(native, max(needed, grown)))
    }

    /// Adds one vector with searches running beside most of the work (the log tail's index, built while queries
    /// search it): its neighbours are found, and every list it changes worked out, under the read lock; only the
    /// writing takes the write lock (a search waits for that, not for a whole insertion). The result is the graph
    /// `add` makes. One thread should add this way at a time: a plan overtaken by another change is redone under
    /// the write lock. While a `clone` runs, the writing waits for it (outside the lock).
    public func addBesideSearches(_ vector: UnsafePointer<Float>, id: OffsetID) throws(VectorIndexError) {
        let plan = try lock.withReadLock { () throws(VectorIndexError) -> OpaquePointer in
            var plan: OpaquePointer?
            try Self.check(cairn_hnsw_plan_add(native, vector, UInt64(id), &plan))
            guard let plan else { throw VectorIndexError(.internal, "planning an add returned no plan") }
            return plan
        }
        defer { cairn_hnsw_free_add_plan(plan) }
        while clones.load(ordering: .acquiring) > 0 { usleep(200) }
        try lock.withWriteLock { () throws(VectorIndexError) in
            try growIfNeeded(toHold: cairn_hnsw_count(native) + 1)
            try Self.check(cairn_hnsw_commit_add(native, plan))
        }
    }

    /// Marks ids deleted: they are never returned again. Unknown or already deleted ids are an error and
    /// nothing is deleted.
    public func markDeleted(_ ids: [OffsetID]) throws(VectorIndexError) {
        try lock.withWriteLock { () throws(VectorIndexError) in
            let lookedUp = Self.lookup(native, ids)
            if let missing = zip(ids, lookedUp).first(where: { $0.1 == UInt32.max })?.0 {
                throw VectorIndexError(.labelNotFound, "id \(missing) is not in the index")
            }
            for id in ids { try Self.check(cairn_hnsw_mark_deleted(native, UInt64(id))) }
        }
    }

    /// The stored vector of `id` (normalised for the cosine space).
    public func vector(for id: OffsetID) throws(VectorIndexError) -> [Float] {
        var out = [Float](repeating: 0, count: dimension)
        try lock.withReadLock { () throws(VectorIndexError) in
            try Self.check(cairn_hnsw_get_vector(native, UInt64(id), &out))
        }
        return out
    }

    /// The `k` approximate nearest neighbours of `query`, nearest first, with search width
    /// `max(ef ?? hnsw:search_ef, k)`.
    public func search(_ query: [Float], k: Int, ef: Int? = nil) throws(VectorIndexError) -> [Neighbor] {
        try checkQuery(query, k: k)
        return try lock.withReadLock { () throws(VectorIndexError) in
            // More neighbours than the index holds cannot be found: the result buffers are sized by what can.
            let k = min(k, cairn_hnsw_count(native))
            guard k > 0 else { return [] }
            return try graphSearch(query, k: k, ef: ef ?? parameters.searchEF, bitset: nil, budget: 0).neighbors
        }
    }

    /// A deep copy (for a compaction to mutate while readers keep the original); with `parameters`, the copy
    /// adds and searches with those (the graph's own `M` and construction width stay the source's).
    public func clone(parameters: HNSWParameters? = nil) throws(VectorIndexError) -> HNSWIndex {
        clones.add(1, ordering: .releasing)
        defer { clones.subtract(1, ordering: .releasing) }
        return try lock.withReadLock { () throws(VectorIndexError) in
            var copy: OpaquePointer?
            try Self.check(cairn_hnsw_clone(native, &copy))
            guard let copy else { throw VectorIndexError(.internal, "clone returned no index") }
            return HNSWIndex(native: copy, dimension: dimension, parameters: parameters ?? self.parameters)
        }
    }

    /// Every element's label in insertion order (deleted elements included).
    public func labels() -> [UInt64] {
        lock.withReadLock {
            [UInt64](unsafeUninitializedCapacity: cairn_hnsw_count(native)) { buffer, initialized in
                cairn_hnsw_labels(native, buffer.baseAddress)
                initialized = buffer.count
            }
        }
    }

    /// Renames every element: the one `labels()` listed at position i gets `labels[i]` (as many as there are
    /// elements, all distinct; otherwise nothing changes). A graph built under one naming — the log tail's slots —
    /// is published under another, the version's offset ids (decision 0020).
    public func relabel(_ labels: [UInt64]) throws(VectorIndexError) {
        try lock.withWriteLock { () throws(VectorIndexError) in
            try Self.check(cairn_hnsw_relabel(native, labels, labels.count))
        }
    }

    /// Writes the index file to `path` (temporary file, fsync, size check, rename).
    public func save(toFile path: String) throws(VectorIndexError) {
        try lock.withReadLock { () throws(VectorIndexError) in try Self.check(cairn_hnsw_save(native, path)) }
    }

    /// Reads an index file written by `save(toFile:)`.
    public static func load(fromFile path: String, dimension: Int, parameters: HNSWParameters)
        throws(VectorIndexError) -> HNSWIndex
    {
        var pointer: OpaquePointer?
        try check(cairn_hnsw_load(path, parameters.space.nativeValue, dimension, 0, &pointer))
        guard let pointer else { throw VectorIndexError(.internal, "load returned no index") }
        return HNSWIndex(native: pointer, dimension: dimension, parameters: parameters)
    }

    // MARK: Internals shared with filtered search

    func checkQuery(_ query: [Float], k: Int) throws(VectorIndexError) {
        guard query.count == dimension else {
            throw VectorIndexError(.invalidArgument, "query has \(query.count) values, expected \(dimension)")
        }
        guard k > 0 else { throw VectorIndexError(.invalidArgument, "k must be positive; got \(k)") }
    }

    /// Graph search; call under the read lock. `exhausted` is true when the distance budget stopped it.
    func graphSearch(
        _ query: [Float], k: Int, ef: Int, bitset: [UInt64]?, seeds: [OffsetID] = [], budget: Int,
        minLocalFraction: Double = 0
    ) throws(VectorIndexError) -> (neighbors: [Neighbor], exhausted: Bool) {
        var labels = [UInt64](repeating: 0, count: k)
        var distances = [Float](repeating: 0, count: k)
        var found = 0
        let status: Int32
        if let bitset {
            status = bitset.withUnsafeBufferPointer { bits in
                seeds.withUnsafeBufferPointer { seedBuffer in
                    cairn_hnsw_search(
                        native, query, k, max(ef, k), bits.baseAddress, bits.count * 64, seedBuffer.baseAddress,
                        seedBuffer.count, budget, minLocalFraction, &labels, &distances, &found)
                }
            }
        } else {
            status = cairn_hnsw_search(
                native, query, k, max(ef, k), nil, 0, nil, 0, budget, 0, &labels, &distances, &found)
        }
        let exhausted = status == Int32(CAIRN_HNSW_BUDGET_EXHAUSTED) || status == Int32(CAIRN_HNSW_FILTER_MISMATCH)
        if !exhausted { try Self.check(status) }
        var neighbors: [Neighbor] = []
        neighbors.reserveCapacity(found)
        for i in 0..<found {
            neighbors.append(Neighbor(id: OffsetID(truncatingIfNeeded: labels[i]), distance: distances[i]))
        }
        return (neighbors, exhausted)
    }

    static func lookup(_ native: OpaquePointer, _ ids: [OffsetID]) -> [UInt32] {
        [UInt32](unsafeUninitializedCapacity: ids.count) { buffer, initialized in
            ids.withUnsafeBufferPointer { cairn_hnsw_lookup(native, $0.baseAddress, ids.count, buffer.baseAddress) }
            initialized = ids.count
        }
    }

    static func check(_ status: Int32) throws(VectorIndexError) {
        guard status != 0 else { return }
        let message = String(cString: cairn_hnsw_last_error())
        let code: VectorIndexError.Code
        switch status {
        case Int32(CAIRN_HNSW_INVALID_ARGUMENT): code = .invalidArgument
        case Int32(CAIRN_HNSW_CAPACITY_EXCEEDED): code = .capacityExceeded
        case Int32(CAIRN_HNSW_LABEL_NOT_FOUND): code = .labelNotFound
        case Int32(CAIRN_HNSW_IO_ERROR): code = .io
        case Int32(CAIRN_HNSW_CORRUPT): code = .corrupt
        case Int32(CAIRN_HNSW_OUT_OF_MEMORY): code = .outOfMemory
        default: code = .internal
        }
        throw VectorIndexError(code, message.isEmpty ? "native HNSW call failed with status \(status)" : message)
    }
}
