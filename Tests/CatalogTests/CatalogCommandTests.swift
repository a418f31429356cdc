import CairnJSON
// `cairn catalog rebuild` end to end: lose the catalog file of an embedded folder, rebuild it with the binary,
// and get the same catalog back.
import Catalog
import Foundation
import ObjectStore
import ObjectStoreS3
import StorageTesting
import Testing

@Suite(.enabled(if: CairnBinary.isAvailable)) struct CatalogCommandTests {
    @Test func rebuildsALostCatalogFile() async throws {
        try await TemporaryDirectory.with("catalog-command") { folder in
            let catalogURL = CatalogDatabase.fileURL(inFolder: folder)
            let expected: CatalogSnapshot
            do {
                let clock = SteppingClock()
                let catalog = try CatalogDatabase(url: catalogURL, now: clock.now)
                let service = CatalogService(
                    database: catalog,
                    manifests: ManifestStore(store: try LocalFileStore(root: folder), path: ObjectPath()),
                    now: clock.now)
                try await RebuildTests.writeHistory(service)
                expected = try CatalogSnapshot(catalog)
            }
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: catalogURL.path + suffix)
            }
            let result = try CairnBinary.run(["catalog", "rebuild", "file://" + folder.path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.output.contains("collections: 5 (5 new"), "\(result.output)")
            #expect(try CatalogSnapshot(try CatalogDatabase(url: catalogURL)) == expected)

            // Again, into an explicit file: the same catalog.
            let other = folder.appendingPathComponent("elsewhere/other.sqlite3")
            let second = try CairnBinary.run(["catalog", "rebuild", "file://" + folder.path, "--catalog", other.path])
            #expect(second.status == 0, "\(second.stderr)")
            #expect(try CatalogSnapshot(try CatalogDatabase(url: other)) == expected)
        }
    }

    @Test(.enabled(if: S3TestEnvironment.isAvailable, "needs the local S3 server"))
    func rebuildsFromAnS3Bucket() async throws {
        // A fresh prefix inside the test bucket: s3://bucket/tests/catalog-<uuid>?endpoint=…
        let url = try #require(S3TestEnvironment.url(appending: "catalog-\(UUID().uuidString.lowercased())"))
        let store = try StoreFactory.open(url: url)
        let clock = SteppingClock()
        let original = try CatalogDatabase.inMemory(now: clock.now)
        let service = CatalogService(
            database: original, manifests: ManifestStore(store: store, path: ObjectPath()), now: clock.now)
        try await RebuildTests.writeHistory(service)
        try await TemporaryDirectory.with("catalog-s3") { folder in
            let file = folder.appendingPathComponent("rebuilt.sqlite3")
            let result = try CairnBinary.run(["catalog", "rebuild", url, "--catalog", file.path])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try CatalogSnapshot(try CatalogDatabase(url: file)) == CatalogSnapshot(original))
        }
        for object in try await store.listAll(prefix: "") { try await store.delete(object.key) }
    }

    @Test func failsClearlyOnAMissingFolderOrCatalogFile() throws {
        let missing = try CairnBinary.run(["catalog", "rebuild", "file:///nonexistent-cairn-folder"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cairn catalog rebuild:") && missing.stderr.contains("no store folder"))
        let s3 = try CairnBinary.run(["catalog", "rebuild", "s3://bucket/prefix"])
        #expect(s3.status != 0)
        #expect(s3.stderr.contains("--catalog"))
    }
}
