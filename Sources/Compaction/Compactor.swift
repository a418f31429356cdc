// The compaction job: folds a collection's log tail into new immutable segment versions. Order of effects, each
// step only after the one before is durable: blocks and roots → HNSW files → version manifest (create-only) →
// catalog compare-and-swap → log fragments removed. A crash or a lost race at any point leaves the previous version
// current and intact; what was written before the failure is an orphan for garbage collection.
import Bitmaps
import Blockfile
import Catalog
import Foundation
import Log
import ObjectStore
import Segments
import Spann
import VectorIndex

/// What one compaction did.
public struct CompactionSummary: Sendable, Hashable {
    public var collectionID: String
    /// The version it published.
    public var version: UInt64
    /// Log offsets it folded in: after `fromOffset` through `throughOffset`.
    public var fromOffset: UInt64
    public var throughOffset: UInt64
    /// Log records read.
    public var logRecords: Int
    public var added: Int
    public var updated: Int
    public var deleted: Int
    /// Records in the new version.
    public var recordCount: Int
    /// Whether the HNSW index was rebuilt from its live vectors (its deleted fraction passed the threshold) rather
    /// than forked and changed.
    public var rebuiltIndex: Bool = false
    /// Whether the HNSW index started from a graph offered by `IndexSeeding` (the log tail's) instead of the
    /// version's own.
    public var seededIndex: Bool = false
    public var seconds: Double
}

public final class Compactor: Sendable {
    let store: any ObjectStore
    let root: ObjectPath
    /// Every catalog change goes through it (the publish order lives there alone).
    let service: CatalogService
    var catalog: CatalogDatabase { service.database }
    var manifests: ManifestStore { service.manifests }
    let provider: HnswIndexProvider
    let cache: BlockCache
    /// When the deleted share of an index's slots would pass this after a compaction, the index is rebuilt from
    /// its live vectors instead of forked, so that churn does not grow it without bound.
    public let rebuildDeletedFraction: Double

    /// Past this share of deleted slots a compaction rebuilds the HNSW index (Chroma never does; hnswlib keeps
    /// deleted nodes in the graph, costing memory and search time).
    public static let defaultRebuildDeletedFraction = 0.25

    /// A collection with at most this many live records, and no HNSW index yet, keeps its vectors in the record
    /// segment alone and is searched exactly (decision 0025); past it, the next compaction builds its index.
    public let vectorsInRecordsLimit: Int

    /// Below ~1,000 vectors a scan is as fast as a graph search and exact; Chroma keeps such collections' vectors
    /// once, too (in SQLite, before `hnsw:sync_threshold`).
    public static let defaultVectorsInRecordsLimit = 1000

    public init(
        store: any ObjectStore, root: ObjectPath, service: CatalogService,
        provider: HnswIndexProvider, cache: BlockCache,
        rebuildDeletedFraction: Double = Compactor.defaultRebuildDeletedFraction,
        vectorsInRecordsLimit: Int = Compactor.defaultVectorsInRecordsLimit
    ) {
        self.vectorsInRecordsLimit = vectorsInRecordsLimit
        self.store = store
        self.root = root
        self.service = service
        self.provider = provider
        self.cache = cache
        self.rebuildDeletedFraction = rebuildDeletedFraction
    }

