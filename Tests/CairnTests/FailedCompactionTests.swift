import Catalog
import Compaction
import Foundation
import ObjectStore
import StorageTesting
import Testing

// A compaction that fails part-way (a full disk, a failing bucket) removes what it wrote, so that retries cannot
// fill the store with blocks no version uses, and reports why it failed (issue 16, item 5).
@testable import Cairn

@Suite struct FailedCompactionTests {
    /// Keys of everything under the collections' segment folders.
    static func segmentObjects(_ store: any ObjectStore) async throws -> Set<String> {
        Set(try await store.listAll(prefix: "").map(\.key).filter { $0.contains("/segment/") })
    }

    @Test func aCompactionThatFailsMidWayRemovesWhatItWrote() async throws {
        try await TemporaryDirectory.with { folder in
            let local = try LocalFileStore(root: folder.appendingPathComponent("store"))
            let faulty = FaultInjectingStore(local, seed: 5)
            let client = Client(
                store: faulty, catalog: try CatalogDatabase(url: folder.appendingPathComponent("catalog.sqlite")),
                options: .manualMaintenance)
            let collection = try await client.createCollection("full")
            var rng = SplitMix64(seed: 9)
            let vectors: [[Float]] = (0..<2000).map { _ in (0..<32).map { _ in Float.random(in: -1...1, using: &rng) } }
            try await collection.add(
                ids: (0..<1000).map { "a\($0)" }, embeddings: Array(vectors[0..<1000]),
                documents: (0..<1000).map { "document \($0) " + String(repeating: "x", count: 200) })
            try await collection.compact()
            try await collection.add(
                ids: (1000..<2000).map { "a\($0)" }, embeddings: Array(vectors[1000..<2000]),
                documents: (1000..<2000).map { "document \($0) " + String(repeating: "y", count: 200) })
            let before = try await Self.segmentObjects(local)

            // How many writes a whole compaction makes, on a copy of the store.
            let probeFolder = folder.appendingPathComponent("probe")
            try FileManager.default.copyItem(at: folder.appendingPathComponent("store"), to: probeFolder)
            for suffix in ["", "-wal", "-shm"] {  // the catalog in WAL mode is three files
                let file = folder.appendingPathComponent("catalog.sqlite" + suffix)
                guard FileManager.default.fileExists(atPath: file.path) else { continue }
                try FileManager.default.copyItem(at: file, to: folder.appendingPathComponent("probe.sqlite" + suffix))
            }
            let probe = FaultInjectingStore(try LocalFileStore(root: probeFolder))
            let probeClient = Client(
                store: probe, catalog: try CatalogDatabase(url: folder.appendingPathComponent("probe.sqlite")),
                options: .manualMaintenance)
            try await probeClient.getCollection("full").compact()
            // (Its last write, after the manifest, is the log's high-water mark: not counted here.)
            let writes = probe.writeCount - 1
            #expect(writes > 4, "a compaction writes blocks, roots, an index and a manifest")

            // The disk fills up after 1, half, and all but the last two (the manifest is the last) of those writes.
            // A failure of the manifest write itself leaves the run's objects to GC: its fate may be unknown.
            for allowed in [1, writes / 2, writes - 2] {
                faulty.fillUp(afterWrites: allowed)
                await #expect(throws: (any Error).self, "disk full after \(allowed) writes") {
                    try await collection.compact()
                }
                faulty.fillUp(afterWrites: nil)
                let left = try await Self.segmentObjects(local).subtracting(before)
                #expect(left.isEmpty, "disk full after \(allowed) of \(writes) writes left \(left.sorted())")
            }

            // The log kept every write: the next compaction publishes them all.
            let compacted = try await collection.compact()
            let summary = try #require(compacted)
            #expect(summary.recordCount == 2000)
            #expect(try await collection.count() == 2000)
            let report = try await client.check()
            #expect(report.problems.isEmpty, "\(report.problems)")
        }
    }

    @Test func failureReasonsAreAFixedSetOfLabels() {
        let full = MaintenanceScheduler.classify(compactionError: ObjectStoreError(.io, key: "k", message: "disk full"))
        #expect(full.outcome == "failed" && full.reason == "store_io")
        let lost = MaintenanceScheduler.classify(compactionError: CompactionError(.conflict, "lost"))
        #expect(lost.outcome == "conflict" && lost.reason == "conflict")
        let other = MaintenanceScheduler.classify(compactionError: CancellationError())
        #expect(other.outcome == "failed" && other.reason == "other")
    }
}
