// The shared, in-process state of one collection: its write-ahead log, the snapshot of its current version and the
// materialized log tail. Every `Collection` handle of the same collection in a `Client` uses one runtime, so writes
// made through any handle are visible to reads through all of them.
import Blockfile
import Foundation
import Log
import ObjectStore
import Segments
import Synchronization
import VectorIndex

/// What the catalog says about a collection's current version.
struct VersionInfo: Sendable {
    var version: UInt64
    var segments: CollectionSegments
    /// The embedding dimension, once the first write fixed it.
    var dimension: Int?
}

/// What a read works on: the current version, the log tail over it, and the collection's dimension.
struct CollectionState: Sendable {
    var snapshot: VersionSnapshot
    var tail: TailView
    var dimension: Int?
}

actor CollectionRuntime {
    let collectionID: String
    let path: CollectionPath
    let store: any ObjectStore
    let cache: BlockCache
    let wal: WriteAheadLog
    private let currentVersion: @Sendable () async throws -> VersionInfo
    private let refreshInterval: Duration

    private var snapshot: VersionSnapshot?
    /// The log tail over `snapshot`, changed in place by refreshes; reads get views of it.
    private var builder = LogTailBuilder(compactedOffset: 0)
    /// The tail's vector index and filter results, over `builder`'s slots (nil until the tail holds a record).
    private var tailIndex: TailIndex?
    /// The tail gets a vector index once it holds `lowerBound` records; it indexes at most `upperBound`.
    private let tailIndexVectors: ClosedRange<Int>
    /// The last two versions compactions published from the tail's graph, and where their records are in the
    /// slots, newest last: the next compaction extends the newest, reads search the installed one in the tail's
    /// graph (between a publish and its install, the one before).
    private(set) var seededVersions: [SeededVersion] = []
    /// The collection's dimension as last seen in the catalog (or set by this process's first write).
    private var dimension: Int?
    /// Fragments this process appended: a read must include them (read-your-writes).
    private var mustReadThrough: UInt64 = 0
    /// When the last completed refresh started: it saw the catalog and the log as they were then.
    private var lastRefresh: ContinuousClock.Instant?
    /// The one refresh running, and when it started. Every change of `snapshot`, `builder` and `tail` happens in
    /// it, so two refreshes never interleave and a slower one can never put back an older view.
    private var inflight: Task<Void, any Error>?
    /// Test hooks: called at the named points, and may hold them (deterministic interleaving tests).
    let hooks: RuntimeHooks?

    /// Older versions opened for reads as of them, most recently opened last.
    private var olderSnapshots: [VersionSnapshot] = []
    static let olderSnapshotsKept = 4

    /// Refreshes a read may wait for before it reports that the log cannot be read through its own writes.
    static let maxRefreshesPerRead = 64

    init(
        collectionID: String, path: CollectionPath, store: any ObjectStore, cache: BlockCache,
        refreshInterval: Duration, currentVersion: @escaping @Sendable () async throws -> VersionInfo,
        catalogCompactedOffset: @escaping @Sendable () throws -> UInt64, tailIndexVectors: ClosedRange<Int>,
        hooks: RuntimeHooks? = nil
    ) {
        self.tailIndexVectors = tailIndexVectors
        self.collectionID = collectionID
        self.path = path
        self.store = store
        self.cache = cache
        self.refreshInterval = refreshInterval
        self.currentVersion = currentVersion
        self.hooks = hooks
        let compacted = CompactedOffsetBox()
        self.compactedBox = compacted
        // The floor an append must land above: what this process installed, or what the catalog says if another
        // process compacted since (or this one has not read the collection yet).
        wal = WriteAheadLog(
            store: store, path: path, compactedOffset: { max(compacted.value, try catalogCompactedOffset()) },
            publishedCompactedOffset: { max(compacted.value, try await currentVersion().segments.compactedOffset) })
    }

    deinit { tailIndex?.retire() }

    /// The compacted offset as the log's writer sees it (kept current by refreshes).
    private let compactedBox: CompactedOffsetBox

    /// The current snapshot and tail. It includes every write this process acknowledged before the call
    /// (read-your-writes), and is no older than the refresh interval (other processes' writes). A read never gets
    /// a view older than one it could already have had: views only move forward. `parameters` are the
    /// collection's HNSW settings, for the tail's vector index.
    func current(parameters: HNSWParameters) async throws -> CollectionState {
        let required = mustReadThrough
        let entered = ContinuousClock.now
        for _ in 0..<Self.maxRefreshesPerRead {
            if let snapshot, builder.through >= required, isFresh(since: entered) {
                var tail = builder.view(index: indexTail(parameters))
                tail.coverage = coverage(of: snapshot, by: tail)
                return CollectionState(snapshot: snapshot, tail: tail, dimension: dimension)
            }
            // A refresh that starts after this look: one that read the catalog just before a compaction removed
            // the log it then read can end short of `required`; the next one sees the new version.
            try await refresh(startedAtOrAfter: .now)
            await hooks?.reached(.readerResuming)
        }
        throw CairnError(
            .storage,
            "collection \(collectionID): the log could not be read through offset \(required) after "
                + "\(Self.maxRefreshesPerRead) refreshes")
    }

    /// Whether the view is recent enough for a read that started at `entered`: a refresh started since, or one
    /// within the refresh interval.
    private func isFresh(since entered: ContinuousClock.Instant) -> Bool {
        guard let lastRefresh else { return false }
        return lastRefresh >= entered || ContinuousClock.now - lastRefresh < refreshInterval
    }

    /// Waits until a refresh that started at or after `instant` has completed: joins the running one when it
    /// started late enough, otherwise waits for it and starts the next. Single-flight: one refresh at a time.
    private func refresh(startedAtOrAfter instant: ContinuousClock.Instant) async throws {
        while true {
            if let lastRefresh, lastRefresh >= instant { return }
            if let inflight {
                try await inflight.value
                continue
            }
            let started = ContinuousClock.now
            let task = Task { try await self.runRefresh(started: started) }
            inflight = task
            try await task.value
        }
    }

    /// One refresh; `inflight` is cleared before waiters resume, so they never spin on a finished task.
    private func runRefresh(started: ContinuousClock.Instant) async throws {
        defer { inflight = nil }
        try await refresh()
        lastRefresh = max(lastRefresh ?? started, started)
    }

    /// An older kept version opened for reads as of it (the last few stay open; the current one is shared).
    func snapshot(version: UInt64, segments: CollectionSegments) async throws -> VersionSnapshot {
        if let snapshot, snapshot.version == version { return snapshot }
        if let kept = olderSnapshots.first(where: { $0.version == version }) { return kept }
        let opened = try await VersionSnapshot.open(
            version: version, segments: segments, path: path, store: store, cache: cache)
        olderSnapshots.removeAll { $0.version == version }
        olderSnapshots.append(opened)
        if olderSnapshots.count > Self.olderSnapshotsKept { olderSnapshots.removeFirst() }
        return opened
    }

    /// Notes that this process made `offset` durable: the next read reads through it. Soon after, off the
    /// writer's path, the tail takes the write in (`takeInRecentWrites`), so fresh writes are indexed while writes
    /// go on, not when the first read comes; writes made meanwhile ride along.
    func appended(_ offset: UInt64, parameters: HNSWParameters) {
        mustReadThrough = max(mustReadThrough, offset)
        guard !takeInScheduled else { return }
        takeInScheduled = true
        // Holds the runtime only while it runs; the runtime holds the client's catalog weakly, so a dropped client
        // closes its catalog even while this runs.
        Task(priority: .utility) { [weak self] in await self?.takeInRecentWrites(parameters: parameters) }
    }

    /// A take-in of recent writes is scheduled and has not started.
    private var takeInScheduled = false

    /// Takes the fragments this process just wrote into the tail (from the log's memory of them, no store access)
    /// and has the tail index catch up in the background. Skipped while a refresh runs (the next read takes them
    /// in).
    func takeInRecentWrites(parameters: HNSWParameters) async {
        takeInScheduled = false
        guard inflight == nil else { return }
        guard let snapshot else {
            // No read has loaded the collection yet (a bulk load into a new server): load it now, once.
            if (try? await refresh(startedAtOrAfter: .now)) != nil { _ = indexTail(parameters) }
            return
        }
        let fragments = wal.recentFragments(after: builder.through)
        guard !fragments.isEmpty else { return }
        let task = Task<Void, any Error> { await self.apply(recent: fragments, over: snapshot) }
        inflight = task
        _ = try? await task.value
        _ = indexTail(parameters)
    }

    /// Runs as the one refresh in flight; a failure leaves the tail to be read again by the next refresh.
    private func apply(recent fragments: [LogFragment], over snapshot: VersionSnapshot) async {
        defer { inflight = nil }
        guard snapshot === self.snapshot, fragments.first?.offset == builder.through + 1 else { return }
        try? await extendTail(with: fragments, over: snapshot, announcing: false, ownWrites: true)
    }

    /// Applies `fragments` (the log's next ones) to the tail over `snapshot`; with `announcing`, the test hook sees
    /// the install; `ownWrites` when they come from this process's writer (`WriteAheadLog.recentFragments`). A
    /// failure in the middle drops the snapshot: the next refresh starts the tail over from it.
    private func extendTail(
        with fragments: [LogFragment], over snapshot: VersionSnapshot, announcing: Bool, ownWrites: Bool = false
    ) async throws {
        let seeds = try await builder.seeds(for: fragments, snapshot: snapshot)
        if announcing { await hooks?.reached(.installing) }
        do {
            try builder.apply(fragments, seeds: seeds, dimension: dimension, ownWrites: ownWrites)
        } catch {
            self.snapshot = nil  // half applied
            throw error
        }
    }

    /// Makes the version this process just committed current (a refresh that starts now reads it from the
    /// catalog), waiting for it. It goes through the same single refresh as reads, never beside one.
    func install() async throws {
        try await refresh(startedAtOrAfter: .now)
    }

    /// Sets the dimension brute-force search expects (known once the first embedding was written).
    func setDimension(_ dimension: Int?) { self.dimension = dimension }

    /// The tail's vector index as it is (nil when the tail has none).
    var currentTailIndex: TailIndex? { tailIndex }

    /// Remembers which slots hold the records of a version published from the tail's graph.
    func notePublished(_ seeded: SeededVersion) {
        seededVersions = seededVersions.suffix(1).filter { $0.slots === seeded.slots } + [seeded]
    }

    /// What a compaction published from the tail's graph as `version`, if it did.
    func seededVersion(_ version: UInt64) -> SeededVersion? { seededVersions.last { $0.version == version } }

    /// The last coverage worked out, for the version and slots it was worked out for (nil: not covered).
    private var lastCoverage: (version: UInt64, slots: TailSlots, coverage: TailCoverage?)?

    /// Whether the tail's index holds every record of `snapshot`, an HNSW version published from its graph: then a
    /// query searches that one graph for both.
    private func coverage(of snapshot: VersionSnapshot, by tail: TailView) -> TailCoverage? {
        guard let seeded = seededVersion(snapshot.version), let slots = tail.slots,
            seeded.slots === slots, tail.index?.slots === slots, snapshot.hnsw != nil,
            !snapshot.segments.holdsSpann
        else {
            lastCoverage = nil
            return nil
        }
        if let lastCoverage, lastCoverage.version == seeded.version, lastCoverage.slots === slots {
            return lastCoverage.coverage
        }
        let coverage = TailCoverage(seeded, live: snapshot.live)
        lastCoverage = (seeded.version, slots, coverage)
        return coverage
    }

    /// How far the tail's vector index has come: slots indexed, of slots written (for tests and status).
    func tailIndexProgress() -> (indexed: Int, slots: Int) {
        (tailIndex?.indexed ?? 0, builder.slots?.count ?? 0)
    }

    /// The tail's vector index over the builder's slots, asked to catch up with them (in the background).
    private func indexTail(_ parameters: HNSWParameters) -> TailIndex? {
        // What a compaction published from an older tail's graph names that tail's slots: useless once they are
        // not the tail's any more, and it would keep them (every vector of a bulk load) in memory.
        seededVersions.removeAll { $0.slots !== builder.slots }
        guard tailIndexVectors.upperBound > 0, let slots = builder.slots, slots.dimension > 0 else {
            tailIndex?.retire()  // a version took in the whole tail
            tailIndex = nil
            return nil
        }
        if tailIndex?.slots !== slots {
            tailIndex?.retire()  // its tail was folded into the version now current
            tailIndex = nil
        }
        // A small tail is compared exactly: an index would cost more memory than its slots (hnswlib's fixed part).
        if tailIndex == nil, slots.count >= max(tailIndexVectors.lowerBound, 1) {
            tailIndex = try? TailIndex(slots: slots, parameters: parameters, maxVectors: tailIndexVectors.upperBound)
        }
        tailIndex?.extend(to: slots.count)
        return tailIndex
    }

    /// Runs only inside `runRefresh`: loads a newer version if the catalog has one, then reads the log's new end.
    private func refresh() async throws {
        let info = try await currentVersion()
        dimension = dimension ?? info.dimension
        if snapshot?.version != info.version {
            try await load(info)
        } else {
            try await readLog()
        }
    }

    private func load(_ info: VersionInfo) async throws {
        let opened = try await VersionSnapshot.open(
            version: info.version, segments: info.segments, path: path, store: store, cache: cache)
        // The tail over the version before offers its slots: what this tail would write again keeps its slot, and
        // its place in the tail index (decision 0020).
        var fresh = LogTailBuilder(compactedOffset: info.segments.compactedOffset, donor: builder)
        let fragments = try await readFragments(after: info.segments.compactedOffset)
        let seeds = try await fresh.seeds(for: fragments, snapshot: opened)
        dimension = dimension ?? info.dimension
        try fresh.apply(fragments, seeds: seeds, dimension: dimension)
        if fresh.mostSlotsStale {
            fresh = LogTailBuilder(compactedOffset: info.segments.compactedOffset)
            try fresh.apply(fragments, seeds: seeds, dimension: dimension)
        }
        await hooks?.reached(.installing)
        compactedBox.value = info.segments.compactedOffset
        snapshot = opened
        builder = fresh
        wal.forgetRecent(through: info.segments.compactedOffset)
    }

    private func readLog() async throws {
        guard let snapshot else { return }
        let fragments = try await readFragments(after: builder.through)
        guard !fragments.isEmpty else { return }
        try await extendTail(with: fragments, over: snapshot, announcing: true)
    }

    private func readFragments(after offset: UInt64) async throws -> [LogFragment] {
        var fragments: [LogFragment] = []
        var from = offset
        while true {
            let batch: [LogFragment]
            do {
                batch = try await wal.read(after: from)
            } catch let error as LogError {
                var mapped = CairnError.from(error)  // a corrupt fragment is corruption, a failed read a store failure
                mapped.message = "reading the log of collection \(collectionID): \(error)"
                throw mapped
            }
            fragments += batch
            guard let last = batch.last, batch.count >= WriteAheadLog.defaultReadLimit else { return fragments }
            from = last.offset
        }
    }
}

/// The compacted offset, readable from the log writer's synchronous-looking closure without hopping actors.
final class CompactedOffsetBox: Sendable {
    private let state = Atomic<UInt64>(0)
    var value: UInt64 {
        get { state.load(ordering: .acquiring) }
        set { state.store(newValue, ordering: .releasing) }
    }
}
