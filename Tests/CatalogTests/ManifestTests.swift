import CairnJSON
// Manifests: the JSON shape round-trips (keeping ints and floats apart), unknown formats are refused, and a
// version is written once — a second writer of the same version gets a conflict.
import Catalog
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct ManifestTests {
    static func sample(version: UInt64 = 3) -> CollectionManifest {
        CollectionManifest(
            collectionID: "5f1c7a52-7e7b-4f45-9a61-111111111111", tenant: "default_tenant",
            database: "default_database", name: "docs",
            metadata: [
                "int": 1, "float": 1.0, "big": .double(1e300), "text": "é \"quoted\"\n", "flag": false,
                "list": [1, 2.5, "x"],
            ],
            configuration: ["hnsw": ["space": "cosine", "ef_construction": 100]], dimension: 384, version: version,
            parentVersion: version - 1, compactedLogOffset: 42, maxOffsetID: 1000, recordCount: 999,
            createdAt: Date(timeIntervalSince1970: 1_800_000_000.123),
            updatedAt: Date(timeIntervalSince1970: 1_800_000_100.456),
            segments: [
                SegmentManifest(id: "seg-r", kind: .record, scope: "blockfile", files: ["id_to_offset": "root-1"]),
                SegmentManifest(id: "seg-m", kind: .metadata, scope: "blockfile", files: [:]),
                SegmentManifest(id: "seg-v", kind: .vector, scope: "hnsw", files: ["index": "hnsw-7"]),
            ])
    }

    @Test func roundTripsThroughItsJSON() throws {
        let manifest = Self.sample()
        let data = try manifest.encoded()
        let decoded = try CollectionManifest(decoding: data)
        #expect(decoded == manifest)
        #expect(decoded.metadata?["float"] == .double(1.0))
        #expect(decoded.metadata?["int"] == .int(1))
        // Stable bytes: encoding again gives the same document.
        #expect(try decoded.encoded() == data)
        let text = String(decoding: data, as: UTF8.self)
        for key in [
            "\"format_version\":1", "\"collection_id\"", "\"parent_version\":2", "\"compacted_log_offset\":42",
            "\"max_offset_id\":1000", "\"record_count\":999", "\"created_at_ms\":1800000000123",
            "\"deleted\":false",
            "\"segments\"", "\"float\":1.0",
        ] {
            #expect(text.contains(key), "missing \(key)")
        }
    }

    @Test func codableSeesTheSameShape() throws {
        let manifest = Self.sample()
        let viaFoundation = try JSONDecoder().decode(CollectionManifest.self, from: try manifest.encoded())
        #expect(viaFoundation.segments == manifest.segments)
        #expect(viaFoundation.version == manifest.version)
    }

    @Test func refusesUnknownFormatVersions() throws {
        var manifest = Self.sample()
        manifest.formatVersion = CollectionManifest.currentFormatVersion + 1
        let data = try manifest.encoded()
        do {
            _ = try CollectionManifest(decoding: data)
            Issue.record("a newer manifest was read")
        } catch {
            #expect(error.code == .unsupportedVersion)
            #expect(error.message.contains("format_version \(CollectionManifest.currentFormatVersion + 1)"))
        }
    }

    /// A version whose vectors are its record segment's needs format 3: a reader of format 2 would find no HNSW
    /// file and answer from the log tail alone, so it must refuse the manifest instead (decision 0025).
    @Test func vectorsInRecordsNeedFormatThreeAndReadBack() throws {
        var manifest = Self.sample()
        #expect(manifest.requiredFormatVersion == 1)
        for index in manifest.segments.indices where manifest.segments[index].kind == .vector {
            manifest.segments[index].files = [CollectionManifest.vectorsInRecordsFile: "records"]
        }
        #expect(manifest.requiredFormatVersion == 3)
        let text = String(decoding: try manifest.encoded(), as: UTF8.self)
        #expect(text.contains("\"format_version\":3"))
        #expect(try CollectionManifest(decoding: try manifest.encoded()) == manifest)
    }

    /// A SPANN vector segment needs format 4, for the same reason (decision 0029); a fork's too.
    @Test func aSpannSegmentNeedsFormatFourAndReadsBack() throws {
        var manifest = Self.sample()
        for index in manifest.segments.indices where manifest.segments[index].kind == .vector {
            manifest.segments[index].files = [
                CollectionManifest.spannFile: "c", "spann_posting_ids": "i", "spann_posting_vectors": "v",
                "spann_versions": "s",
            ]
        }
        #expect(manifest.requiredFormatVersion == 4)
        manifest.lineage = ["parent"]
        #expect(manifest.requiredFormatVersion == 4)
        let text = String(decoding: try manifest.encoded(), as: UTF8.self)
        #expect(text.contains("\"format_version\":4"))
        #expect(try CollectionManifest(decoding: try manifest.encoded()) == manifest)
    }

    @Test(arguments: [
        "", "[]", "{}", "{\"format_version\": 1}", "{\"format_version\": \"1\"}", "not json",
        "{\"format_version\": 1, \"collection_id\": 5}",
    ])
    func refusesMalformedManifests(text: String) {
        expectCatalogError(.corrupt) { try CollectionManifest(decoding: Data(text.utf8)) }
    }

    @Test func metadataRefusesNonFiniteFloats() {
        expectCatalogError(.invalidArgument) {
            try CatalogError.validate(collectionMetadata: ["x": .double(.nan)])
        }
        expectCatalogError(.invalidArgument) {
            try CatalogError.validate(collectionMetadata: ["x": [.double(.infinity)]])
        }
    }

    @Test func secondWriterOfAVersionGetsAConflict() async throws {
        let store = InMemoryStore()
        let manifests = ManifestStore(store: store, path: ObjectPath(prefix: "p"))
        let manifest = Self.sample(version: 1)
        let key = try await manifests.write(manifest)
        #expect(
            key == "p/tenant/default_tenant/database/default_database/collection/\(manifest.collectionID)/version/"
                + "00000000000000000001.json")
        await expectCatalogErrorAsync(.conflict) { try await manifests.write(manifest) }
        #expect(try await manifests.read(key: key) == manifest)
    }

    @Test func listsVersionsAndFindsTheLatest() async throws {
        let store = InMemoryStore()
        let manifests = ManifestStore(store: store, path: ObjectPath())
        let sample = Self.sample()
        #expect(
            try await manifests.latest(
                tenant: sample.tenant, database: sample.database, collectionID: sample.collectionID) == nil)
        for version: UInt64 in [1, 2, 10, 11] { try await manifests.write(Self.sample(version: version)) }
        #expect(
            try await manifests.versions(
                tenant: sample.tenant, database: sample.database, collectionID: sample.collectionID)
                == [1, 2, 10, 11])
        let latest = try await manifests.latest(
            tenant: sample.tenant, database: sample.database, collectionID: sample.collectionID)
        #expect(latest?.version == 11)
        await expectCatalogErrorAsync(.notFound) {
            try await manifests.read(tenant: sample.tenant, database: sample.database, collectionID: "x", version: 1)
        }
    }

    @Test func markersRoundTrip() async throws {
        let manifests = ManifestStore(store: InMemoryStore(), path: ObjectPath())
        let database = DatabaseRecord(
            id: "d1", tenant: "acme", name: "main", createdAt: Date(timeIntervalSince1970: 1_800_000_000.5))
        #expect(
            ObjectPath(prefix: "p").databaseMarker(tenant: "t1", database: "d1")
                == "p/tenant/t1/database/d1/database.json")
        #expect(ObjectPath(prefix: "p").tenantMarker(tenant: "t1") == "p/tenant/t1/tenant.json")
        #expect(ObjectPath().collectionsPrefix(tenant: "t1", database: "d1") == "tenant/t1/database/d1/collection/")
        try await manifests.writeMarker(database)
        #expect(try await manifests.databaseMarker(tenant: "acme", database: "main") == database)
        #expect(try await manifests.databaseNames(tenant: "acme") == ["main"])
        #expect(try await manifests.tenantNames() == ["acme"])
        try await manifests.deleteMarker(tenant: "acme", database: "main")
        #expect(try await manifests.databaseMarker(tenant: "acme", database: "main") == nil)
    }
}
