// Garbage collection, the store check, racing compactors and index rebuilds under churn, each checked against the
// brute-force model: what a user relies on is that maintenance never changes what the collection answers.
import Cairn
import Catalog
import Foundation
import Log
import ObjectStore
import StorageTesting
import Synchronization
import Testing

@Suite struct MaintenanceTests {
    typealias Model = CollectionModelTests

    /// Writes random batches with a compaction after each round: several versions, with garbage between them.
    static func populate(_ collection: Collection, rounds: Int, seed: UInt64) async throws -> CollectionModel {
        var model = CollectionModel()
        var rng = SplitMix64(seed: seed)
        for _ in 0..<rounds {
            for _ in 0..<8 { try await Model.randomWrite(collection, &model, &rng) }
            _ = try await collection.compact()
        }
        for _ in 0..<4 { try await Model.randomWrite(collection, &model, &rng) }  // and an uncompacted tail
        return model
    }

    static func verify(_ collection: Collection, _ model: CollectionModel, seed: UInt64, _ step: Int) async throws {
        var rng = SplitMix64(seed: seed &+ UInt64(step))
        try await Model.check(collection, model, &rng, step: step)
    }

    static func keys(_ folder: URL) async throws -> Set<String> {
        Set(try await LocalFileStore(root: folder).listAll(prefix: "tenant/").map(\.key))
    }

    static let collectAll = GarbageCollectionPolicy(keepVersions: 1, minAge: 0)

