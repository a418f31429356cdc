// A small collection keeps its vectors once, in its record segment, and is searched exactly (decision 0025): no
// HNSW object on the store, a format-3 manifest that older readers refuse, the same answers as the model through
// updates, deletes, reopening, forks and garbage collection; and once it grows past the limit the next compaction
// builds its HNSW index from the records.
import Cairn
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct VectorsInRecordsTests {
    typealias Model = CollectionModelTests

    static func keys(_ folder: URL) async throws -> [String] {
        try await LocalFileStore(root: folder).listAll(prefix: "tenant/").map(\.key)
    }

    /// Adds `range` as `r{i}` with random embeddings, a tag and a document, to the collection and the model.
    static func add(
        _ range: Range<Int>, to collection: Collection, _ model: inout CollectionModel, _ rng: inout SplitMix64
    ) async throws {
        let ids = range.map { "r\($0)" }
        let embeddings = ids.map { _ in Model.randomEmbedding(&rng) }
        let metadatas: [Metadata?] = range.map { ["tag": .string(Model.tags[$0 % 3])] }
        let documents: [String?] = range.map { "\(Model.tags[$0 % 3]) record \($0)" }
        try await collection.add(ids: ids, embeddings: embeddings, metadatas: metadatas, documents: documents)
        for i in ids.indices { model.add(ids[i], embeddings[i], metadatas[i], documents[i]) }
    }

    @Test func aSmallCollectionKeepsItsVectorsOnceAndAnswersExactly() async throws {
        try await TemporaryDirectory.with { folder in
            var rng = SplitMix64(seed: 25)
            var client = try await Client.open(folder.path, options: Model.options())
            var collection = try await client.createCollection("small")
            var model = CollectionModel()
            try await Self.add(0..<300, to: collection, &model, &rng)
            let summary = try await collection.compact()
            #expect(summary?.recordCount == 300)
            var keys = try await Self.keys(folder)
            #expect(!keys.contains { $0.contains("/hnsw/") }, "a small collection writes no HNSW object")
            let manifestKey = try #require(keys.filter { $0.contains("/version/") }.max())
            let manifest = String(
                decoding: try Data(contentsOf: folder.appendingPathComponent(manifestKey)), as: UTF8.self)
            #expect(manifest.contains("\"vectors_in_records\"") && manifest.contains("\"format_version\":3"))
            try await Model.check(collection, model, &rng, step: 0)

            // Updates and deletes in the log tail hide the compacted copies; compacted again, still exact.
            for _ in 0..<12 { try await Model.randomWrite(collection, &model, &rng) }
            try await Model.check(collection, model, &rng, step: 1)
            try await collection.compact()
            try await Model.check(collection, model, &rng, step: 2)

            // Reopened from the store, checked, forked, collected: the same answers, nothing dangling.
            client = try await Client.open(folder.path, options: Model.options())
            collection = try await client.getCollection("small")
            try await Model.check(collection, model, &rng, step: 3)
            let fork = try await collection.fork("small-fork")
            try await Model.check(fork, model, &rng, step: 4)
            var forkModel = model
            try await Self.add(300..<340, to: fork, &forkModel, &rng)
            try await fork.compact()
            try await Model.check(fork, forkModel, &rng, step: 5)
            try await Model.check(collection, model, &rng, step: 6)
            _ = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
            let report = try await client.check(loadIndexes: true)
            #expect(report.isClean, "\(report.problems)")
            #expect(report.indexes == 0)
            keys = try await Self.keys(folder)
            #expect(!keys.contains { $0.contains("/hnsw/") })
            try await Model.check(fork, forkModel, &rng, step: 7)
        }
    }

    /// Past the limit the next compaction builds the index from every live vector — those the records kept and
    /// the new ones — with the log tail's graph (tail index on) or without it.
    @Test(arguments: [true, false])
    func growingPastTheLimitBuildsTheIndexFromTheRecords(tailIndex: Bool) async throws {
        try await TemporaryDirectory.with { folder in
            var rng = SplitMix64(seed: 26)
            var options = Model.options(vectorsInRecordsLimit: 50)
            if !tailIndex { options.tailIndexMaxVectors = 0 }
            let client = try await Client.open(folder.path, options: options)
            let collection = try await client.createCollection("growing")
            var model = CollectionModel()
            try await Self.add(0..<45, to: collection, &model, &rng)
            try await collection.delete(ids: ["r3", "r4"])
            for id in ["r3", "r4"] { model.delete(id) }
            try await collection.compact()
            #expect(try await !Self.keys(folder).contains { $0.contains("/hnsw/") })
            try await Self.add(45..<90, to: collection, &model, &rng)
            try await Model.check(collection, model, &rng, step: 0)
            let summary = try await collection.compact()
            #expect(summary?.recordCount == 88)
            #expect(try await Self.keys(folder).contains { $0.hasSuffix("/index.bin") })
            let report = try await client.check(loadIndexes: true)
            #expect(report.isClean && report.indexes == 1, "\(report.problems)")
            try await Model.check(collection, model, &rng, step: 1)
            // Every record is found as its own nearest neighbour through the index.
            let all = try await collection.get(include: Include(.embeddings))
            for (id, embedding) in zip(all.ids, all.embeddings ?? []) {
                let found = try await collection.query(queryEmbeddings: [try #require(embedding)], nResults: 1)
                #expect(found.ids.first?.first == id)
            }
        }
    }
}
