// What every collection of a client shares: the store, the catalog, the caches, the compactor, and one runtime per
// open collection. Also runs background compaction once a collection's log tail passes the threshold.
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

final class ClientContext: Sendable {
    let store: any ObjectStore
    let root: ObjectPath
    let catalog: CatalogDatabase
    let manifests: ManifestStore
    /// Every catalog change goes through the service: manifest first, then compare-and-swap.
    let service: CatalogService
    let cache: BlockCache
    let provider: HnswIndexProvider
    let compactor: Compactor
    let options: Client.Options

    private struct State {
        var runtimes: [String: CollectionRuntime] = [:]
        /// What each collection's log gained through this client since its last compaction started.
        var pending: [String: PendingLog] = [:]
        var compacting: Set<String> = []
        var background: [String: Task<Void, Never>] = [:]
        var lastGarbageCollection = ContinuousClock.now
        /// When the catalog was last brought up to the bucket (collections made by other nodes).
        var lastCatalogSync = ContinuousClock.now
        /// Collections a sync found deleted (tombstoned): later syncs skip their folders until GC removes them.
        var deletedCollections: Set<String> = []
        var collectingGarbage = false
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
        let (pending, running) = state.withLock { state in
            (state.pending.values.reduce(0) { $0 + $1.records }, state.compacting.count)
        }
        pendingGauge.record(pending)
        runningGauge.record(running)
    }

    init(store: any ObjectStore, root: ObjectPath, catalog: CatalogDatabase, options: Client.Options) {
        self.store = store
        self.root = root
        self.catalog = catalog
        self.options = options
        manifests = ManifestStore(store: store, path: root)
        service = CatalogService(database: catalog, manifests: manifests)
        cache = BlockCache(blockCapacity: options.blockCacheBytes)
        provider = HnswIndexProvider(store: store, capacityBytes: options.hnswCacheBytes)
        compactor = Compactor(store: store, root: root, service: service, provider: provider, cache: cache)
    }

    deinit {
        maintenance.withLock { $0?.cancel() }
    }

    /// The background loop that starts due compactions (age) and garbage collections; started by `Client`.
    private let maintenance = Mutex<Task<Void, Never>?>(nil)