    /// Compacts up to `maxRecords` log records (whole fragments; at least one) of the collection. Returns nil when
    /// the log has nothing after the compacted offset. `progress` receives one line per step. `overdue`: the
    /// backlog has waited long (a CPU busy with queries starved the last compactions), so the index build runs at
    /// the queries' priority instead of below them. `seeding`: who may offer a graph already built over the
    /// records being folded (the collection's log tail index, decision 0020). `reporter` hears the log records
    /// read, the records written and the vectors indexed, each a phase named after the collection.
    public func compact(
        collectionID: String, maxRecords: Int = 250_000, progress: (@Sendable (String) -> Void)? = nil,
        reporter: ProgressReporter? = nil, overdue: Bool = false, seeding: (any IndexSeeding)? = nil
    ) async throws -> CompactionSummary? {
        let buildThread: BackgroundBuildThread = overdue ? .compactionOverdue : .compaction
        let started = ContinuousClock.now
        var record = try catalogCall { try $0.collection(id: collectionID) }
        if record.version > 0 {
            // A manifest a crashed writer left one version ahead becomes current first (one GET when there is none).
            try? await service.rollForward(record)
            record = try catalogCall { try $0.collection(id: collectionID) }
        }
        let path = root.collection(tenant: record.tenant, database: record.database, collectionID: collectionID)
        let manifest = try await readManifest(record: record, path: path)
        guard var segments = CollectionSegments(manifest: manifest) else {
            throw CompactionError(.failed, "manifest \(manifest.version) of \(collectionID) lacks a segment")
        }
        let configuration: CollectionConfiguration
        do throws(ValidationError) {
            configuration = try CollectionConfiguration(
                metadata: nil, configuration: manifest.configuration, stored: true)
        } catch {
            throw CompactionError(.failed, "configuration of \(collectionID): \(error.message)")
        }

        // 1. The log after the compacted offset.
        let wal = WriteAheadLog(store: store, path: path)
        let reading = "reading the log of \(record.name)"
        let (fragments, recordsRead) = try await readLog(
            wal, after: manifest.compactedLogOffset, maxRecords: maxRecords
        ) { records in reporter?(JobProgress(reading, unit: "records", done: records)) }
        guard let throughOffset = fragments.last?.offset else { return nil }
        // Nothing but high-water marks: nothing to fold (folding them would only publish the same records again).
        guard fragments.contains(where: { $0.records.contains { !$0.isHighWaterMark } }) else { return nil }
        reporter?(JobProgress(reading, unit: "records", done: recordsRead))
        progress?(
            "collection \(record.name): \(recordsRead) log records in \(fragments.count) fragments (offsets \(manifest.compactedLogOffset + 1)…\(throughOffset))"
        )

        // 2. Materialize against the current segments. The segment writers forked from these readers write through
        // `attempt`, which remembers what this run wrote.
        let attempt = AttemptObjects(wrapping: store)
        let recordReader = try await RecordSegmentReader.open(
            store: attempt, segment: path.segment(segments.record.id), files: segments.record.files, cache: cache)
        let metadataReader = try await MetadataSegmentReader.openOrEmpty(
            store: attempt, segment: path.segment(segments.metadata.id), files: segments.metadata.files, cache: cache)
        var materializer = LogMaterializer(merge: MetadataMerging.merge, normalize: MetadataMerging.normalize)
        let allRecords = fragments.flatMap(\.records)
        try await materializer.seed(for: allRecords, from: recordReader)
        try materializer.apply(allRecords)
        let plan = try CompactionPlan(
            entries: materializer.entries, maxOffsetID: UInt32(clamping: manifest.maxOffsetID))

        // Until its manifest may exist, a failed run removes what it wrote (a failing disk or bucket would
        // otherwise fill with blocks no version uses); from then on a roll-forward may publish it, so it stays.
        var manifestMayExist = false
        var hnswTarget: HNSWIndexLocation?
        let next: CollectionManifest
        let recordCount: Int
        var built = IndexBuild.forked
        var seed: IndexSeed?
        do {
            // 3. Record and metadata segments (copy-on-write forks).
            let changes = plan.writes.count + plan.removals.count
            let writing = "writing the segments of \(record.name)"
            reporter?(JobProgress(writing, unit: "records", done: 0, total: changes))
            let live: RoaringBitmap
            (segments.record.files, segments.metadata.files, live) = try await writeRecordsAndMetadata(
                plan, forking: recordReader, metadataReader, sparseKey: configuration.sparseIndex?.key)
            recordCount = live.count
            reporter?(JobProgress(writing, unit: "records", done: changes, total: changes))
            progress?(
                "collection \(record.name): record and metadata segments written (\(plan.added) added, \(plan.updated) updated, \(plan.deleted) deleted)"
            )

            // 4. The vectors: a small collection keeps them in the record segment alone (decision 0025); otherwise
            // the HNSW index: a fork of the current one (or a new one), changed, written under a new id.
            let dimension = record.dimension ?? plan.writes.first?.record.embedding?.count
            let source = segments.hnswLocation(collection: path)
            // An index is never replaced by the other kind: that would drop every vector it holds.
            guard !segments.holdsSpann || configuration.spann != nil else {
                throw CompactionError(
                    .failed,
                    "version \(manifest.version) of \(collectionID) holds a SPANN index, its configuration no spann")
            }
            if let dimension, !plan.isEmpty, source == nil, !segments.holdsSpann, live.count <= vectorsInRecordsLimit {
                try Self.checkDimension(plan, dimension)
                segments.vector.files = [VectorSegmentFiles.vectorsInRecords: RecordSegmentFiles.records]
            } else if let dimension, !plan.isEmpty, let spann = configuration.spann {
                // A SPANN index (decision 0029): an update of the version's own (copy-on-write forks of its four
                // blockfiles), or a new one from every live vector.
                let indexing = "indexing \(record.name)"
                reporter?(JobProgress(indexing, unit: "vectors", done: 0, total: plan.writes.count))
                let index = try await writeSpann(
                    plan: plan, live: live, dimension: dimension, parameters: spann, segments: segments,
                    storedIn: segments.vectorsInRecords ? recordReader : nil, through: attempt, path: path,
                    progress: { progress?("collection \(record.name): \($0)") })
                reporter?(JobProgress(indexing, unit: "vectors", done: plan.writes.count, total: plan.writes.count))
                segments.vector.files = CollectionSegments.spannFiles(index.roots)
                provider.keep(index.reading(through: store), as: index.roots.cacheKey)
            } else if let dimension, !plan.isEmpty {
                let target = HNSWIndexLocation(
                    collection: path, segmentID: segments.vector.id, indexID: UUID().uuidString.lowercased())
                hnswTarget = target
                seed = await seeding?.seed(
                    IndexSeedRequest(
                        collectionID: collectionID, extending: manifest.version,
                        writes: plan.writes.map {
                            IndexSeedRequest.Write(
                                offsetID: $0.offsetID, id: $0.record.id, embedding: $0.record.embedding)
                        }, live: live))
                do {
                    built = try await writeIndex(
                        on: buildThread,
                        plan: plan, live: live, dimension: dimension, parameters: configuration.hnsw,
                        source: source, storedIn: segments.vectorsInRecords ? recordReader : nil, target: target,
                        seed: seed, progress: { progress?("collection \(record.name): \($0)") },
                        indexed: { done, total in
                            reporter?(
                                JobProgress("indexing \(record.name)", unit: "vectors", done: done, total: total))
                        })
                } catch {
                    provider.evict(target.indexID)
                    throw error
                }
                segments.vector.files = [VectorSegmentFiles.index: target.indexID]
            }

            // 5. Publish: manifest (create-only), then the catalog's compare-and-swap, then drop the folded log.
            var successor = manifest.successor(at: Date())
            successor.compactedLogOffset = throughOffset
            successor.maxOffsetID = UInt64(plan.maxOffsetID)
            successor.recordCount = UInt64(recordCount)
            successor.dimension = manifest.dimension ?? dimension
            successor.segments = segments.manifests
            next = successor
            try await publish(successor, record: record, manifestMayExist: &manifestMayExist)
        } catch {
            if !manifestMayExist {
                let removed = await attempt.discard(alsoUnder: hnswTarget.map { [$0.prefix] } ?? [])
                if removed > 0 { progress?("collection \(record.name): removed \(removed) objects of the failed run") }
            }
            throw error
        }
        await seed?.published(next.version)

        do {
            // The folded fragments go, the last one too once a fragment above it marks the log's high water (a
            // tiny one when no write came since): a collection's log keeps bytes only for what is not folded.
            var removeBefore = throughOffset
            if let above = try? await wal.markHighWater(above: throughOffset) { removeBefore = above }
            try await wal.removeFragments(before: removeBefore)
        } catch {
            // Published already: leftover fragments are below the compacted offset and never read; GC removes them.
            progress?("collection \(record.name): could not remove folded log fragments (\(error)); GC will")
        }
        let seconds = (ContinuousClock.now - started).seconds
        progress?(
            "collection \(record.name): version \(next.version) published in \(String(format: "%.2f", seconds)) s")
        return CompactionSummary(
            collectionID: collectionID, version: next.version, fromOffset: manifest.compactedLogOffset,
            throughOffset: throughOffset, logRecords: recordsRead, added: plan.added, updated: plan.updated,
            deleted: plan.deleted, recordCount: recordCount, rebuiltIndex: built == .rebuilt,
            seededIndex: built == .seeded, seconds: seconds)
    }

