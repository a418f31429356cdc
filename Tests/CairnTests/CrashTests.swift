// Crash safety in-process: a compaction and a garbage collection are "killed" at every store write they make
// (before the write lands, and after it landed but before the caller heard), then the store is reopened. Every
// acknowledged write must be there exactly once, no deleted record may come back, queries must match the
// brute-force model, the next compaction and GC must succeed, and `check` must find nothing wrong.
import Cairn
import CairnJSON
import Catalog
import Foundation
import ObjectStore
import StorageTesting
import Synchronization
import Testing

@Suite struct CrashTests {
    typealias Model = CollectionModelTests

    /// A store folder with its catalog file, as a process leaves them on disk.
    struct Disk {
        let folder: URL
        /// The options every process over this disk opens it with.
        var options = Model.options()
        var catalogURL: URL { folder.appendingPathComponent("catalog.sqlite3") }

        func client(_ store: any ObjectStore) throws -> Client {
            Client(store: store, catalog: try CatalogDatabase(url: catalogURL), options: options)
        }

        func copy(to other: URL) throws -> Disk {
            try FileManager.default.copyItem(at: folder, to: other)
            return Disk(folder: other, options: options)
        }
    }

    /// Several compacted versions with garbage between them, then an uncompacted tail: the state a crash hits.
    /// `configuration` and `options`: the collection's (a SPANN one, say) and the client's.
    static func prepare(
        _ folder: URL, seed: UInt64, configuration: [String: JSONValue]? = nil,
        options: Client.Options = Model.options()
    ) async throws -> (Disk, CollectionModel) {
        let disk = Disk(folder: folder, options: options)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var model = CollectionModel()
        var rng = SplitMix64(seed: seed)
        do {
            let client = try disk.client(try LocalFileStore(root: folder))
            // With a sparse vector index, so that compaction's sparse postings are crashed into too.
            let collection = try await client.createCollection(
                "crash", configuration: configuration, schema: sparseSchema)
            for round in 0..<3 {
                for _ in 0..<6 { try await Model.randomWrite(collection, &model, &rng) }
                try await addSparse(collection, &model, &rng, round: round)
                if round < 2 { _ = try await collection.compact() }
            }
        }
        return (disk, model)
    }

    static let sparseSchema: [String: JSONValue] = [
        "keys": .object([
            "sparse": .object([
                "sparse_vector": .object([
                    "sparse_vector_index": .object(["enabled": true, "config": .object(["bm25": true])])
                ])
            ])
        ])
    ]

    /// A few records with sparse vectors under `sparse`.
    static func addSparse(_ collection: Collection, _ model: inout CollectionModel, _ rng: inout SplitMix64, round: Int)
        async throws
    {
        for i in 0..<5 {
            let indices = Set((0..<3).map { _ in UInt32.random(in: 0..<12, using: &rng) }).sorted()
            let vector = try SparseVector(
                indices: indices, values: indices.map { _ in Float.random(in: 0.1...2, using: &rng) })
            let id = "sparse-\(round)-\(i)"
            let embedding = Model.randomEmbedding(&rng)
            try await collection.add(ids: [id], embeddings: [embedding], metadatas: [["sparse": .sparseVector(vector)]])
            model.add(id, embedding, ["sparse": .sparseVector(vector)], nil)
        }
    }

    /// Sparse `$knn` answers as exact scoring over the model's records (IDF included).
    static func checkSparse(_ collection: Collection, _ model: CollectionModel, label: String) async throws {
        let query = try SparseVector(indices: [1, 4, 7], values: [1, 0.5, 2])
        let total = Float(model.records.count)
        var vectors: [(SparseVector, Int, String)] = []
        for record in model.records.values {
            if case .sparseVector(let vector)? = record.metadata?["sparse"] {
                vectors.append((vector, record.order, record.id))
            }
        }
        let scaled = query.scaled { index in
            let n = Float(vectors.count { $0.0.indices.contains(index) })
            return log1pf((total - n + 0.5) / (n + 0.5))
        }
        let want = vectors.filter { $0.0.indices.contains { scaled.indices.contains($0) } }
            .map { (1 - scaled.dot($0.0), $0.1, $0.2) }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.prefix(10)
        let got = try await collection.search([
            SearchPayload(
                rank: .knn(
                    KnnTerm(query: .sparse(indices: query.indices, values: query.values), key: "sparse", limit: 10)),
                select: ["#score"])
        ])[0]
        #expect(got.ids == want.map(\.2), "\(label): sparse ranking")
        for (score, expected) in zip(got.scores ?? [], want.map(\.0)) {
            #expect(abs(score - expected) < 1e-4, "\(label)")
        }
    }

