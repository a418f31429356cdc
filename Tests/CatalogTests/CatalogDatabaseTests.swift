import CairnJSON
// The SQLite catalog: Chroma's defaults and rules for tenants, databases and collections, the version
// compare-and-swap under contention, persistence across reopen, and refusal of a newer schema.
import Catalog
import Foundation
import GRDB
import StorageTesting
import Testing

@Suite struct CatalogDatabaseTests {
    let clock = SteppingClock()

    func makeCatalog() throws -> CatalogDatabase { try CatalogDatabase.inMemory(now: clock.now) }

    @Test func startsWithChromasDefaultTenantAndDatabase() throws {
        let catalog = try makeCatalog()
        #expect(try catalog.tenant("default_tenant").name == "default_tenant")
        let database = try catalog.database(tenant: "default_tenant", name: "default_database")
        #expect(database.id == "00000000-0000-0000-0000-000000000000")
        #expect(try catalog.listCollections(tenant: "default_tenant", database: "default_database").isEmpty)
    }

    /// Async callers write through `perform`: the write runs on the catalog's own threads (a write may wait for
    /// another process's lock, which must not hold a cooperative thread), and its refusal is the catalog's error.
    @Test func performRunsWritesOnTheCatalogsThreads() async throws {
        let catalog = try makeCatalog()
        let onCatalogThread = try await catalog.perform { catalog in
            _ = try catalog.createTenant("performed")
            return CatalogDatabase.isOnCatalogThread
        }
        #expect(onCatalogThread)
        #expect(!CatalogDatabase.isOnCatalogThread)
        #expect(try catalog.tenant("performed").name == "performed")
        await #expect(throws: CatalogError.self) { try await catalog.perform { try $0.createTenant("performed") } }
    }

    @Test func tenantsAndDatabases() throws {
        let catalog = try makeCatalog()
        try catalog.createTenant("acme")
        expectCatalogError(.alreadyExists, "Tenant [acme] already exists") { try catalog.createTenant("acme") }
        expectCatalogError(.notFound, "Tenant [nobody] not found") { try catalog.tenant("nobody") }
        for name in ["db1", "db2", "db3"] { try catalog.createDatabase(tenant: "acme", name: name) }
        expectCatalogError(.alreadyExists, "Database [db2] already exists") {
            try catalog.createDatabase(tenant: "acme", name: "db2")
        }
        expectCatalogError(.notFound) { try catalog.createDatabase(tenant: "nobody", name: "db1") }
        expectCatalogError(.invalidArgument) { try catalog.createDatabase(tenant: "acme", name: "x") }
        #expect(try catalog.listDatabases(tenant: "acme").map(\.name) == ["db1", "db2", "db3"])
        #expect(try catalog.listDatabases(tenant: "acme", limit: 1, offset: 1).map(\.name) == ["db2"])
        expectCatalogError(.invalidArgument) { try catalog.listDatabases(tenant: "acme", limit: 0) }
        expectCatalogError(.invalidArgument) { try catalog.listDatabases(tenant: "acme", offset: -1) }
    }

    @Test func deletingADatabaseDeletesItsCollections() throws {
        let catalog = try makeCatalog()
        try catalog.createTenant("acme")
        try catalog.createDatabase(tenant: "acme", name: "db1")
        let (record, _) = try catalog.createCollection(tenant: "acme", database: "db1", name: "docs")
        try catalog.deleteDatabase(tenant: "acme", name: "db1")
        expectCatalogError(.notFound) { try catalog.collection(id: record.id) }
        expectCatalogError(.notFound, "Database [db1] not found. Are you sure it exists?") {
            try catalog.database(tenant: "acme", name: "db1")
        }
        expectCatalogError(.notFound, "Database [db1] not found") {
            try catalog.deleteDatabase(tenant: "acme", name: "db1")
        }
        // The name can be used again, empty.
        try catalog.createDatabase(tenant: "acme", name: "db1")
        #expect(try catalog.countCollections(tenant: "acme", database: "db1") == 0)
    }