    /// Publishes `next` over the version `record` names, in CatalogService's publish order (the one place that owns
    /// it): `conflict` when another writer took the version (a manifest left by a crashed writer is rolled forward).
    private func publish(
        _ next: CollectionManifest, record: CollectionRecord, manifestMayExist: inout Bool
    ) async throws {
        do throws(CatalogError) {
            try await service.publish(next, over: record, manifestMayExist: &manifestMayExist)
        } catch {
            throw CompactionError(error.code == .conflict ? .conflict : .failed, error.message)
        }
    }

    /// How a compaction made its HNSW index.
    enum IndexBuild {
        /// A fork of the version's own index (or a new one), changed by the plan.
        case forked
        /// Built again from the live vectors (the fork's deleted share would pass `rebuildDeletedFraction`).
        case rebuilt
        /// From a graph `IndexSeeding` offered, completed with what it lacked.
        case seeded
    }

    /// Every record the plan writes has an embedding of `dimension`.
    static func checkDimension(_ plan: CompactionPlan, _ dimension: Int) throws {
        for write in plan.writes where write.record.embedding?.count != dimension {
            throw CompactionError(.failed, "record \(write.record.id) has no embedding of dimension \(dimension)")
        }
    }

    /// Applies the plan to a fork of `source` (or a new index) and writes it to `target`. Rebuilds from the live
    /// vectors instead when the fork's deleted share would pass `rebuildDeletedFraction`, and starts from `seed`'s
    /// graph instead when that costs fewer additions. `storedIn`: the record segment holding the current version's
    /// vectors when it has no index (a small collection growing past `vectorsInRecordsLimit`): the new index gets
    /// its live records' vectors too.
    private func writeIndex(
        on thread: BackgroundBuildThread, plan: CompactionPlan, live: RoaringBitmap, dimension: Int,
        parameters: HNSWParameters, source: HNSWIndexLocation?, storedIn records: RecordSegmentReader?,
        target: HNSWIndexLocation, seed: IndexSeed?, progress: (String) -> Void,
        indexed: (_ done: Int, _ total: Int) -> Void
    ) async throws -> IndexBuild {
        try Self.checkDimension(plan, dimension)
        let vectorWrites = plan.vectorWrites
        let removed: [UInt32] = plan.removals.map { $0.offsetID }
        var original: HNSWIndex?
        if let source {
            original = try await vectorCall { () async throws(VectorIndexError) in try await provider.get(source) }
        }
        // The fork's slots and deleted ones after the plan, when there is a version index to fork.
        let fork = original.map { original in
            (
                slots: original.count + vectorWrites.count { $0.previous == nil },
                deleted: original.deletedCount + removed.count
            )
        }
        let mustRebuild =
            fork.map { $0.slots > 0 && Double($0.deleted) / Double($0.slots) > rebuildDeletedFraction } ?? false
        // Without a graph to fork (a first index, or one replacing vectors kept in the records) every live vector is
        // added either way.
        let forkAdds = original == nil || mustRebuild ? live.count : vectorWrites.count
        if let seed, worthSeeding(seed, live: live.count, forkAdds: forkAdds) {
            try await seedIndex(
                seed, on: thread, plan: plan, live: live, original: original, storedIn: records, dimension: dimension,
                target: target, progress: progress, indexed: indexed)
            return .seeded
        }
        let index: HNSWIndex
        var rebuilt = false
        if let source, let original, let fork {
            if mustRebuild {
                progress("rebuilding the HNSW index: \(fork.deleted) of \(fork.slots) slots would be deleted")
                index = try await rebuildIndex(
                    on: thread,
                    from: original, writes: vectorWrites, live: live, dimension: dimension, parameters: parameters,
                    target: target, progress: progress, indexed: indexed)
                rebuilt = true
            } else {
                index = try await vectorCall { () async throws(VectorIndexError) in
                    try await provider.fork(source, to: target)
                }
                if !removed.isEmpty {
                    try await vectorCall { () async throws(VectorIndexError) in try index.markDeleted(removed) }
                }
                try await addVectors(
                    on: thread,
                    vectorWrites.map { ($0.offsetID, $0.record.embedding ?? []) }, to: index, dimension: dimension,
                    progress: progress, indexed: indexed)
            }
        } else {
            // A new index: the plan's vectors, and the live ones the version kept in its record segment.
            let vectors = try await liveVectors(plan: plan, live: live, storedIn: records)
            index = try await vectorCall { () async throws(VectorIndexError) in
                try await provider.create(
                    at: target, dimension: dimension, parameters: parameters,
                    capacity: max(Self.minimumIndexCapacity, vectors.count))
            }
            try await addVectors(
                on: thread, vectors, to: index, dimension: dimension, progress: progress, indexed: indexed)
        }
        try await vectorCall { () async throws(VectorIndexError) in try await provider.commit(index, to: target) }
        return rebuilt ? .rebuilt : .forked
    }

