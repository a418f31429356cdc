// The one owner of background work: which collections have writes waiting, when they are compacted (threshold,
// age, quiet period, a backlog found at open), garbage collection on its interval, and the metrics of both.
// Compactions it runs make the new version current in the collection's runtime.
import Blockfile
import Catalog
import Compaction
import CoreMetrics
import Foundation
import Log
import ObjectStore
import Segments
import Synchronization
import VectorIndex

#if canImport(Glibc)
    import Glibc
#endif

final class MaintenanceScheduler: Sendable {
    private let store: any ObjectStore
    private let root: ObjectPath
    private let options: Client.Options
    private let compactor: Compactor
    private let catalog: CatalogAccess
    private let registry: CollectionRegistry
    private var service: CatalogService { catalog.service }

    private struct State {
        /// What each collection's log gained through this client since its last compaction started.
        var pending: [String: PendingLog] = [:]
        var compacting: Set<String> = []
        /// The log bytes each running compaction took from `pending` when it started (still in memory until it
        /// publishes).
        var compactingBytes: [String: Int] = [:]
        var background: [String: Task<Void, Never>] = [:]
        var lastGarbageCollection = ContinuousClock.now
        var lastTrim = ContinuousClock.now
        /// A compaction finished since the allocator last returned free pages.
        var trimPending = false
        var collectingGarbage = false

        /// Log bytes written through this client and not yet compacted: waiting, and taken by running compactions.
        var backlogBytes: Int {
            pending.values.reduce(0) { $0 + $1.bytes } + compactingBytes.values.reduce(0, +)
        }
    }

    /// Writes waiting in one collection's log.
    struct PendingLog {
        var records = 0
        var bytes = 0
        /// The oldest and the newest write waiting.
        var since: ContinuousClock.Instant
        var last: ContinuousClock.Instant
        /// A backlog found in the store at open (written before this process started): compacted right away,
        /// whatever its size, since no write of this process will count it.
        var foundAtOpen = false
    }

    private let state = Mutex(State())

    /// What `/metrics` shows of background work (swift-metrics; a no-op unless the process bootstrapped a factory).
    private let pendingGauge = Gauge(label: "cairn_compaction_pending_records")
    private let runningGauge = Gauge(label: "cairn_compactions_running")
    private let backlogBytesGauge = Gauge(label: "cairn_compaction_backlog_bytes")
    private let throttledWrites = Counter(label: "cairn_writes_throttled_total")
    private let compactionsOK = Counter(label: "cairn_compactions_total", dimensions: [("outcome", "ok")])

    /// Counts a compaction that did not publish: `outcome` conflict or failed, with the `reason` (the error's kind).
    private func countFailedCompaction(_ error: any Error) {
        let (outcome, reason) = Self.classify(compactionError: error)
        Counter(label: "cairn_compactions_total", dimensions: [("outcome", outcome), ("reason", reason)]).increment()
    }

    /// A small, fixed set of label values: which layer failed and its stable code.
    static func classify(compactionError error: any Error) -> (outcome: String, reason: String) {
        switch error {
        case let error as CompactionError:
            return (error.code == .conflict ? "conflict" : "failed", error.code.rawValue)
        case let error as ObjectStoreError: return ("failed", "store_\(error.code.rawValue)")
        case let error as BlockfileError: return ("failed", "blockfile_\(error.code.rawValue)")
        case let error as CairnError: return ("failed", error.code.rawValue)
        default: return ("failed", "other")
        }
    }
    private let compactedRecords = Counter(label: "cairn_compacted_log_records_total")
    private let garbageObjects = Counter(label: "cairn_gc_deleted_objects_total")
    private let garbageBytes = Counter(label: "cairn_gc_deleted_bytes_total")

    /// Publishes the pending and running gauges from `state` (call under no lock).
    private func reportBacklog() {
        let (pending, running, bytes) = state.withLock { state in
            (state.pending.values.reduce(0) { $0 + $1.records }, state.compacting.count, state.backlogBytes)
        }
        pendingGauge.record(pending)
        runningGauge.record(running)
        backlogBytesGauge.record(bytes)
    }