    @Test func createAndGetOrCreate() throws {
        let catalog = try makeCatalog()
        let (first, created) = try catalog.createCollection(
            tenant: "default_tenant", database: "default_database", name: "docs", metadata: ["topic": "news"],
            configuration: ["hnsw": ["space": "cosine"]])
        #expect(created)
        #expect(first.version == 0)
        #expect(first.metadata == ["topic": "news"])
        expectCatalogError(.alreadyExists, "Collection [docs] already exists") {
            try catalog.createCollection(tenant: "default_tenant", database: "default_database", name: "docs")
        }
        // Get-or-create returns the existing collection unchanged (its metadata is not replaced).
        let (again, createdAgain) = try catalog.createCollection(
            tenant: "default_tenant", database: "default_database", name: "docs", metadata: ["topic": "other"],
            getOrCreate: true)
        #expect(!createdAgain)
        #expect(again == first)
        #expect(try catalog.collection(id: first.id) == first)
        #expect(try catalog.collection(tenant: "default_tenant", database: "default_database", name: "docs") == first)
        expectCatalogError(.notFound, "Collection [nope] does not exist") {
            try catalog.collection(tenant: "default_tenant", database: "default_database", name: "nope")
        }
        expectCatalogError(.notFound, "Database [missing] does not exist") {
            try catalog.createCollection(tenant: "default_tenant", database: "missing", name: "docs")
        }
        expectCatalogError(.invalidArgument) {
            try catalog.createCollection(tenant: "default_tenant", database: "default_database", name: "a")
        }
        expectCatalogError(.invalidArgument, "Metadata cannot be empty") {
            try catalog.createCollection(
                tenant: "default_tenant", database: "default_database", name: "empty-meta", metadata: [:])
        }
    }

    @Test func namesAreUniquePerDatabaseOnly() throws {
        let catalog = try makeCatalog()
        try catalog.createDatabase(tenant: "default_tenant", name: "other")
        let (a, _) = try catalog.createCollection(tenant: "default_tenant", database: "default_database", name: "docs")
        let (b, created) = try catalog.createCollection(tenant: "default_tenant", database: "other", name: "docs")
        #expect(created)
        #expect(a.id != b.id)
    }