    /// The plan applied to the version's SPANN index, or a new index of every live vector (the plan's, and those
    /// the version kept in its record segment), written through `store` into the vector segment's folder. Past
    /// `rebuildDeletedFraction` of deleted ids the update also sweeps every posting (drops deleted entries, merges
    /// what that leaves small), as an HNSW index is rebuilt.
    private func writeSpann(
        plan: CompactionPlan, live: RoaringBitmap, dimension: Int, parameters: SpannParameters,
        segments: CollectionSegments, storedIn records: RecordSegmentReader?, through store: any ObjectStore,
        path: CollectionPath, progress: (String) -> Void
    ) async throws -> SpannIndex {
        try Self.checkDimension(plan, dimension)
        let location = segments.vectorLocation(collection: path)
        do {
            guard let roots = segments.spannRoots(dimension: dimension, space: parameters.space) else {
                let rows = try await liveVectors(plan: plan, live: live, storedIn: records)
                progress("building the SPANN index of \(rows.count) vectors")
                let index = try await SpannIndex.build(
                    rows: rows, dimension: dimension, parameters: parameters, store: store, location: location,
                    cache: cache)
                progress("SPANN index built: \(index.headCount) postings")
                return index
            }
            let base = try await provider.spann(
                roots, parameters: parameters, store: self.store, location: location, cache: cache)
            let upserts = plan.vectorWrites.map { ($0.offsetID, $0.record.embedding ?? []) }
            let deletes = plan.removals.map(\.offsetID)
            let slots = base.liveCount + base.deletedCount
            let sweep = slots > 0 && Double(base.deletedCount + deletes.count) / Double(slots) > rebuildDeletedFraction
            let index = try await base.reading(through: store).update(
                upserts: upserts, deletes: deletes, sweep: sweep, into: location)
            let done = index.updateStatistics
            progress(
                "SPANN index updated: \(done.upserted) written, \(done.deleted) deleted, \(done.splits) splits, "
                    + "\(done.merges) merges, \(done.reassigned) reassigned\(sweep ? ", swept" : ""); "
                    + "\(index.headCount) postings")
            return index
        } catch let error as SpannError {
            throw CompactionError(.failed, "SPANN index of segment \(segments.vector.id): \(error)")
        }
    }

