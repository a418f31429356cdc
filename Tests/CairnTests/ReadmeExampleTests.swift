// The README's quick start, run as written, so that it cannot rot.
import Cairn
import StorageTesting
import Testing

@Test func readmeQuickStartWorks() async throws {
    try await TemporaryDirectory.with { folder in
        let client = try await Client.open(folder.appendingPathComponent("my-data").path)
        let articles = try await client.getOrCreateCollection("articles", metadata: ["hnsw:space": "cosine"])
        try await articles.add(
            ids: ["a1", "a2"], embeddings: [[0.1, 0.9], [0.8, 0.2]],
            metadatas: [["topic": "space", "year": 2024], ["topic": "food", "year": 2021]],
            documents: ["A telescope sees a nebula", "Garlic pasta"])
        let hits = try await articles.query(
            queryEmbeddings: [[0.2, 0.8]], nResults: 1, where: .field("year", .gte(.int(2022))))
        #expect(hits.ids == [["a1"]])
        #expect(articles.configuration.hnsw.space == .cosine)
    }
}
