import CairnJSON
// Rebuilding the catalog from the bucket alone gives back the catalog that wrote it — after creates, renames,
// metadata changes, dimensions, deletes and a deleted database — on an in-memory and on a folder store.
import Catalog
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct RebuildTests {
    enum StoreKind: String, CaseIterable { case memory, folder }

    /// Runs `body` with a store of `kind` (a temp folder for `.folder`, removed afterwards).
    func withStore(_ kind: StoreKind, _ body: (any ObjectStore) async throws -> Void) async throws {
        switch kind {
        case .memory: try await body(InMemoryStore())
        case .folder:
            try await TemporaryDirectory.with("catalog-rebuild") { folder in
                try await body(try LocalFileStore(root: folder))
            }
        }
    }

    /// A catalog service with its own in-memory catalog over `store`, on a stepping clock.
    static func service(on store: any ObjectStore, prefix: ObjectPath = ObjectPath(), clock: SteppingClock) throws
        -> CatalogService
    {
        CatalogService(
            database: try CatalogDatabase.inMemory(now: clock.now),
            manifests: ManifestStore(store: store, path: prefix),
            now: clock.now)
    }

    /// A history that exercises every kind of catalog change, through the service (manifest, then CAS).
    static func writeHistory(_ service: CatalogService) async throws {
        try await service.createTenant("zeta-tenant")  // created first, sorts last by name
        try await service.createTenant("acme")
        try await service.createDatabase(tenant: "acme", name: "main")
        try await service.createDatabase(tenant: "acme", name: "scratch")
        try await service.createDatabase(tenant: "zeta-tenant", name: "db1")

        let (docs, _) = try await service.createCollection(
            tenant: "default_tenant", database: "default_database", name: "docs", metadata: ["topic": "news", "n": 1],
            configuration: ["hnsw": ["space": "cosine"]])
        let (images, _) = try await service.createCollection(tenant: "acme", database: "main", name: "images")
        let (temp, _) = try await service.createCollection(tenant: "acme", database: "main", name: "temp")
        _ = try await service.createCollection(tenant: "acme", database: "scratch", name: "notes")
        _ = try await service.createCollection(tenant: "zeta-tenant", database: "db1", name: "images")

        try await service.setDimension(id: docs.id, 384)
        try await service.modifyCollection(id: docs.id, name: "articles", metadata: ["topic": "news", "ratio": 1.0])
        try await service.modifyCollection(id: images.id, metadata: ["owner": "ops"])
        try await service.modifyCollection(id: images.id, name: "pictures")
        try await service.deleteCollection(id: temp.id)
        // The deleted name is taken again by a new collection.
        _ = try await service.createCollection(tenant: "acme", database: "main", name: "temp", metadata: ["v": 2])
        try await service.deleteDatabase(tenant: "acme", name: "scratch")
        _ = try await service.createCollection(
            tenant: "default_tenant", database: "default_database", name: "docs", getOrCreate: true)
    }

    @Test(arguments: StoreKind.allCases)
    func rebuildEqualsTheOriginalCatalog(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let clock = SteppingClock()
            let prefix = ObjectPath(prefix: "cairn")
            let original = try CatalogDatabase.inMemory(now: clock.now)
            let service = CatalogService(
                database: original, manifests: ManifestStore(store: store, path: prefix), now: clock.now)
            try await Self.writeHistory(service)
            let expected = try CatalogSnapshot(original)
            #expect(expected.collections.count == 5)
            // articles: created, dimension set, renamed.
            #expect(expected.versions.values.contains { $0.map(\.version) == [1, 2, 3] })

            let rebuilt = try CatalogDatabase.inMemory(now: clock.now)
            let progress = ProgressRecorder()
            let report = try await CatalogRebuilder.rebuild(
                from: store, prefix: prefix, into: rebuilt, reporter: progress.reporter)
            #expect(try CatalogSnapshot(rebuilt) == expected)
            // Every collection folder listed was read, the live ones and the tombstoned one.
            #expect(progress.isMonotonic)
            #expect(progress.all.last?.done == 6 && progress.all.last?.total == 6, "\(progress.all)")
            #expect(report.collections == 5)
            #expect(report.collectionsCreated == 5)
            #expect(report.tombstoned == 1)  // temp (notes lies in the deleted database, which is skipped whole)
            #expect(report.unmarkedDatabases == ["acme/scratch"])
            #expect(report.tenants == 3)

            // Idempotent: again into the rebuilt catalog, and into the original one.
            let again = try await CatalogRebuilder.rebuild(from: store, prefix: prefix, into: rebuilt)
            #expect(again.collectionsCreated == 0 && again.collectionsUnchanged == 5)
            #expect(try CatalogSnapshot(rebuilt) == expected)
            _ = try await CatalogRebuilder.rebuild(from: store, prefix: prefix, into: original)
            #expect(try CatalogSnapshot(original) == expected)
        }
    }

    @Test func anIncrementalRebuildReadsOnlyTheManifestsItDoesNotHave() async throws {
        let store = InMemoryStore()
        let clock = SteppingClock()
        let service = try Self.service(on: store, clock: clock)
        let original = service.database
        try await Self.writeHistory(service)
        let node = try CatalogDatabase.inMemory(now: clock.now)
        let rebuilder = CatalogRebuilder(store: store, prefix: ObjectPath())
        func collections(_ catalog: CatalogDatabase) throws -> [CollectionRecord] {
            try CatalogSnapshot(catalog).collections
        }

        // A fresh node reads the latest manifest of each collection only (5 live, 1 tombstone), not the history.
        let first = try await rebuilder.rebuild(into: node, incremental: true)
        #expect(first.collectionsCreated == 5 && first.tombstoned == 1)
        #expect(first.versions == 6)
        #expect(try collections(node) == collections(original))
        // Nothing new: no manifest of a live collection is read (the deleted one's tombstone is, until GC — unless
        // the caller passes the tombstoned ids the last rebuild reported).
        let quiet = try await rebuilder.rebuild(into: node, incremental: true)
        #expect(quiet.collectionsUnchanged == 5 && quiet.versions == 1)
        let quieter = try await rebuilder.rebuild(into: node, incremental: true, deleted: quiet.tombstonedIDs)
        #expect(quieter.collectionsUnchanged == 5 && quieter.versions == 0 && quieter.tombstoned == 0)
        // Another node renames one collection and deletes another: only their new manifests are read.
        let docs = try #require(try collections(original).first { $0.name == "articles" })
        let pictures = try #require(try collections(original).first { $0.name == "pictures" })
        try await service.modifyCollection(id: docs.id, name: "stories")
        try await service.deleteCollection(id: pictures.id)
        let caughtUp = try await rebuilder.rebuild(into: node, incremental: true)
        #expect(caughtUp.versions == 3)  // the rename, pictures' tombstone, and the older tombstone again
        #expect(caughtUp.collectionsUpdated == 1 && caughtUp.tombstoned == 2)
        #expect(try node.collection(id: docs.id).name == "stories")
        #expect(try collections(node) == collections(original))
    }

    @Test func rebuildBringsAStaleCatalogForward() async throws {
        let store = InMemoryStore()
        let clock = SteppingClock()
        let live = try Self.service(on: store, clock: clock)
        let stale = live.database
        let (record, _) = try await live.createCollection(
            tenant: "default_tenant", database: "default_database", name: "c1x")
        let snapshotBefore = try CatalogSnapshot(stale)
        // Another process (with its own catalog) moves the collection forward in the shared bucket.
        let other = try CatalogDatabase.inMemory(now: clock.now)
        _ = try await CatalogRebuilder.rebuild(from: store, prefix: ObjectPath(), into: other)
        let otherService = CatalogService(
            database: other, manifests: ManifestStore(store: store, path: ObjectPath()), now: clock.now)
        try await otherService.modifyCollection(id: record.id, name: "c2x")
        #expect(try CatalogSnapshot(stale) == snapshotBefore)
        let report = try await CatalogRebuilder.rebuild(from: store, prefix: ObjectPath(), into: stale)
        #expect(report.collectionsUpdated == 1)
        #expect(try stale.collection(id: record.id).name == "c2x")
        #expect(try CatalogSnapshot(stale) == CatalogSnapshot(other))
    }

    @Test func collectionFolderWithoutManifestIsReportedNotRestored() async throws {
        let store = InMemoryStore()
        let path = ObjectPath()
        let collection = path.collection(tenant: "default_tenant", database: "default_database", collectionID: "abc")
        try await store.put(collection.log(offset: 1), data: Data([1, 2, 3]))
        try await ManifestStore(store: store, path: path).writeMarker(
            DatabaseRecord(
                id: "00000000-0000-0000-0000-000000000000", tenant: "default_tenant", name: "default_database",
                createdAt: Date(timeIntervalSince1970: 0)))
        let catalog = try CatalogDatabase.inMemory()
        let report = try await CatalogRebuilder.rebuild(from: store, prefix: path, into: catalog)
        #expect(report.uncommitted == ["default_tenant/default_database/abc"])
        #expect(try catalog.countCollections(tenant: "default_tenant", database: "default_database") == 0)
    }
}