    /// After a crash: a fresh process over what is on disk answers like the model, compacts and collects cleanly.
    static func recoverAndVerify(_ disk: Disk, _ model: CollectionModel, label: String) async throws {
        let client = try disk.client(try LocalFileStore(root: disk.folder))
        let collection = try await client.getCollection("crash")
        var rng = SplitMix64(seed: 99)
        try await Model.check(collection, model, &rng, step: 1)
        try await checkSparse(collection, model, label: label)
        _ = try await collection.compact()
        try await Model.check(collection, model, &rng, step: 2)
        try await checkSparse(collection, model, label: label)
        _ = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
        let report = try await client.check(loadIndexes: true)
        #expect(report.isClean, "\(label): \(report.problems)")
        let fresh = try disk.client(try LocalFileStore(root: disk.folder))
        try await Model.check(try await fresh.getCollection("crash"), model, &rng, step: 3)
    }

    /// Store writes `job` makes on an uncrashed copy of `base`.
    static func writes(of job: (Client) async throws -> Void, on base: Disk, scratch: URL) async throws -> Int {
        let probeDisk = try base.copy(to: scratch.appendingPathComponent("probe"))
        let probe = FaultInjectingStore(try LocalFileStore(root: probeDisk.folder))
        try await job(try probeDisk.client(probe))
        return probe.mutationCount
    }

    static func crashAtEveryWrite(
        seed: UInt64, mode: FaultInjectingStore.CrashMode, configuration: [String: JSONValue]? = nil,
        options: Client.Options = Model.options(), job: @escaping (Client) async throws -> Void,
        prepareMore: ((Client) async throws -> Void)? = nil,
        verify: ((Client, String) async throws -> Void)? = nil, verifiesModel: Bool = true
    ) async throws {
        try await TemporaryDirectory.with { scratch in
            let (base, model) = try await prepare(
                scratch.appendingPathComponent("base"), seed: seed, configuration: configuration, options: options)
            if let prepareMore { try await prepareMore(try base.client(try LocalFileStore(root: base.folder))) }
            let total = try await writes(of: job, on: base, scratch: scratch)
            #expect(total > 5, "the job should write something")
            for crashAt in 1...total {
                let disk = try base.copy(to: scratch.appendingPathComponent("run-\(crashAt)"))
                do {
                    let faulty = FaultInjectingStore(try LocalFileStore(root: disk.folder), seed: UInt64(crashAt))
                    faulty.crash(afterOperations: crashAt, mutatingOnly: true, mode: mode)
                    let client = try disk.client(faulty)
                    do {
                        try await job(client)
                    } catch {
                        #expect(faulty.isCrashed, "write \(crashAt): failed without a crash: \(error)")
                    }
                }
                let label = "\(mode) at write \(crashAt) of \(total)"
                if let verify { try await verify(try disk.client(try LocalFileStore(root: disk.folder)), label) }
                if verifiesModel { try await recoverAndVerify(disk, model, label: label) }
                try FileManager.default.removeItem(at: disk.folder)
            }
        }
    }

    @Test(arguments: [FaultInjectingStore.CrashMode.beforeApplying, .afterApplying])
    func compactionSurvivesACrashAtEveryWrite(mode: FaultInjectingStore.CrashMode) async throws {
        try await Self.crashAtEveryWrite(seed: 31, mode: mode) { client in
            _ = try await client.getCollection("crash").compact()
        }
    }

    /// The same with a SPANN index (small postings, so that the crashed compaction splits and reassigns): its
    /// four blockfiles are written before the manifest like any segment's.
    @Test(arguments: [FaultInjectingStore.CrashMode.beforeApplying, .afterApplying])
    func spannCompactionSurvivesACrashAtEveryWrite(mode: FaultInjectingStore.CrashMode) async throws {
        try await Self.crashAtEveryWrite(
            seed: 32, mode: mode,
            configuration: ["spann": .object(["split_threshold": .int(8), "merge_threshold": .int(3)])],
            options: Model.options(vectorsInRecordsLimit: 0),
            job: { client in _ = try await client.getCollection("crash").compact() },
            prepareMore: { client in
                let storage = try await client.getCollection("crash").storage()
                let vector = storage.segments.first { $0.kind == "vector" }
                #expect(vector?.files["spann_centroids"] != nil, "the crashed compaction updates a SPANN index")
            })
    }

    @Test(arguments: [FaultInjectingStore.CrashMode.beforeApplying, .afterApplying])
    func garbageCollectionSurvivesACrashAtEveryWrite(mode: FaultInjectingStore.CrashMode) async throws {
        try await Self.crashAtEveryWrite(
            seed: 32, mode: mode,
            job: { client in
                let report = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
                if !report.failures.isEmpty { throw CairnError(.storage, "\(report.failures)") }
            },
            prepareMore: { client in _ = try await client.getCollection("crash").compact() })
    }