    func startMaintenance() {
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
            collections = try catalog.listTenants().flatMap { tenant in
                try catalog.listDatabases(tenant: tenant.name).flatMap { database in
                    try catalog.listCollections(tenant: tenant.name, database: database.name)
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
                    log.records += fragment.records.count
                    log.bytes += fragment.records.reduce(0) { $0 + $1.encodedSize }
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

    /// Calls the catalog, turning its errors into Cairn's.
    func catalogCall<T>(_ body: (CatalogDatabase) throws -> T) throws -> T {
        do {
            return try body(catalog)
        } catch let error as CatalogError {
            throw CairnError(error)
        }
    }

    // MARK: Runtimes

    func runtime(for record: CollectionRecord) -> CollectionRuntime {
        state.withLock { state in
            if let runtime = state.runtimes[record.id] { return runtime }
            let path = root.collection(tenant: record.tenant, database: record.database, collectionID: record.id)
            let catalog = catalog
            let id = record.id
            let runtime = CollectionRuntime(
                collectionID: record.id, path: path, store: store, cache: cache,
                refreshInterval: options.refreshInterval,
                currentVersion: { [service] in
                    do {
                        try await service.catchUp(collectionID: id)
                        let record = try catalog.collection(id: id)
                        let segments = try catalog.segments(collectionID: id)
                        return try VersionInfo(record: record, segments: segments)
                    } catch let error as CatalogError {
                        throw CairnError(error)
                    }
                },
                catalogCompactedOffset: {
                    do throws(CatalogError) {
                        return try catalog.collection(id: id).compactedLogOffset
                    } catch {
                        throw CairnError(error)
                    }
                }, hooks: options.runtimeHooks)
            state.runtimes[record.id] = runtime
            return runtime
        }
    }

    // MARK: Other nodes

    /// Brings the whole catalog up to what the bucket holds (collections other nodes created, renamed or deleted),
    /// at most once per refresh interval.
    func syncCatalogIfStale() async {
        let deleted = state.withLock { state -> Set<String>? in
            guard ContinuousClock.now - state.lastCatalogSync >= options.refreshInterval else { return nil }
            state.lastCatalogSync = .now
            return state.deletedCollections
        }
        guard let deleted else { return }
        do {
            let report = try await CatalogRebuilder(store: store, prefix: root).rebuild(
                into: catalog, incremental: true, deleted: deleted)
            state.withLock { $0.deletedCollections.formUnion(report.tombstonedIDs) }
        } catch {
            options.log?("catalog sync from the store failed: \(error)")
        }
    }

    /// A catalog read that, when it finds nothing, syncs the catalog from the bucket (rate-limited) and tries once
    /// more: the collection may have been created on another node.
    func catalogCallSyncingOnMiss<T>(_ body: (CatalogDatabase) throws(CatalogError) -> T) async throws -> T {
        do throws(CatalogError) {
            return try body(catalog)
        } catch  where error.code == .notFound {
            await syncCatalogIfStale()
            return try catalogCall { catalog throws(CatalogError) in try body(catalog) }
        } catch {
            throw CairnError(error)
        }
    }

    func forget(collectionID: String) {
        let task = state.withLock { state in
            state.runtimes[collectionID] = nil
            state.pending[collectionID] = nil
            return state.background.removeValue(forKey: collectionID)
        }
        task?.cancel()
    }

    // MARK: Compaction

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
                state.compacting.insert(collectionID)
                state.pending[collectionID] = nil
                // Created under the lock, so the task's own removal (under the lock too) always comes after.
                state.background[collectionID] = Task.detached(priority: .utility) { [self] in
                    do {
                        _ = try await self.compact(collectionID: collectionID)
                    } catch {
                        // The log keeps every write; the next write or tick past a threshold tries again.
                        self.options.log?("background compaction of \(collectionID) failed: \(error)")
                    }
                    self.state.withLock { _ = $0.background.removeValue(forKey: collectionID) }
                    self.startDueCompactions()
                }
            }
        }
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
                .collect(options.garbageCollectionPolicy)
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

    /// Compacts the collection's whole log tail (in bounded runs) and makes the new version current in-process.
    func compact(collectionID: String) async throws -> CompactionSummary? {
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
                summary = try await compactor.compact(collectionID: collectionID, progress: options.log)
            } catch {
                countFailedCompaction(error)
                guard let error = error as? CompactionError else {
                    throw CairnError(.storage, "compaction of \(collectionID) failed: \(error)")
                }
                throw CairnError(
                    error.code == .conflict ? .conflict : error.code == .notFound ? .notFound : .storage, error.message)
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
                total.seconds += summary.seconds
                last = total
            } else {
                last = summary
            }
            await options.runtimeHooks?.reached(.compactionPublished)
            // The runtime's next refresh reads the new version from the catalog; wait for it.
            try await state.withLock { $0.runtimes[collectionID] }?.install()
        }
        return last
    }

    /// Waits for background compactions to finish (tests, shutdown).
    func waitForBackgroundWork() async {
        // A finishing compaction may start the next due one: wait until none is left.
        while let task = state.withLock({ $0.background.values.first }) { await task.value }
    }

    // MARK: Modify

    func modify(
        collectionID: String, name: String?, metadata: Metadata?, configuration: [String: JSONValue]? = nil
    ) async throws -> Collection {
        if let metadata, !metadata.isEmpty { try WriteValidation.metadata(metadata) }
        var change: CatalogService.ConfigurationChange?
        if let configuration {
            let update: CollectionConfiguration.Update
            do {
                update = try CollectionConfiguration.Update(json: configuration)
            } catch {
                throw CairnError(validation: error)
            }
            change = { stored throws(CatalogError) in
                do throws(ValidationError) {
                    return try update.applied(to: stored)
                } catch {
                    throw CatalogError(.invalidArgument, error.message)
                }
            }
        }
        let updated = try await serviceCall {
            try await $0.modifyCollection(
                id: collectionID, name: name, metadata: metadata.map { $0.mapValues(\.json) }, configuration: change)
        }
        return try collection(updated)
    }

    /// Calls the catalog service, turning its errors into Cairn's.
    func serviceCall<T>(_ body: (CatalogService) async throws -> T) async throws -> T {
        do {
            return try await body(service)
        } catch let error as CatalogError {
            throw CairnError(error)
        }
    }

    func manifest(of record: CollectionRecord) async throws -> CollectionManifest {
        do {
            return try await manifests.read(
                tenant: record.tenant, database: record.database, collectionID: record.id, version: record.version)
        } catch {
            throw CairnError(error)
        }
    }

    func collection(_ record: CollectionRecord) throws -> Collection {
        let configuration: CollectionConfiguration
        do {
            configuration = try CollectionConfiguration(
                metadata: nil, configuration: record.configuration, stored: true)
        } catch {
            throw CairnError(.corrupt, "configuration of collection \(record.name): \(error.message)")
        }
        return Collection(
            record: record, configuration: configuration, runtime: runtime(for: record), context: self)
    }
}

extension VersionInfo {
    init(record: CollectionRecord, segments: [SegmentRecord]) throws {
        func files(_ kind: SegmentKind) throws -> SegmentFiles {
            guard let segment = segments.first(where: { $0.kind == kind }) else {
                throw CairnError(.corrupt, "collection \(record.id) has no \(kind.rawValue) segment in the catalog")
            }
            return SegmentFiles(id: segment.id, files: segment.files)
        }
        self.init(
            version: record.version,
            segments: CollectionSegments(
                record: try files(.record), metadata: try files(.metadata), vector: try files(.vector),
                compactedOffset: record.compactedLogOffset),
            dimension: record.dimension)
    }
}

extension CairnError {
    init(_ error: CatalogError) {
        let code: Code
        switch error.code {
        case .notFound: code = .notFound
        case .alreadyExists: code = .alreadyExists
        case .invalidArgument: code = .invalidArgument
        case .conflict: code = .conflict
        case .corrupt, .unsupportedVersion: code = .corrupt
        default: code = .storage
        }
        self.init(code, error.message)
    }
}