    /// After a compaction the log keeps no folded fragment, only a tiny high-water mark above them (decision 0023),
    /// and a writer that knows nothing of the compaction (its idea of the compacted offset is 0) still appends where
    /// readers look: its write is read.
    @Test func compactionLeavesATinyHighWaterMarkThatStaleWritersAppendAbove() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: .manualMaintenance)
            let collection = try await client.createCollection("mark")
            var rng = SplitMix64(seed: 23)
            let vectors = (0..<500).map { _ in Model.randomEmbedding(&rng) }
            try await collection.add(ids: (0..<500).map { "r\($0)" }, embeddings: vectors)
            let summary = try #require(try await collection.compact())
            let store = try LocalFileStore(root: folder)
            let path = ObjectPath().collection(
                tenant: Client.defaultTenant, database: Client.defaultDatabase, collectionID: collection.id)
            let fragments = try await store.listAll(prefix: path.logPrefix)
            #expect(fragments.count == 1, "one fragment left: \(fragments.map(\.key))")
            #expect((fragments.first?.size ?? .max) < 2048, "and it is tiny")
            #expect((fragments.first.flatMap { path.logOffset(ofKey: $0.key) } ?? 0) > summary.throughOffset)
            // A compaction with nothing but the mark to fold publishes nothing, and a process opening the store
            // finds no backlog in it (the mark is not a write to compact).
            #expect(try await collection.compact() == nil)
            let lines = LockedLines()
            var options = Client.Options()
            options.log = { lines.append($0) }
            let other = try await Client.open(folder.path, options: options)
            await other.waitForBackgroundCompaction()
            try await Task.sleep(for: .milliseconds(300))
            #expect(!lines.lines.contains { $0.contains("found uncompacted log records") }, "\(lines.lines)")

            let stale = WriteAheadLog(store: store, path: path, compactedOffset: { 0 })
            let offset = try await stale.append([LogRecord(.add, id: "late", embedding: vectors[0])])
            #expect(offset > summary.throughOffset)
            let reopened = try await Client.open(folder.path, options: .manualMaintenance)
            #expect(try await reopened.getCollection("mark").count() == 501)
            #expect(try await client.check().isClean)
        }
    }

    @Test func gcDeletesOnlyWhatNoKeptVersionReferences() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: Model.options())
            let collection = try await client.createCollection("gc-test")
            let model = try await Self.populate(collection, rounds: 5, seed: 11)
            let before = try await Self.keys(folder)

            let dryRun = try await client.collectGarbage(
                GarbageCollectionPolicy(keepVersions: 2, minAge: 0, dryRun: true))
            #expect(dryRun.deletions.count > 0)
            #expect(dryRun.count(.manifest) > 0 && dryRun.count(.root) > 0 && dryRun.count(.block) > 0)
            #expect(try await Self.keys(folder) == before, "a dry run deletes nothing")

            let report = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 2, minAge: 0))
            #expect(Set(report.deletions.map(\.key)) == Set(dryRun.deletions.map(\.key)))
            #expect(report.keptVersions == 2 && report.failures.isEmpty && report.skipped.isEmpty)
            let after = try await Self.keys(folder)
            #expect(after == before.subtracting(report.deletions.map(\.key)))
            let keptManifests = after.filter { $0.contains("/version/") }.sorted()
            #expect(keptManifests.count == 2)
            // The catalog forgets the collected versions too: its rows are the two kept manifests.
            let catalog = try CatalogDatabase(url: CatalogDatabase.fileURL(inFolder: folder))
            #expect(try catalog.versions(collectionID: collection.id).map(\.manifestKey) == keptManifests)
            try await Self.verify(collection, model, seed: 11, 1)
            #expect(try await client.check(loadIndexes: true).problems == [])

            // Idempotent, and a fresh process over the collected store sees the same collection.
            #expect(
                try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 2, minAge: 0)).deletions == [])
            let reopened = try await Client.open(folder.path, options: Model.options())
            try await Self.verify(try await reopened.getCollection("gc-test"), model, seed: 11, 2)

            // Keeping one version, the previous one's manifest and its private files go too.
            let tight = try await client.collectGarbage(Self.collectAll)
            #expect(tight.count(.manifest) == 1)
            #expect(try await client.check().isClean)
            try await Self.verify(collection, model, seed: 11, 3)
        }
    }

    @Test func gcLeavesYoungObjectsAlone() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: Model.options())
            let collection = try await client.createCollection("young")
            _ = try await Self.populate(collection, rounds: 3, seed: 12)
            let report = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 3600))
            // Only folded log fragments may go at once; every version was replaced moments ago.
            #expect(report.deletions.allSatisfy { $0.kind == .log })
            #expect(report.keptVersions > 1)
        }
    }

    @Test func gcRemovesDeletedCollectionsAndOrphansButNotForeignKeys() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: Model.options())
            let doomed = try await client.createCollection("doomed")
            _ = try await Self.populate(doomed, rounds: 2, seed: 13)
            let kept = try await client.createCollection("kept")
            let model = try await Self.populate(kept, rounds: 2, seed: 14)
            try await client.deleteCollection("doomed")

            // An orphan block (a compaction that died before publishing) and a key Cairn does not know.
            let store = try LocalFileStore(root: folder)
            let keptKeys = try await store.listAll(prefix: "tenant/").map(\.key).filter { $0.contains(kept.id) }
            let someBlock = keptKeys.first { $0.contains("/block/") }!
            let orphanKey = String(someBlock[..<someBlock.range(of: "/block/")!.upperBound]) + "orphan"
            let foreign = String(someBlock[..<someBlock.range(of: kept.id)!.upperBound]) + "/notes.txt"
            try await store.put(orphanKey, data: Data("half-written".utf8))
            try await store.put(foreign, data: Data("mine".utf8))

            let report = try await client.collectGarbage(Self.collectAll)
            #expect(report.removedCollections == 1)
            #expect(try await store.listAll(prefix: "tenant/").allSatisfy { !$0.key.contains(doomed.id) })
            #expect(report.deletions.contains { $0.key == orphanKey })
            #expect(try await store.exists(foreign))
            #expect(try await client.check().isClean)
            try await Self.verify(kept, model, seed: 14, 1)

            // The bucket alone still rebuilds to the one live collection.
            try await TemporaryDirectory.with { catalogFolder in
                var options = Model.options()
                options.catalogFile = catalogFolder.appendingPathComponent("rebuilt.sqlite3")
                let rebuilt = try await Client.open(folder.path, options: options)
                #expect(try await rebuilt.listCollections().map(\.name) == ["kept"])
            }
        }
    }

    @Test func checkNamesDanglingAndCorruptObjects() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: Model.options(vectorsInRecordsLimit: 0))
            let collection = try await client.createCollection("checked")
            _ = try await Self.populate(collection, rounds: 2, seed: 15)
            _ = try await client.collectGarbage(Self.collectAll)
            let clean = try await client.check(loadIndexes: true)
            #expect(clean.isClean && clean.versions == 1 && clean.indexes == 1 && clean.entries > 0)

            let store = try LocalFileStore(root: folder)
            let keys = try await store.listAll(prefix: "tenant/").map(\.key)
            let block = keys.first { $0.contains("/block/") }!
            let root = keys.first { $0.contains("/root/") }!
            let index = keys.first { $0.hasSuffix("/index.bin") }!

            try await store.delete(block)
            var report = try await client.check()
            #expect(report.problems.count >= 1)
            #expect(report.problems.contains { "\($0)".contains(block.split(separator: "/").last!) })

            let rootData = try await store.get(root).data
            try await store.put(root, data: rootData.prefix(rootData.count / 2))
            report = try await client.check()
            #expect(report.problems.contains { "\($0)".contains(root.split(separator: "/").last!) })

            try await store.put(index, data: Data("not an index".utf8))
            report = try await client.check()
            #expect(report.problems.contains { "\($0)".contains("HNSW index") })

            // Through the binary: a problem is a failing exit status.
            let result = try CairnBinary.run(["check", folder.path])
            #expect(result.status == 1)
            #expect(String(decoding: result.stdout, as: UTF8.self).contains("PROBLEM"))
        }
    }

    @Test func gcAndCheckCommandsReportWhatTheyDid() async throws {
        try await TemporaryDirectory.with { folder in
            do {
                let client = try await Client.open(folder.path, options: Model.options())
                _ = try await Self.populate(try await client.createCollection("cli"), rounds: 3, seed: 16)
            }
            let dry = try CairnBinary.run(["gc", folder.path, "--min-age", "0", "--dry-run", "--verbose"])
            let dryOutput = String(decoding: dry.stdout, as: UTF8.self)
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dryOutput.contains("would delete") && dryOutput.contains("manifest"), "\(dryOutput)")

            let run = try CairnBinary.run(["gc", folder.path, "--min-age", "0"])
            let output = String(decoding: run.stdout, as: UTF8.self)
            #expect(run.status == 0 && output.contains("deleted"), "\(output)")

            let check = try CairnBinary.run(["check", folder.path, "--load-indexes"])
            #expect(check.status == 0, "\(String(decoding: check.stdout, as: UTF8.self))")
            #expect(String(decoding: check.stdout, as: UTF8.self).contains("ok"))
        }
    }

    /// Polls `condition` for up to 20 s (background work runs on its own schedule).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<200 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test func backgroundMaintenanceCompactsOldTailsAndCollectsGarbage() async throws {
        try await TemporaryDirectory.with { folder in
            var options = Model.options()
            options.compactionThreshold = 1_000_000  // never by count: only the age threshold fires
            options.compactionMaxAge = .milliseconds(200)
            options.garbageCollectionInterval = .milliseconds(300)
            // A short age, but longer than a compaction here: GC must not take an unpublished version's files.
            options.garbageCollectionPolicy = GarbageCollectionPolicy(keepVersions: 1, minAge: 2)
            let client = try await Client.open(folder.path, options: options)
            let collection = try await client.createCollection("background")
            var model = CollectionModel()
            var rng = SplitMix64(seed: 19)
            let catalog = try CatalogDatabase(url: CatalogDatabase.fileURL(inFolder: folder))
            for round in 0..<3 {
                for _ in 0..<4 { try await Model.randomWrite(collection, &model, &rng) }
                // The newest fragment holding a write (not the high-water mark a compaction leaves: nothing folds it
                // until a write comes).
                let log = WriteAheadLog(
                    store: try LocalFileStore(root: folder),
                    path: ObjectPath().collection(
                        tenant: Client.defaultTenant, database: Client.defaultDatabase, collectionID: collection.id))
                let offset =
                    try await log.read(after: 0, limit: 10_000).filter {
                        $0.records.contains { !$0.isHighWaterMark }
                    }.map(\.offset).max() ?? 0
                #expect(
                    try await Self.eventually {
                        try catalog.collection(id: collection.id).compactedLogOffset >= offset
                    },
                    "round \(round): the old tail was compacted in the background")
            }
            #expect(
                try await Self.eventually {
                    try await Self.keys(folder).filter { $0.contains("/version/") }.count == 1
                }, "background GC kept one version")
            await client.waitForBackgroundCompaction()
            try await Self.verify(collection, model, seed: 19, 1)
            #expect(try await client.check().isClean)
        }
    }

    @Test func aQuerySaysWhatItReadFromTheStore() async throws {
        try await TemporaryDirectory.with { folder in
            do {
                let client = try await Client.open(folder.path, options: Model.options())
                _ = try await Self.populate(try await client.createCollection("observed"), rounds: 2, seed: 20)
                _ = try await client.getCollection("observed").compact()
            }
            let client = try await Client.open(folder.path, options: Model.options())
            let collection = try await client.getCollection("observed")
            let query = [Float](repeating: 0.1, count: Model.dimension)
            let (_, cold) = try await Client.measuringFetches {
                try await collection.query(queryEmbeddings: [query], nResults: 3, include: Include(.documents))
            }
            #expect(cold.objects > 0 && cold.bytes > 0 && !cold.fromCache, "\(cold)")
            let (_, warm) = try await Client.measuringFetches {
                try await collection.query(queryEmbeddings: [query], nResults: 3, include: Include(.documents))
            }
            #expect(warm.fromCache, "the same query again is served from the caches: \(warm)")
        }
    }

    @Test func racingCompactorsPublishExactlyOnce() async throws {
        try await TemporaryDirectory.with { folder in
            let gate = ManifestGate(parties: 2)
            var options = Model.options()
            let first = Client(
                store: GatedStore(try LocalFileStore(root: folder), gate: gate),
                catalog: try CatalogDatabase(url: folder.appendingPathComponent("catalog.sqlite3")), options: options)
            options.refreshInterval = .zero
            let second = Client(
                store: GatedStore(try LocalFileStore(root: folder), gate: gate),
                catalog: try CatalogDatabase(url: folder.appendingPathComponent("catalog.sqlite3")), options: options)
            let collection = try await first.createCollection("race")
            var model = CollectionModel()
            var rng = SplitMix64(seed: 17)
            for _ in 0..<10 { try await Model.randomWrite(collection, &model, &rng) }
            let other = try await second.getCollection("race")
            gate.arm()

            async let a = Result { try await collection.compact() }
            async let b = Result { try await other.compact() }
            let outcomes = [await a, await b]
            let published = outcomes.compactMap { try? $0.get() }
            let conflicts = outcomes.filter {
                if case .failure(let error as CairnError) = $0 { return error.code == .conflict }
                return false
            }
            #expect(published.count == 1 && conflicts.count == 1, "\(outcomes)")

            try await Self.verify(collection, model, seed: 17, 1)
            try await Self.verify(other, model, seed: 17, 2)
            // The loser removed what it wrote (its manifest never existed: another's held the version), so GC finds
            // no blocks of it, and the store checks clean.
            #expect(try await first.collectGarbage(Self.collectAll).count(.block) == 0)
            #expect(try await first.check(loadIndexes: true).isClean)
            try await Self.verify(collection, model, seed: 17, 3)
        }
    }

    @Test func churnRebuildsTheIndexInsteadOfGrowingIt() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: Model.options(vectorsInRecordsLimit: 0))
            let collection = try await client.createCollection("churn")
            var model = CollectionModel()
            var rng = SplitMix64(seed: 18)
            func add(_ range: Range<Int>) async throws {
                let ids = range.map { "r\($0)" }
                let embeddings = ids.map { _ in Model.randomEmbedding(&rng) }
                try await collection.add(ids: ids, embeddings: embeddings)
                for (id, embedding) in zip(ids, embeddings) { model.add(id, embedding, nil, nil) }
            }
            try await add(0..<200)
            #expect(try await collection.compact()?.rebuiltIndex == false)
            // A few deletions: the index is forked and the deleted slots stay marked.
            try await collection.delete(ids: (0..<20).map { "r\($0)" })
            for i in 0..<20 { model.delete("r\(i)") }
            #expect(try await collection.compact()?.rebuiltIndex == false)
            // Past a quarter of the slots deleted, the next compaction builds a graph of the live vectors only:
            // rebuilt from them, or (cheaper) the log tail's graph of the new records completed with the rest.
            try await collection.delete(ids: (20..<120).map { "r\($0)" })
            for i in 20..<120 { model.delete("r\(i)") }
            try await add(200..<230)
            let summary = try await collection.compact()
            #expect(summary?.rebuiltIndex == true || summary?.seededIndex == true)
            #expect(summary?.recordCount == 110)
            try await Self.verify(collection, model, seed: 18, 1)
            #expect(try await client.check(loadIndexes: true).isClean)

            let reopened = try await Client.open(folder.path, options: Model.options())
            try await Self.verify(try await reopened.getCollection("churn"), model, seed: 18, 2)
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}

/// Holds the first version-manifest write of each party until `parties` of them are waiting, so that two
/// compactors are sure to race for the same version.
final class ManifestGate: Sendable {
    private struct State {
        var armed = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        var released = false
    }
    private let state = Mutex(State())
    let parties: Int

    init(parties: Int) { self.parties = parties }

    func arm() { state.withLock { $0.armed = true } }

    func pass() async {
        await withCheckedContinuation { continuation in
            let release: [CheckedContinuation<Void, Never>] = state.withLock { state in
                guard state.armed, !state.released else { return [continuation] }
                state.waiting.append(continuation)
                guard state.waiting.count == parties else { return [] }
                state.released = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for waiter in release { waiter.resume() }
        }
    }
}

/// A store whose version-manifest writes go through a `ManifestGate`.
struct GatedStore: WrappingStore {
    let wrapped: any ObjectStore
    let gate: ManifestGate

    init(_ wrapped: any ObjectStore, gate: ManifestGate) {
        self.wrapped = wrapped
        self.gate = gate
    }

    func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        if key.contains("/version/") { await gate.pass() }
        return try await wrapped.put(key, data: data, condition: condition)
    }
}