    /// A fork killed at any write either exists and holds its parent's records, or does not exist (its name is
    /// held by the crashed fork's claim until that expires, as for any creation cut short, so the fork is made again
    /// under another); the parent is untouched; what the crash left is collected and the store checks clean.
    @Test(arguments: [FaultInjectingStore.CrashMode.beforeApplying, .afterApplying])
    func forkSurvivesACrashAtEveryWrite(mode: FaultInjectingStore.CrashMode) async throws {
        try await Self.crashAtEveryWrite(
            seed: 33, mode: mode,
            job: { client in _ = try await client.getCollection("crash").fork("forked") },
            verify: { client, label in
                let parent = try await RecordContents.of(try await client.getCollection("crash"))
                if let fork = try? await client.getCollection("forked") {
                    #expect(try await RecordContents.of(fork) == parent, "\(label): the fork")
                    try await fork.add(ids: ["after-crash"], embeddings: [[Float](repeating: 0.5, count: 8)])
                    _ = try await fork.compact()
                } else {
                    let again = try await client.getCollection("crash").fork("forked-again")
                    #expect(try await RecordContents.of(again) == parent, "\(label): the fork made again")
                }
                #expect(try await RecordContents.of(try await client.getCollection("crash")) == parent, "\(label)")
            })
    }

    /// A restore killed at any write leaves the collection either as it was or as the restored version, never
    /// anything else; later compactions and garbage collection work and the store checks clean.
    @Test(arguments: [FaultInjectingStore.CrashMode.beforeApplying, .afterApplying])
    func restoreSurvivesACrashAtEveryWrite(mode: FaultInjectingStore.CrashMode) async throws {
        try await TemporaryDirectory.with { scratch in
            let (base, _) = try await Self.prepare(scratch.appendingPathComponent("base"), seed: 34)
            let (before, restored, version): ([String: String], [String: String], UInt64)
            do {
                let collection = try await base.client(try LocalFileStore(root: base.folder)).getCollection("crash")
                before = try await RecordContents.of(collection)
                version = try #require(try await collection.versions().first { $0.recordCount > 0 }).version
                restored = try await RecordContents.of(collection, asOf: .version(version))
            }
            #expect(before != restored, "the restore changes something")
            let job: (Client) async throws -> Void = { client in
                _ = try await client.getCollection("crash").restore(version: version)
            }
            let total = try await Self.writes(of: job, on: base, scratch: scratch)
            for crashAt in 1...total {
                let disk = try base.copy(to: scratch.appendingPathComponent("run-\(crashAt)"))
                let faulty = FaultInjectingStore(try LocalFileStore(root: disk.folder), seed: UInt64(crashAt))
                faulty.crash(afterOperations: crashAt, mutatingOnly: true, mode: mode)
                do {
                    try await job(try disk.client(faulty))
                } catch {
                    #expect(faulty.isCrashed, "write \(crashAt): failed without a crash: \(error)")
                }
                let label = "\(mode) at write \(crashAt) of \(total)"
                let client = try disk.client(try LocalFileStore(root: disk.folder))
                let collection = try await client.getCollection("crash")
                let now = try await RecordContents.of(collection)
                #expect(now == before || now == restored, "\(label): neither the old state nor the restored one")
                _ = try await collection.compact()
                #expect(try await RecordContents.of(collection) == now, "\(label): after a compaction")
                _ = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
                let report = try await client.check(loadIndexes: true)
                #expect(report.isClean, "\(label): \(report.problems)")
                try FileManager.default.removeItem(at: disk.folder)
            }
        }
    }

    /// Garbage collection killed at any write while a fork names its parent's files (and a deleted fork's folder
    /// goes): the parent and the live fork keep every record.
    @Test(arguments: [FaultInjectingStore.CrashMode.beforeApplying, .afterApplying])
    func garbageCollectionWithForksSurvivesACrashAtEveryWrite(mode: FaultInjectingStore.CrashMode) async throws {
        let expected = Mutex<[String: String]>([:])
        try await Self.crashAtEveryWrite(
            seed: 35, mode: mode,
            job: { client in
                let report = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
                if !report.failures.isEmpty { throw CairnError(.storage, "\(report.failures)") }
            },
            prepareMore: { client in
                let parent = try await client.getCollection("crash")
                _ = try await parent.compact()
                let fork = try await parent.fork("fork")
                try await fork.delete(ids: Array(try await fork.get(limit: 2).ids))
                _ = try await fork.compact()
                _ = try await (try await parent.fork("doomed")).compact()
                try await client.deleteCollection("doomed")
                _ = try await parent.compact()
                let contents = try await RecordContents.of(fork)
                expected.withLock { $0 = contents }
            },
            verify: { client, label in
                let fork = try await client.getCollection("fork")
                #expect(try await RecordContents.of(fork) == expected.withLock { $0 }, "\(label): the fork")
            })
    }
}