    /// A seed is worth taking when completing it adds fewer vectors than the fork would, and its stale elements
    /// (marked deleted) stay below the rebuild threshold.
    func worthSeeding(_ seed: IndexSeed, live: Int, forkAdds: Int) -> Bool {
        let adds = live - seed.covered
        let elements = seed.elements + adds
        guard seed.covered > 0, adds < forkAdds, elements > 0 else { return false }
        return Double(seed.elements - seed.covered) / Double(elements) <= rebuildDeletedFraction
    }

    /// The seed's graph, completed with the live vectors it lacks (the plan's, or the version's own), written to
    /// `target`.
    private func seedIndex(
        _ seed: IndexSeed, on thread: BackgroundBuildThread, plan: CompactionPlan, live: RoaringBitmap,
        original: HNSWIndex?, storedIn records: RecordSegmentReader?, dimension: Int, target: HNSWIndexLocation,
        progress: (String) -> Void, indexed: (_ done: Int, _ total: Int) -> Void
    ) async throws {
        let (index, holds): (HNSWIndex, RoaringBitmap)
        do {
            (index, holds) = try await seed.graph()
        } catch {
            throw CompactionError(.failed, "copying the log tail's graph: \(error)")
        }
        guard index.dimension == dimension else {
            throw CompactionError(
                .failed, "the log tail's graph has dimension \(index.dimension), the collection \(dimension)")
        }
        var fresh: [UInt32: [Float]] = [:]
        for write in plan.writes { fresh[write.offsetID] = write.record.embedding }
        var missing: [(UInt32, [Float])] = []
        var unwritten: [UInt32] = []
        for offsetID in live.subtracting(holds).array {
            if let vector = fresh[offsetID] {
                missing.append((offsetID, vector))
            } else if let original {
                missing.append(
                    (
                        offsetID,
                        try await vectorCall { () throws(VectorIndexError) in try original.vector(for: offsetID) }
                    ))
            } else if records != nil {
                unwritten.append(offsetID)
            } else {
                throw CompactionError(.failed, "offset id \(offsetID) is live but in no index")
            }
        }
        missing += try await storedVectors(unwritten, in: records)
        progress("the HNSW index starts from the log tail's graph (\(holds.count) of \(live.count) vectors in it)")
        try await vectorCall { () async throws(VectorIndexError) in try await provider.adopt(index, at: target) }
        try await addVectors(
            on: thread, missing, to: index, dimension: dimension, progress: progress, indexed: indexed)
        try await vectorCall { () async throws(VectorIndexError) in try await provider.commit(index, to: target) }
    }