@Suite struct CatalogServiceTests {
    @Test func createWritesVersionOneThenCommits() async throws {
        let store = InMemoryStore()
        let service = CatalogService(
            database: try CatalogDatabase.inMemory(), manifests: ManifestStore(store: store, path: ObjectPath()))
        let (record, created) = try await service.createCollection(
            tenant: "default_tenant", database: "default_database", name: "docs")
        #expect(created && record.version == 1)
        let manifest = try await service.manifests.read(
            tenant: record.tenant, database: record.database, collectionID: record.id, version: 1)
        #expect(manifest.segments.map(\.kind) == [.record, .metadata, .vector])
        #expect(try service.database.segments(collectionID: record.id).map(\.id) == manifest.segments.map(\.id))
        await expectCatalogErrorAsync(.alreadyExists) {
            try await service.createCollection(tenant: "default_tenant", database: "default_database", name: "docs")
        }
        #expect(try await service.setDimension(id: record.id, 3).version == 2)
        #expect(try await service.setDimension(id: record.id, 3).version == 2)  // unchanged: no new version
        await expectCatalogErrorAsync(.conflict) { try await service.setDimension(id: record.id, 4) }
        let latest = try await service.manifests.latest(
            tenant: record.tenant, database: record.database, collectionID: record.id)
        #expect(latest?.dimension == 3)
    }

