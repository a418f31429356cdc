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
        #expect(warm.output.contains("warmed cached: 500 records"), "\(warm.output)")

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
