// What compaction, garbage collection and the check report to an embedded user's `reporter`: each phase from its
// start to all of its total, never going back (the command-line tool renders exactly these values).
import Cairn
import Foundation
import StorageTesting
import Testing

@Suite struct ProgressReportingTests {
    static func client(_ folder: URL) async throws -> Client {
        var options = Client.Options()
        options.compactionThreshold = nil
        options.garbageCollectionInterval = nil
        options.tailIndexMaxVectors = 0  // compaction indexes every vector itself (no graph from the log tail)
        return try await Client.open(folder.path, options: options)
    }

    @Test func compactionReportsTheLogReadTheRecordsWrittenAndTheVectorsIndexed() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Self.client(folder)
            let collection = try await client.createCollection("ppp")
            // Past the size kept without an index (decision 0025), so the compaction builds one.
            let ids = (0..<1100).map { "r\($0)" }
            try await collection.add(ids: ids, embeddings: ids.indices.map { [Float($0), 1, Float($0 % 7)] })
            try await collection.delete(ids: ["r0"])
            let progress = ProgressRecorder()
            #expect(try await collection.compact(reporter: progress.reporter)?.recordCount == 1099)
            #expect(progress.isMonotonic)
            #expect(progress.phase("reading the log of ppp").last?.done == 1101, "1,100 adds and a delete")
            #expect(progress.phase("writing the segments of ppp").last.map { $0.done == $0.total } == true)
            let indexed = progress.phase("indexing ppp").map { [$0.done, $0.total] }
            #expect(indexed.first == [0, 1099] && indexed.last == [1099, 1099], "\(indexed)")
        }
    }

    @Test func garbageCollectionAndTheCheckCountCollectionsOfAll() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Self.client(folder)
            for name in ["aaa", "bbb", "ccc"] {
                let collection = try await client.createCollection(name)
                try await collection.add(ids: ["x"], embeddings: [[1, 2]])
                try await collection.compact()
                try await collection.update(ids: ["x"], embeddings: [[2, 1]])
                try await collection.compact()
            }
            let gc = ProgressRecorder()
            let report = try await client.collectGarbage(
                GarbageCollectionPolicy(keepVersions: 1, minAge: 0), reporter: gc.reporter)
            #expect(gc.isMonotonic)
            #expect(gc.all.first?.done == 0 && gc.all.last?.done == 3 && gc.all.last?.total == 3)
            #expect(gc.all.last?.bytes == report.bytes && report.bytes > 0, "the bytes deleted")

            let check = ProgressRecorder()
            #expect(try await client.check(reporter: check.reporter).isClean)
            #expect(check.isMonotonic)
            #expect(check.phase("checking").map(\.done).first == 0 && check.all.last?.done == 3)
        }
    }
}