    @Test func renameToATakenNameWritesNoManifest() async throws {
        let store = InMemoryStore()
        let service = CatalogService(
            database: try CatalogDatabase.inMemory(), manifests: ManifestStore(store: store, path: ObjectPath()))
        let (a, _) = try await service.createCollection(
            tenant: "default_tenant", database: "default_database", name: "aaa")
        _ = try await service.createCollection(tenant: "default_tenant", database: "default_database", name: "bbb")
        await expectCatalogErrorAsync(.alreadyExists) { try await service.modifyCollection(id: a.id, name: "bbb") }
        #expect(try await service.manifests.versions(tenant: a.tenant, database: a.database, collectionID: a.id) == [1])
        #expect(try await service.modifyCollection(id: a.id, name: "ccc").version == 2)
    }

    @Test func anUncommittedManifestIsRolledForward() async throws {
        let store = InMemoryStore()
        let clock = SteppingClock()
        let service = try RebuildTests.service(on: store, clock: clock)
        let (record, _) = try await service.createCollection(
            tenant: "default_tenant", database: "default_database", name: "docs")
        // A writer crashed after writing version 2 and before committing it.
        var orphan = try await service.manifests.read(
            tenant: record.tenant, database: record.database, collectionID: record.id, version: 1
        ).successor(at: clock.now())
        orphan.metadata = ["from": "crashed writer"]
        try await service.manifests.write(orphan)
        #expect(try service.database.currentVersion(collectionID: record.id) == 1)
        let after = try await service.modifyCollection(id: record.id, name: "renamed")
        #expect(after.version == 3)
        #expect(after.name == "renamed")
        #expect(after.metadata == ["from": "crashed writer"])
        #expect(try service.database.versions(collectionID: record.id).map(\.version) == [1, 2, 3])
    }

    @Test func concurrentGetOrCreateMakesOneCollection() async throws {
        let store = InMemoryStore()
        let service = CatalogService(
            database: try CatalogDatabase.inMemory(), manifests: ManifestStore(store: store, path: ObjectPath()))
        let results = try await withThrowingTaskGroup(of: (CollectionRecord, Bool).self) { group in
            for _ in 0..<12 {
                group.addTask {
                    try await service.createCollection(
                        tenant: "default_tenant", database: "default_database", name: "shared", getOrCreate: true)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter(\.1).count == 1)
        #expect(Set(results.map(\.0.id)).count == 1)
        #expect(results.allSatisfy { $0.0.version == 1 })
        let id = try #require(results.first?.0.id)
        #expect(
            try await service.manifests.versions(
                tenant: "default_tenant", database: "default_database", collectionID: id) == [1])
    }

    @Test func aReservationLeftByACrashedCreatorIsFinished() async throws {
        let service = CatalogService(
            database: try CatalogDatabase.inMemory(),
            manifests: ManifestStore(store: InMemoryStore(), path: ObjectPath()))
        // A creator reserved the row and crashed before writing manifest 1.
        let (reserved, _) = try service.database.createCollection(
            tenant: "default_tenant", database: "default_database", name: "orphan")
        let (record, created) = try await service.createCollection(
            tenant: "default_tenant", database: "default_database", name: "orphan", getOrCreate: true)
        #expect(!created)
        #expect(record.id == reserved.id && record.version == 1)
        #expect(try service.database.segments(collectionID: record.id).count == 3)
    }

    @Test func concurrentModificationsAllLand() async throws {
        let store = InMemoryStore()
        let service = CatalogService(
            database: try CatalogDatabase.inMemory(), manifests: ManifestStore(store: store, path: ObjectPath()))
        let (record, _) = try await service.createCollection(
            tenant: "default_tenant", database: "default_database", name: "busy")
        let writers = 6
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    try await service.modifyCollection(id: record.id, metadata: ["writer": .int(Int64(writer))])
                }
            }
            try await group.waitForAll()
        }
        let final = try service.database.collection(id: record.id)
        #expect(final.version == UInt64(1 + writers))
        #expect(
            try await service.manifests.versions(
                tenant: record.tenant, database: record.database, collectionID: record.id)
                == Array(1...UInt64(1 + writers)))
    }
}
