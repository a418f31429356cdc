// The compaction job on its own, below the embedded API: it folds the log into a new version published through the
// catalog service, reports what it did, and a run that fails before its manifest could exist leaves nothing behind.
import Blockfile
import Catalog
import Compaction
import Foundation
import Log
import ObjectStore
import Segments
import StorageTesting
import Testing
import VectorIndex

@Suite struct CompactorTests {
    struct Setup {
        let store: FaultInjectingStore
        let service: CatalogService
        let compactor: Compactor
        let record: CollectionRecord
        let wal: WriteAheadLog

        init() async throws {
            store = FaultInjectingStore(InMemoryStore())
            service = CatalogService(
                database: try CatalogDatabase.inMemory(), manifests: ManifestStore(store: store, path: ObjectPath()))
            compactor = Compactor(
                store: store, root: ObjectPath(), service: service,
                provider: HnswIndexProvider(store: store, capacityBytes: 64 << 20),
                cache: BlockCache(blockCapacity: 16 << 20))
            (record, _) = try await service.createCollection(
                tenant: "default_tenant", database: "default_database", name: "jobs")
            wal = WriteAheadLog(
                store: store,
                path: ObjectPath().collection(tenant: record.tenant, database: record.database, collectionID: record.id)
            )
        }

        func append(_ range: Range<Int>) async throws {
            _ = try await wal.append(range.map { LogRecord(.add, id: "r\($0)", embedding: [Float($0), 1, 0, 2]) })
        }

        /// Keys of the objects the collection's segments hold.
        func segmentObjects() async throws -> Set<String> {
            Set(try await store.listAll(prefix: "").map(\.key).filter { $0.contains("/segment/") })
        }
    }

    /// The catalog decides a manifest's format by the vector segment's file the segment layer writes (decision 0025):
    /// both must name it alike, or a format-2 reader would be handed a version it would answer wrongly.
    @Test func theCatalogAndTheSegmentsNameVectorsInRecordsAlike() {
        #expect(VectorSegmentFiles.vectorsInRecords == CollectionManifest.vectorsInRecordsFile)
        #expect(VectorSegmentFiles.spannCentroids == CollectionManifest.spannFile)
    }

    @Test func foldsTheLogIntoAPublishedVersion() async throws {
        let setup = try await Setup()
        try await setup.append(0..<100)
        try await setup.append(100..<150)
        let summary = try #require(try await setup.compactor.compact(collectionID: setup.record.id))
        #expect(summary.logRecords == 150 && summary.added == 150 && summary.recordCount == 150)
        let record = try setup.service.database.collection(id: setup.record.id)
        #expect(record.version == summary.version && record.compactedLogOffset == summary.throughOffset)
        #expect(try await setup.compactor.compact(collectionID: setup.record.id) == nil, "nothing left to fold")
    }

    @Test func aRunThatFailsBeforeItsManifestLeavesNothingBehind() async throws {
        let setup = try await Setup()
        try await setup.append(0..<200)
        _ = try await setup.compactor.compact(collectionID: setup.record.id)
        try await setup.append(200..<400)
        let before = try await setup.segmentObjects()
        setup.store.fillUp(afterWrites: 2)
        await #expect(throws: (any Error).self) { try await setup.compactor.compact(collectionID: setup.record.id) }
        setup.store.fillUp(afterWrites: nil)
        #expect(try await setup.segmentObjects() == before)
        let summary = try await setup.compactor.compact(collectionID: setup.record.id)
        #expect(summary?.recordCount == 400, "the log kept every write")
    }
}