    @Test func renameKeepsUniqueness() throws {
        let catalog = try makeCatalog()
        let (a, _) = try catalog.createCollection(tenant: "default_tenant", database: "default_database", name: "alpha")
        _ = try catalog.createCollection(tenant: "default_tenant", database: "default_database", name: "beta")
        expectCatalogError(.alreadyExists, "Collection [beta] already exists") {
            try catalog.updateCollection(id: a.id, name: "beta")
        }
        expectCatalogError(.invalidArgument) { try catalog.updateCollection(id: a.id, name: "no") }
        let renamed = try catalog.updateCollection(id: a.id, name: "gamma", metadata: ["k": 1.0])
        #expect(renamed.name == "gamma")
        #expect(renamed.metadata == ["k": .double(1.0)])
        #expect(
            try catalog.collection(tenant: "default_tenant", database: "default_database", name: "gamma").id == a.id)
        // The old name is free again.
        #expect(
            try catalog.createCollection(tenant: "default_tenant", database: "default_database", name: "alpha").created)
        // Empty metadata clears it.
        #expect(try catalog.updateCollection(id: a.id, metadata: [:]).metadata == nil)
        expectCatalogError(.notFound) { try catalog.updateCollection(id: "missing", name: "delta") }
    }

    @Test func listInCreationOrderWithLimitAndOffset() throws {
        let catalog = try makeCatalog()
        let names = (0..<10).map { "collection-\(9 - $0)" }  // not alphabetical: order must be creation order
        for name in names {
            _ = try catalog.createCollection(tenant: "default_tenant", database: "default_database", name: name)
        }
        let all = try catalog.listCollections(tenant: "default_tenant", database: "default_database")
        #expect(all.map(\.name) == names)
        #expect(
            try catalog.listCollections(tenant: "default_tenant", database: "default_database", limit: 3, offset: 4)
                .map(\.name) == Array(names[4..<7]))
        #expect(
            try catalog.listCollections(tenant: "default_tenant", database: "default_database", offset: 8).map(\.name)
                == Array(names[8...]))
        #expect(try catalog.listCollections(tenant: "default_tenant", database: "default_database", offset: 20).isEmpty)
        #expect(try catalog.countCollections(tenant: "default_tenant", database: "default_database") == 10)
        try catalog.deleteCollection(id: all[2].id)
        #expect(try catalog.countCollections(tenant: "default_tenant", database: "default_database") == 9)
    }

    @Test func dimensionIsSetOnceAndThenChecked() throws {
        let catalog = try makeCatalog()
        let (record, _) = try catalog.createCollection(
            tenant: "default_tenant", database: "default_database", name: "vectors")
        #expect(record.dimension == nil)
        #expect(try catalog.setDimension(id: record.id, 384).dimension == 384)
        #expect(try catalog.setDimension(id: record.id, 384).dimension == 384)
        expectCatalogError(.conflict, "Collection expecting embedding with dimension of 384, got 128") {
            try catalog.setDimension(id: record.id, 128)
        }
        expectCatalogError(.invalidArgument) { try catalog.setDimension(id: record.id, 0) }
        #expect(try catalog.collection(id: record.id).dimension == 384)
    }

    @Test func deleteReturnsTheDeletedRecord() throws {
        let catalog = try makeCatalog()
        let (record, _) = try catalog.createCollection(
            tenant: "default_tenant", database: "default_database", name: "gone")
        #expect(try catalog.deleteCollection(id: record.id) == record)
        expectCatalogError(.notFound) { try catalog.deleteCollection(id: record.id) }
    }

    func manifest(for record: CollectionRecord, version: UInt64, name: String? = nil) -> CollectionManifest {
        var manifest = CollectionManifest(
            creating: record,
            segments: [
                SegmentManifest(
                    id: "\(record.id)-r", kind: .record, scope: "blockfile", files: ["root": "r\(version)"]),
                SegmentManifest(id: "\(record.id)-v", kind: .vector, scope: "hnsw", files: ["index": "i\(version)"]),
            ])
        manifest.version = version
        manifest.parentVersion = version > 1 ? version - 1 : nil
        manifest.compactedLogOffset = version * 10
        if let name { manifest.name = name }
        return manifest
    }

    @Test func commitVersionIsACompareAndSwap() throws {
        let catalog = try makeCatalog()
        let (record, _) = try catalog.createCollection(
            tenant: "default_tenant", database: "default_database", name: "versions")
        #expect(try catalog.currentVersion(collectionID: record.id) == 0)
        let committed = try catalog.commitVersion(
            collectionID: record.id, expected: 0, manifest: manifest(for: record, version: 1), manifestKey: "k1")
        #expect(committed.version == 1)
        #expect(committed.compactedLogOffset == 10)
        expectCatalogError(.conflict) {
            try catalog.commitVersion(
                collectionID: record.id, expected: 0, manifest: manifest(for: record, version: 1), manifestKey: "k1")
        }
        try catalog.commitVersion(
            collectionID: record.id, expected: 1, manifest: manifest(for: record, version: 2, name: "renamed"),
            manifestKey: "k2")
        let after = try catalog.collection(id: record.id)
        #expect(after.version == 2 && after.name == "renamed" && after.compactedLogOffset == 20)
        #expect(try catalog.versions(collectionID: record.id).map(\.manifestKey) == ["k1", "k2"])
        #expect(try catalog.segments(collectionID: record.id).map(\.files) == [["root": "r2"], ["index": "i2"]])
        // A manifest of another collection, or one that does not move forward, is refused outright.
        expectCatalogError(.invalidArgument) {
            try catalog.commitVersion(
                collectionID: "other", expected: 2, manifest: manifest(for: record, version: 3), manifestKey: "k3")
        }
        expectCatalogError(.invalidArgument) {
            try catalog.commitVersion(
                collectionID: record.id, expected: 2, manifest: manifest(for: record, version: 2), manifestKey: "k3")
        }
        // A tombstone removes the collection.
        var tombstone = manifest(for: record, version: 3)
        tombstone.deleted = true
        try catalog.commitVersion(collectionID: record.id, expected: 2, manifest: tombstone, manifestKey: "k3")
        expectCatalogError(.notFound) { try catalog.collection(id: record.id) }
        #expect(try catalog.segments(collectionID: record.id).isEmpty)
    }

    @Test func concurrentCompareAndSwapHasExactlyOneWinnerPerVersion() async throws {
        try await TemporaryDirectory.with("catalog-cas") { folder in
            let catalog = try CatalogDatabase(url: CatalogDatabase.fileURL(inFolder: folder), now: clock.now)
            let (record, _) = try catalog.createCollection(
                tenant: "default_tenant", database: "default_database", name: "race")
            let rounds: UInt64 = 20
            let contenders = 16
            for expected in 0..<rounds {
                let wins = await withTaskGroup(of: Bool.self) { group in
                    for contender in 0..<contenders {
                        group.addTask {
                            let candidate = manifest(for: record, version: expected + 1)
                            do {
                                try catalog.commitVersion(
                                    collectionID: record.id, expected: expected, manifest: candidate,
                                    manifestKey: "v\(expected + 1)-by-\(contender)")
                                return true
                            } catch {
                                return false
                            }
                        }
                    }
                    return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(wins == 1, "version \(expected + 1): \(wins) winners")
            }
            #expect(try catalog.currentVersion(collectionID: record.id) == rounds)
            #expect(try catalog.versions(collectionID: record.id).map(\.version) == Array(1...rounds))
        }
    }

    @Test func fileCatalogPersistsAcrossReopen() throws {
        let folder = try TemporaryDirectory.make("catalog-reopen")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = CatalogDatabase.fileURL(inFolder: folder)
        let before: CatalogSnapshot
        do {
            let catalog = try CatalogDatabase(url: url, now: clock.now)
            try catalog.createTenant("acme")
            try catalog.createDatabase(tenant: "acme", name: "main")
            let (record, _) = try catalog.createCollection(
                tenant: "acme", database: "main", name: "docs", metadata: ["int": 1, "float": 1.0, "text": "x"],
                configuration: ["hnsw": ["space": "l2", "ef_search": 100]])
            try catalog.commitVersion(
                collectionID: record.id, expected: 0, manifest: manifest(for: record, version: 1), manifestKey: "k1")
            try catalog.setDimension(id: record.id, 3)
            before = try CatalogSnapshot(catalog)
        }
        #expect(FileManager.default.fileExists(atPath: url.path))
        let reopened = try CatalogDatabase(url: url, now: clock.now)
        let after = try CatalogSnapshot(reopened)
        #expect(after == before)
        let docs = try reopened.collection(tenant: "acme", database: "main", name: "docs")
        #expect(docs.metadata?["float"] == .double(1.0))
        #expect(docs.metadata?["int"] == .int(1))
    }

    @Test func refusesACatalogWrittenByANewerSchema() throws {
        let folder = try TemporaryDirectory.make("catalog-newer")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = CatalogDatabase.fileURL(inFolder: folder)
        _ = try CatalogDatabase(url: url)
        // A future Cairn records a migration this build does not know.
        let pool = try DatabasePool(path: url.path)
        try pool.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2-future')") }
        try pool.close()
        do {
            _ = try CatalogDatabase(url: url)
            Issue.record("a newer catalog was opened")
        } catch {
            #expect(error.code == .unsupportedVersion)
            #expect(error.message.contains("v2-future"))
        }
    }
}
