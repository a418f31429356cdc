// A node on an S3 store with a disk cache: `cairn warm` fills it, and a fresh process (no catalog, empty memory)
// then answers its first query without downloading the index or the blocks again.
import Cairn
import Foundation
import StorageTesting
import Testing

@Test func aWarmedDiskCacheServesAFreshNodesFirstQuery() async throws {
    guard CairnBinary.isAvailable, S3TestEnvironment.isAvailable,
        let url = S3TestEnvironment.url(appending: "disk-cache-\(UUID().uuidString.lowercased())")
    else { return }
    try await TemporaryDirectory.with { folder in
        var options = Client.Options()
        options.compactionThreshold = nil
        options.catalogFile = folder.appendingPathComponent("writer.sqlite3")
        do {
            let writer = try await Client.open(url, options: options)
            let collection = try await writer.createCollection("cached")
            let ids = (0..<500).map { "r\($0)" }
            try await collection.add(
                ids: ids, embeddings: ids.indices.map { i in (0..<16).map { Float(($0 * 31 + i * 7) % 101) } },
                documents: ids.map { "document \($0)" })
            _ = try await collection.compact()
        }
        let cacheDir = folder.appendingPathComponent("cache").path
        let warm = try CairnBinary.run([
            "warm", url, "--collection", "cached", "--cache-dir", cacheDir, "--catalog",
            folder.appendingPathComponent("warm.sqlite3").path,
        ])
        #expect(warm.status == 0, "\(warm.stderr)")
        #expect(warm.output.hasPrefix("warmed cached version "), "\(warm.output)")

        // The library call under it: the version's objects listed first, so every report has the total; read
        // again through a client on the same cache, nothing comes from the bucket.
        var again = Client.Options()
        again.compactionThreshold = nil
        again.catalogFile = folder.appendingPathComponent("warm.sqlite3")
        again.cacheDirectory = URL(fileURLWithPath: cacheDir, isDirectory: true)
        let recorder = ProgressRecorder()
        let (summary, refetched) = try await Client.measuringFetches {
            try await Client.open(url, options: again).getCollection("cached").warm(reporter: recorder.reporter)
        }
        let warming = recorder.phase("warming")
        #expect(recorder.isMonotonic)
        #expect(warming.first?.done == 0 && warming.last?.done == summary.objects)
        #expect(warming.allSatisfy { $0.total == summary.objects && $0.bytesTotal == summary.bytes })
        #expect(warming.last?.bytes == summary.bytes && summary.bytes > 0)
        #expect(
            warm.output.contains("\(summary.objects) objects"),
            "the command and the library count the same objects: \(warm.output)")
        #expect(refetched.bytes == 0, "only listings reach the bucket: \(refetched) of \(summary)")

        // A fresh node with that cache: its first query reads only what is not cached (manifests, listings).
        var fresh = Client.Options()
        fresh.compactionThreshold = nil
        fresh.catalogFile = folder.appendingPathComponent("fresh.sqlite3")
        fresh.cacheDirectory = URL(fileURLWithPath: cacheDir, isDirectory: true)
        let node = try await Client.open(url, options: fresh)
        let collection = try await node.getCollection("cached")
        let (result, fetched) = try await Client.measuringFetches {
            try await collection.query(
                queryEmbeddings: [(0..<16).map { Float($0) }], nResults: 5, include: Include(.documents))
        }
        #expect(result.ids.first?.count == 5)
        #expect(fetched.bytes < 20_000, "the index and blocks came from the disk cache: \(fetched)")
    }
}