    /// Log fragments asked for per read while gathering what a run folds.
    static let fragmentsPerRead = 64

    /// Whole fragments after `offset`, up to `maxRecords` records (at least one fragment when there is one);
    /// `read` hears the records read so far after each full batch (a long read; the caller reports the end, once it
    /// knows the run has something to fold).
    private func readLog(
        _ wal: WriteAheadLog, after offset: UInt64, maxRecords: Int, read: (_ records: Int) -> Void
    ) async throws -> (fragments: [LogFragment], records: Int) {
        var fragments: [LogFragment] = []
        var recordsRead = 0
        var after = offset
        while recordsRead < maxRecords {
            let batch = try await wal.read(after: after, limit: Self.fragmentsPerRead)
            for fragment in batch where recordsRead < maxRecords || fragments.isEmpty {
                fragments.append(fragment)
                recordsRead += fragment.records.count
            }
            guard let last = batch.last, batch.count == Self.fragmentsPerRead, fragments.last?.offset == last.offset
            else { break }
            read(recordsRead)
            after = last.offset
        }
        return (fragments, recordsRead)
    }

    /// Applies the plan to copy-on-write forks of the record and metadata segments and writes them: their new
    /// files and the live offset ids.
    private func writeRecordsAndMetadata(
        _ plan: CompactionPlan, forking recordReader: RecordSegmentReader, _ metadataReader: MetadataSegmentReader,
        sparseKey: String?
    ) async throws -> (record: [String: String], metadata: [String: String], live: RoaringBitmap) {
        let recordWriter = RecordSegmentWriter(forking: recordReader)
        let metadataWriter = MetadataSegmentWriter(forking: metadataReader, sparseKey: sparseKey)
        for removal in plan.removals {
            try recordWriter.delete(offsetID: removal.offsetID, userID: removal.record.id)
            try metadataWriter.remove(
                offsetID: removal.offsetID, metadata: try removal.record.parsedMetadata,
                document: removal.record.document)
        }
        for write in plan.writes {
            try recordWriter.set(offsetID: write.offsetID, write.record)
            if let previous = write.previous {
                try metadataWriter.remove(
                    offsetID: write.offsetID, metadata: try previous.parsedMetadata, document: previous.document)
            }
            try metadataWriter.add(
                offsetID: write.offsetID, metadata: try write.record.parsedMetadata, document: write.record.document)
        }
        return (try await recordWriter.commit(), try await metadataWriter.commit(), recordWriter.live)
    }

    /// A new index's initial capacity is at least this many vectors (it grows as vectors are added).
    static let minimumIndexCapacity = 1000
    /// Vectors added to an index per call (and per progress line on large batches).
    static let vectorsPerAdd = 10_000

