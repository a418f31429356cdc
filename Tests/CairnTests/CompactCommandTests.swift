// `cairn compact` end to end through the binary, on the embedded folder.
import Cairn
import StorageTesting
import Testing

@Test func compactCommandFoldsTheLog() async throws {
    try await TemporaryDirectory.with { folder in
        var options = Client.Options()
        options.compactionThreshold = nil
        do {
            let client = try await Client.open(folder.path, options: options)
            let collection = try await client.createCollection("cli")
            try await collection.add(
                ids: ["a", "b", "c"], embeddings: [[1, 0], [0, 1], [1, 1]], metadatas: [["k": 1], ["k": 2], ["k": 3]])
            try await collection.delete(ids: ["b"])
        }
        let result = try CairnBinary.run(["compact", folder.path])
        let output = String(decoding: result.stdout, as: UTF8.self)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(output.contains("2 added, 0 updated, 0 deleted, 2 records"), "\(output)")
        #expect(output.contains("compacted 1 of 1 collection(s)"))

        let client = try await Client.open(folder.path, options: options)
        let collection = try await client.getCollection("cli")
        #expect(try await collection.compact() == nil)  // nothing left in the log
        #expect(try await collection.get(where: .field("k", .gte(.int(2)))).ids == ["c"])
    }
}