    init(
        store: any ObjectStore, root: ObjectPath, options: Client.Options, compactor: Compactor, catalog: CatalogAccess,
        registry: CollectionRegistry
    ) {
        self.store = store
        self.root = root
        self.options = options
        self.compactor = compactor
        self.catalog = catalog
        self.registry = registry
    }

    deinit {
        maintenance.withLock { $0?.cancel() }
    }

    /// The background loop that starts due compactions (age) and garbage collections; started by `Client`.
    private let maintenance = Mutex<Task<Void, Never>?>(nil)

    func start() {
        let compacting = options.compactionThreshold != nil
        let ticks = [
            compacting ? options.compactionMaxAge : nil, compacting ? options.compactionQuietPeriod : nil,
            options.garbageCollectionInterval,
        ].compactMap { $0 }
        guard let shortest = ticks.min() else { return }
        let tick = max(.milliseconds(100), min(.seconds(10), shortest / 4))
        let task = Task.detached(priority: .utility) { [weak self] in
            if compacting { await self?.scanBacklog() }
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                guard let self else { return }
                self.startDueCompactions()
                self.returnFreedMemoryIfDue(compacted: false)
                await self.collectGarbageIfDue()
            }
        }
        maintenance.withLock { $0 = task }
    }

    /// Finds the collections whose log already holds uncompacted records (a restart after a bulk load or a crash)
    /// and schedules them for compaction: otherwise such a backlog waits for a new write while every read scans it.
    /// One listing per collection, then the fragments past the compacted offset are read one at a time to count
    /// their records (what `cairn_compaction_pending_records` reports).
    func scanBacklog() async {
        let collections: [CollectionRecord]
        do {
            let database = catalog.database
            collections = try database.listTenants().flatMap { tenant in
                try database.listDatabases(tenant: tenant.name).flatMap { db in
                    try database.listCollections(tenant: tenant.name, database: db.name)
                }
            }
        } catch {
            options.log?("scanning for log backlogs at open: \(error)")
            return
        }
        let measure: @Sendable (Int) async -> PendingLog? = { [self] index in
            let record = collections[index]
            let path = root.collection(tenant: record.tenant, database: record.database, collectionID: record.id)
            do {
                let wal = WriteAheadLog(store: store, path: path)
                var log = PendingLog(since: .now, last: .now, foundAtOpen: true)
                var offset = record.compactedLogOffset + 1
                while let fragment = try await wal.fragment(at: offset) {  // one in memory at a time
                    // The log's high-water mark is nothing to fold: a log holding only it is no backlog (every
                    // collection compacted since has one; counting it would compact them all at every start).
                    let records = fragment.records.filter { !$0.isHighWaterMark }
                    log.records += records.count
                    log.bytes += records.reduce(0) { $0 + $1.encodedSize }
                    offset += 1
                }
                return log.records > 0 ? log : nil
            } catch {
                options.log?("measuring the log backlog of \(record.id): \(error)")
                return nil
            }
        }
        var found: [(String, PendingLog)] = []
        await withBoundedParallelism(count: collections.count, limit: 4, measure) { index, log in
            if let log { found.append((collections[index].id, log)) }
        }
        guard !found.isEmpty else { return }
        state.withLock { state in
            for (id, log) in found where state.pending[id] == nil && !state.compacting.contains(id) {
                state.pending[id] = log
            }
        }
        options.log?(
            "found uncompacted log records in \(found.count) collection(s) at open "
                + "(\(found.reduce(0) { $0 + $1.1.records }) records): compacting them")
        reportBacklog()
        startDueCompactions()
    }

    /// Forgets a deleted collection: its waiting writes, and its background compaction (cancelled).
    func forget(collectionID: String) {
        let task = state.withLock { state in
            state.pending[collectionID] = nil
            return state.background.removeValue(forKey: collectionID)
        }
        task?.cancel()
    }

    /// Log bytes written through this client and not yet compacted (`State.backlogBytes`).
    var backlogBytes: Int { state.withLock { $0.backlogBytes } }

    /// Lets a write through once the backlog is below `maxBacklogBytes`, waiting for background compactions up
    /// to `backlogWait`; then refuses it (`overloaded`), having changed nothing.
    func admitWrite() async throws {
        guard options.compactionThreshold != nil, let limit = options.maxBacklogBytes, backlogBytes > limit else {
            return
        }
        throttledWrites.increment()
        let deadline = ContinuousClock.now + options.backlogWait
        while backlogBytes > limit {
            guard ContinuousClock.now < deadline else {
                throw CairnError(
                    .overloaded,
                    "The node's compaction backlog is full (\(backlogBytes) bytes of writes not compacted yet, limit "
                        + "\(limit)); retry the write in a moment")
            }
            startDueCompactions()
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Counts a write and starts background compactions that are due.
    func afterWrite(collectionID: String, records: Int, bytes: Int) {
        guard options.compactionThreshold != nil else { return }
        state.withLock { state in
            let now = ContinuousClock.now
            state.pending[collectionID, default: PendingLog(since: now, last: now)].records += records
            state.pending[collectionID, default: PendingLog(since: now, last: now)].bytes += bytes
            state.pending[collectionID]?.last = now
        }
        startDueCompactions()
        reportBacklog()
    }

    /// Starts background compactions of collections past a threshold (records, bytes or age), oldest log first,
    /// as long as fewer than `maxConcurrentCompactions` run.
    func startDueCompactions() {
        guard let threshold = options.compactionThreshold else { return }
        let now = ContinuousClock.now
        state.withLock { state in
            let free = options.maxConcurrentCompactions - state.background.count
            guard free > 0 else { return }
            let due = state.pending.filter { id, log in
                guard !state.compacting.contains(id) else { return false }
                return log.foundAtOpen || log.records >= threshold || log.bytes >= options.compactionBytesThreshold
                    || options.compactionMaxAge.map { now - log.since >= $0 } ?? false
                    || options.compactionQuietPeriod.map { now - log.last >= $0 } ?? false
            }
            .sorted { $0.value.since < $1.value.since }.prefix(free).map(\.key)
            for collectionID in due {
                let overdue = state.pending[collectionID].map { now - $0.since >= Self.overdueAfter } ?? false
                state.compacting.insert(collectionID)
                state.compactingBytes[collectionID] = state.pending[collectionID]?.bytes ?? 0
                state.pending[collectionID] = nil
                // Created under the lock, so the task's own removal (under the lock too) always comes after.
                state.background[collectionID] = Task.detached(priority: .utility) { [self] in
                    do {
                        // Its CPU work (log decoding, block encoding) on a thread below the queries' priority, as
                        // its index build; an overdue backlog at theirs (decision 0020).
                        let executor: BackgroundBuildThread? = overdue ? nil : .compactionWork
                        _ = try await withTaskExecutorPreference(executor) {
                            try await self.compact(collectionID: collectionID, overdue: overdue)
                        }
                    } catch {
                        // The log keeps every write; the next write or tick past a threshold tries again.
                        self.options.log?("background compaction of \(collectionID) failed: \(error)")
                    }
                    self.state.withLock { state in
                        _ = state.background.removeValue(forKey: collectionID)
                        state.compactingBytes[collectionID] = nil
                    }
                    self.returnFreedMemoryIfDue(compacted: true)
                    self.startDueCompactions()
                }
            }
        }
    }

    /// After compactions folded their tails (whose vectors, records and fragments were freed), at most every
    /// `trimInterval` and once no other compaction runs (the periodic tick catches the last of a burst): asks the
    /// allocator to give free pages back. glibc keeps
    /// freed memory in its heaps otherwise (its mmap threshold grows as large blocks are freed, so later ones come
    /// from the heap): filling 400 small collections left 465 MiB resident after every tail was folded, 188 MiB with
    /// the pages returned. A fixed mmap threshold would do it too, but slowed ingest by 15 % in A/B runs.
    private func returnFreedMemoryIfDue(compacted: Bool) {
        let due = state.withLock { state -> Bool in
            state.trimPending = state.trimPending || compacted
            guard state.trimPending, state.background.isEmpty, ContinuousClock.now - state.lastTrim >= Self.trimInterval
            else { return false }
            state.lastTrim = .now
            state.trimPending = false
            return true
        }
        if due { _ = Self.mallocTrim?(0) }
    }

    /// glibc's `malloc_trim`, looked up at run time (the Glibc module does not export <malloc.h>); nil elsewhere.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
            return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
            return nil
        #endif
    }()

    static let trimInterval: Duration = .seconds(5)

    /// A backlog older than this when its compaction starts was held up (compactions starved by a CPU busy with
    /// queries, at their low priority): its index build runs at the queries' priority.
    static let overdueAfter: Duration = .seconds(60)

    /// Whether a compaction of this process is working on the collection (garbage collection leaves it alone).
    func isCompacting(_ collectionID: String) -> Bool {
        state.withLock { $0.compacting.contains(collectionID) }
    }

    /// Runs a background garbage collection when the interval has passed since the last one.
    func collectGarbageIfDue() async {
        guard let interval = options.garbageCollectionInterval else { return }
        let due = state.withLock { state -> Bool in
            guard !state.collectingGarbage, ContinuousClock.now - state.lastGarbageCollection >= interval else {
                return false
            }
            state.collectingGarbage = true
            return true
        }
        guard due else { return }
        defer {
            state.withLock {
                $0.collectingGarbage = false
                $0.lastGarbageCollection = .now
            }
        }
        do {
            let report = try await GarbageCollector(store: store, root: root, service: service)
                .collect(options.garbageCollectionPolicy, isCompacting: isCompacting)
            garbageObjects.increment(by: report.deletions.count)
            garbageBytes.increment(by: report.bytes)
            if !report.deletions.isEmpty || !report.failures.isEmpty {
                options.log?(
                    "garbage collection: deleted \(report.deletions.count) objects (\(report.bytes) bytes)"
                        + (report.failures.isEmpty ? "" : ", \(report.failures.count) failed"))
            }
        } catch {
            options.log?("garbage collection failed: \(error)")
        }
    }

    /// Compacts the collection's whole log tail (in bounded runs) and makes the new version current in-process;
    /// `reporter` hears each run's progress.
    func compact(collectionID: String, overdue: Bool = false, reporter: ProgressReporter? = nil) async throws
        -> CompactionSummary?
    {
        state.withLock { _ = $0.compacting.insert(collectionID) }
        reportBacklog()
        defer {
            state.withLock { _ = $0.compacting.remove(collectionID) }
            reportBacklog()
        }
        var last: CompactionSummary?
        while true {
            let summary: CompactionSummary?
            do {
                // The collection's tail index may already hold the graph this run would build (decision 0020).
                summary = try await compactor.compact(
                    collectionID: collectionID, progress: options.log, reporter: reporter, overdue: overdue,
                    seeding: registry.openRuntime(collectionID: collectionID))
            } catch {
                countFailedCompaction(error)
                throw CairnError.from(error)  // the one mapping table (ErrorBoundary), cause kept
            }
            guard let summary else { break }
            compactionsOK.increment()
            compactedRecords.increment(by: summary.logRecords)
            if var total = last {
                // Several bounded runs: report them as one.
                total.version = summary.version
                total.throughOffset = summary.throughOffset
                total.logRecords += summary.logRecords
                total.added += summary.added
                total.updated += summary.updated
                total.deleted += summary.deleted
                total.recordCount = summary.recordCount
                total.rebuiltIndex = total.rebuiltIndex || summary.rebuiltIndex
                total.seededIndex = total.seededIndex || summary.seededIndex
                total.seconds += summary.seconds
                last = total
            } else {
                last = summary
            }
            await options.runtimeHooks?.reached(.compactionPublished)
            // The runtime's next refresh reads the new version from the catalog; wait for it.
            try await registry.openRuntime(collectionID: collectionID)?.install()
        }
        return last
    }

    /// Waits for background compactions to finish (tests, shutdown).
    func waitForBackgroundWork() async {
        // A finishing compaction may start the next due one: wait until none is left.
        while let task = state.withLock({ $0.background.values.first }) { await task.value }
    }
}