    /// A new index holding exactly the live records' vectors: the plan's new ones, the rest copied from `original`.
    private func rebuildIndex(
        on thread: BackgroundBuildThread, from original: HNSWIndex, writes: [CompactionPlan.Write], live: RoaringBitmap,
        dimension: Int,
        parameters: HNSWParameters, target: HNSWIndexLocation, progress: (String) -> Void,
        indexed: (_ done: Int, _ total: Int) -> Void
    ) async throws -> HNSWIndex {
        var fresh: [UInt32: [Float]] = [:]
        for write in writes { fresh[write.offsetID] = write.record.embedding }
        var vectors: [(UInt32, [Float])] = []
        vectors.reserveCapacity(live.count)
        for offsetID in live.array {
            if let vector = fresh[offsetID] {
                vectors.append((offsetID, vector))
            } else {
                let vector = try await vectorCall { () async throws(VectorIndexError) in
                    try original.vector(for: offsetID)
                }
                vectors.append((offsetID, vector))
            }
        }
        let index = try await vectorCall { () async throws(VectorIndexError) in
            try await provider.create(
                at: target, dimension: dimension, parameters: parameters,
                capacity: max(Self.minimumIndexCapacity, vectors.count))
        }
        try await addVectors(
            on: thread, vectors, to: index, dimension: dimension, progress: progress, indexed: indexed)
        return index
    }

    /// Every live vector of a new index: the plan's, and those the version kept in its record segment (`records`,
    /// when it has no index yet: a small collection growing past `vectorsInRecordsLimit`).
    private func liveVectors(plan: CompactionPlan, live: RoaringBitmap, storedIn records: RecordSegmentReader?)
        async throws -> [(UInt32, [Float])]
    {
        var written = RoaringBitmap()
        for write in plan.writes { written.insert(write.offsetID) }
        return try await storedVectors(records == nil ? [] : live.subtracting(written).array, in: records)
            + plan.writes.map { ($0.offsetID, $0.record.embedding ?? []) }
    }

    /// The vectors of `offsetIDs` as the record segment stores them (a version that keeps its vectors there).
    private func storedVectors(_ offsetIDs: [UInt32], in records: RecordSegmentReader?) async throws
        -> [(UInt32, [Float])]
    {
        guard let records, !offsetIDs.isEmpty else { return [] }
        let stored = try await records.records(offsetIDs)
        return try zip(offsetIDs, stored).map { offsetID, record in
            guard let embedding = record?.embedding else {
                throw CompactionError(.failed, "offset id \(offsetID) is live but its record holds no vector")
            }
            return (offsetID, embedding)
        }
    }

    /// Adds `(offset id, vector)` pairs in chunks, reporting progress on large batches (lines) and after every
    /// chunk (`indexed`: vectors added of all).
    private func addVectors(
        on thread: BackgroundBuildThread, _ vectors: [(UInt32, [Float])], to index: HNSWIndex, dimension: Int,
        progress: (String) -> Void, indexed: (_ done: Int, _ total: Int) -> Void
    ) async throws {
        let chunk = Self.vectorsPerAdd
        if !vectors.isEmpty { indexed(0, vectors.count) }
        for first in stride(from: 0, to: vectors.count, by: chunk) {
            let last = min(vectors.count, first + chunk)
            var flat: [Float] = []
            flat.reserveCapacity((last - first) * dimension)
            for (_, vector) in vectors[first..<last] { flat += vector }
            let ids = vectors[first..<last].map { $0.0 }
            // On the build thread, below queries in priority (decision 0020).
            let batch = flat
            try await vectorCall { () async throws(VectorIndexError) in
                try await thread.run { () throws(VectorIndexError) in
                    try index.add(flat: batch, ids: ids)
                }
            }
            if vectors.count > chunk { progress("indexed \(last)/\(vectors.count) vectors") }
            indexed(last, vectors.count)
        }
    }

    private func vectorCall<T>(_ body: () async throws(VectorIndexError) -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw CompactionError(.failed, "HNSW index: \(error.message)")
        }
    }

    private func readManifest(record: CollectionRecord, path: CollectionPath) async throws -> CollectionManifest {
        do {
            return try await manifests.read(
                tenant: record.tenant, database: record.database, collectionID: record.id, version: record.version)
        } catch {
            throw CompactionError(.failed, "reading manifest \(record.version) of \(record.id): \(error)")
        }
    }

    private func catalogCall<T>(_ body: (CatalogDatabase) throws -> T) throws -> T {
        do {
            return try body(catalog)
        } catch let error as CatalogError {
            throw CompactionError(error.code == .notFound ? .notFound : .failed, error.message)
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension DataRecord {
    var parsedMetadata: Metadata? {
        get throws { try metadataJSON.map { try Metadata(jsonText: $0) } }
    }
}
