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
    private var builder = LogTailBuilder(compactedOffset: 0)
    private var tail = TailView.empty
    /// The collection's dimension as last seen in the catalog (or set by this process's first write).
    private var dimension: Int?
    /// Fragments this process appended: a read must include them (read-your-writes).
    private var mustReadThrough: UInt64 = 0
    private var lastRefresh: ContinuousClock.Instant?
    private var inflight: Task<Void, any Error>?

    init(
        collectionID: String, path: CollectionPath, store: any ObjectStore, cache: BlockCache,
        refreshInterval: Duration, currentVersion: @escaping @Sendable () async throws -> VersionInfo,
        catalogCompactedOffset: @escaping @Sendable () throws -> UInt64
    ) {
        self.collectionID = collectionID
        self.path = path
        self.store = store
        self.cache = cache
        self.refreshInterval = refreshInterval
        self.currentVersion = currentVersion
        let compacted = CompactedOffsetBox()
        self.compactedBox = compacted
        // The floor an append must land above: what this process installed, or what the catalog says if another
        // process compacted since (or this one has not read the collection yet).
        wal = WriteAheadLog(
            store: store, path: path, compactedOffset: { max(compacted.value, try catalogCompactedOffset()) })
    }

    /// The compacted offset as the log's writer sees it (kept current by `install`).
    private let compactedBox: CompactedOffsetBox

    /// The current snapshot and tail, refreshed first when this process wrote since, or when the last look at the
    /// catalog and the log is older than the refresh interval.
    func current() async throws -> CollectionState {
        // Joining a refresh that started before this caller's own write may not cover it: look again, a few times.
        for _ in 0..<4 {
            if let snapshot, !needsRefresh {
                return CollectionState(snapshot: snapshot, tail: tail, dimension: dimension)
            }
            if let inflight {
                try await inflight.value
                continue
            }
            let task = Task { try await self.runRefresh() }
            inflight = task
            try await task.value
            if let snapshot { return CollectionState(snapshot: snapshot, tail: tail, dimension: dimension) }
        }
        guard let snapshot else { throw CairnError(.internal, "collection \(collectionID) could not be opened") }
        return CollectionState(snapshot: snapshot, tail: tail, dimension: dimension)
    }

    /// One refresh at a time; `inflight` is cleared before waiters resume, so they never spin on a finished task.
    private func runRefresh() async throws {
        defer { inflight = nil }
        try await refresh()
    }

    private var needsRefresh: Bool {
        if mustReadThrough > builder.through { return true }
        guard let lastRefresh else { return true }
        return ContinuousClock.now - lastRefresh >= refreshInterval
    }

    /// Notes that this process made `offset` durable: the next read reads through it.
    func appended(_ offset: UInt64) {
        mustReadThrough = max(mustReadThrough, offset)
    }

    /// Makes `version` current right away (after this process committed it).
    func install(_ info: VersionInfo) async throws {
        if let inflight { try? await inflight.value }
        try await load(info)
    }

    /// Sets the dimension brute-force search expects (known once the first embedding was written).
    func setDimension(_ dimension: Int?) { self.dimension = dimension }

    private func refresh() async throws {
        let started = ContinuousClock.now
        let info = try await currentVersion()
        dimension = dimension ?? info.dimension
        if snapshot?.version != info.version {
            try await load(info)
        } else {
            try await readLog()
        }
        lastRefresh = started
    }

    private func load(_ info: VersionInfo) async throws {
        let opened = try await VersionSnapshot.open(
            version: info.version, segments: info.segments, path: path, store: store, cache: cache)
        var fresh = LogTailBuilder(compactedOffset: info.segments.compactedOffset)
        let fragments = try await readFragments(after: info.segments.compactedOffset)
        try await fresh.apply(fragments, snapshot: opened)
        dimension = dimension ?? info.dimension
        let view = try fresh.view(dimension: dimension)
        compactedBox.value = info.segments.compactedOffset
        snapshot = opened
        builder = fresh
        tail = view
    }

    private func readLog() async throws {
        guard let snapshot else { return }
        let fragments = try await readFragments(after: builder.through)
        guard !fragments.isEmpty else { return }
        var next = builder
        try await next.apply(fragments, snapshot: snapshot)
        tail = try next.view(dimension: dimension)
        builder = next
    }

    private func readFragments(after offset: UInt64) async throws -> [LogFragment] {
        var fragments: [LogFragment] = []
        var from = offset
        while true {
            let batch: [LogFragment]
            do {
                batch = try await wal.read(after: from)
            } catch let error as LogError {
                throw CairnError(.storage, "reading the log of collection \(collectionID): \(error)")
            }
            fragments += batch
            guard let last = batch.last, batch.count >= 1000 else { return fragments }
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
