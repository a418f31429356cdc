// Crash safety in-process: a compaction and a garbage collection are "killed" at every store write they make
// (before the write lands, and after it landed but before the caller heard), then the store is reopened. Every
// acknowledged write must be there exactly once, no deleted record may come back, queries must match the
// brute-force model, the next compaction and GC must succeed, and `check` must find nothing wrong.
import Cairn
import Catalog
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct CrashTests {
    typealias Model = CollectionModelTests

    /// A store folder with its catalog file, as a process leaves them on disk.
    struct Disk {
        let folder: URL
        var catalogURL: URL { folder.appendingPathComponent("catalog.sqlite3") }

        func client(_ store: any ObjectStore) throws -> Client {
            Client(store: store, catalog: try CatalogDatabase(url: catalogURL), options: Model.options())
        }

        func copy(to other: URL) throws -> Disk {
            try FileManager.default.copyItem(at: folder, to: other)
            return Disk(folder: other)
        }
    }

    /// Several compacted versions with garbage between them, then an uncompacted tail: the state a crash hits.
    static func prepare(_ folder: URL, seed: UInt64) async throws -> (Disk, CollectionModel) {
        let disk = Disk(folder: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var model = CollectionModel()
        var rng = SplitMix64(seed: seed)
        do {
            let client = try disk.client(try LocalFileStore(root: folder))
            let collection = try await client.createCollection("crash")
            for round in 0..<3 {
                for _ in 0..<6 { try await Model.randomWrite(collection, &model, &rng) }
                if round < 2 { _ = try await collection.compact() }
            }
        }
        return (disk, model)
    }

    /// After a crash: a fresh process over what is on disk answers like the model, compacts and collects cleanly.
    static func recoverAndVerify(_ disk: Disk, _ model: CollectionModel, label: String) async throws {
        let client = try disk.client(try LocalFileStore(root: disk.folder))
        let collection = try await client.getCollection("crash")
        var rng = SplitMix64(seed: 99)
        try await Model.check(collection, model, &rng, step: 1)
        _ = try await collection.compact()
        try await Model.check(collection, model, &rng, step: 2)
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
        seed: UInt64, mode: FaultInjectingStore.CrashMode, job: @escaping (Client) async throws -> Void,
        prepareMore: ((Client) async throws -> Void)? = nil
    ) async throws {
        try await TemporaryDirectory.with { scratch in
            let (base, model) = try await prepare(scratch.appendingPathComponent("base"), seed: seed)
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
                try await recoverAndVerify(disk, model, label: "\(mode) at write \(crashAt) of \(total)")
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
}
