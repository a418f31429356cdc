// Randomised checks of the embedded API against the brute-force model: every operation, with and without
// compaction in between, and across reopening the store.
import Cairn
import CairnJSON
import Foundation
import StorageTesting
import Testing

@Suite struct CollectionModelTests {
    static let dimension = 8
    static let ids = (0..<60).map { "id\($0)" }
    static let tags = ["red", "green", "blue"]

    /// - Parameter vectorsInRecordsLimit: collections up to this size keep their vectors in the record segment
    ///   (decision 0025); 0: every compaction writes an HNSW index.
    static func options(vectorsInRecordsLimit: Int = Client.Options().vectorsInRecordsLimit) -> Client.Options {
        var options = Client.Options()
        options.compactionThreshold = nil
        options.refreshInterval = .seconds(3600)
        options.vectorsInRecordsLimit = vectorsInRecordsLimit
        return options
    }

    /// Seed 1 searches HNSW indexes, seed 2 moves from vectors in the records to an index once the collection
    /// grows past 20, seed 3 keeps the vectors in the records; seeds 6 and 7 do the same as 1 and 2 with a SPANN
    /// index whose postings split past 8 entries and merge under 3 (so splits, merges and reassignments happen
    /// among 60 ids; its default `search_nprobe` reads every posting, so answers are exact).
    @Test(arguments: [1, 2, 3, 6, 7] as [UInt64])
    func randomOperationsMatchTheModel(seed: UInt64) async throws {
        let limit = [0, 20, 1000, 0, 0, 0, 20][Int(seed - 1)]
        let configuration: [String: JSONValue]? =
            seed >= 6 ? ["spann": .object(["split_threshold": .int(8), "merge_threshold": .int(3)])] : nil
        try await TemporaryDirectory.with { folder in
            var rng = SplitMix64(seed: seed)
            var client = try await Client.open(folder.path, options: Self.options(vectorsInRecordsLimit: limit))
            var collection = try await client.createCollection("model", configuration: configuration)
            var model = CollectionModel()
            for step in 0..<60 {
                try await Self.randomWrite(collection, &model, &rng)
                switch Int.random(in: 0..<10, using: &rng) {
                case 0...1: try await collection.compact()
                case 2:
                    client = try await Client.open(folder.path, options: Self.options(vectorsInRecordsLimit: limit))
                    collection = try await client.getCollection("model")
                default: break
                }
                try await Self.check(collection, model, &rng, step: step)
            }
            try await collection.compact()
            try await Self.check(collection, model, &rng, step: 60)
        }
    }

    /// The same random operations while background compaction publishes after almost every write (a tiny
    /// threshold, no quiet period to wait for): every check still matches the model, so no read misses a write
    /// acknowledged before it and no delete-where misses a record (issue 16).
    @Test(arguments: [4, 5] as [UInt64])
    func randomOperationsMatchTheModelWhileCompactionPublishes(seed: UInt64) async throws {
        try await TemporaryDirectory.with { folder in
            var rng = SplitMix64(seed: seed)
            var options = Self.options(vectorsInRecordsLimit: seed == 4 ? 20 : 0)
            options.compactionThreshold = 8
            options.maxConcurrentCompactions = 2
            let client = try await Client.open(folder.path, options: options)
            let collection = try await client.createCollection("model")
            var model = CollectionModel()
            for step in 0..<60 {
                try await Self.randomWrite(collection, &model, &rng)
                try await Self.check(collection, model, &rng, step: step)
            }
            await client.waitForBackgroundCompaction()
            try await Self.check(collection, model, &rng, step: 60)
        }
    }

    static func randomEmbedding(_ rng: inout SplitMix64) -> [Float] {
        (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) }
    }

    static func randomMetadata(_ rng: inout SplitMix64) -> Metadata? {
        if Int.random(in: 0..<8, using: &rng) == 0 { return nil }
        var metadata: Metadata = ["cat": .int(Int64.random(in: 0..<5, using: &rng))]
        if Bool.random(using: &rng) { metadata["tag"] = .string(tags.randomElement(using: &rng)!) }
        if Bool.random(using: &rng) { metadata["score"] = .float(Double.random(in: 0..<1, using: &rng)) }
        if Bool.random(using: &rng) { metadata["flag"] = .bool(Bool.random(using: &rng)) }
        return metadata
    }

    static func randomDocument(_ rng: inout SplitMix64) -> String? {
        Int.random(in: 0..<6, using: &rng) == 0
            ? nil : "doc \(tags.randomElement(using: &rng)!) \(Int.random(in: 0..<100, using: &rng))"
    }

    static func randomWrite(_ collection: Collection, _ model: inout CollectionModel, _ rng: inout SplitMix64)
        async throws
    {
        let count = Int.random(in: 1...12, using: &rng)
        let batch = Array(Set((0..<count).map { _ in ids.randomElement(using: &rng)! }))
        switch Int.random(in: 0..<10, using: &rng) {
        case 0...3:
            let embeddings = batch.map { _ in randomEmbedding(&rng) }
            let metadatas = batch.map { _ in randomMetadata(&rng) }
            let documents = batch.map { _ in randomDocument(&rng) }
            try await collection.add(ids: batch, embeddings: embeddings, metadatas: metadatas, documents: documents)
            for i in batch.indices { model.add(batch[i], embeddings[i], metadatas[i], documents[i]) }
        case 4...5:
            let embeddings = batch.map { _ in randomEmbedding(&rng) }
            let metadatas = batch.map { _ in randomMetadata(&rng) }
            let documents = batch.map { _ in randomDocument(&rng) }
            try await collection.upsert(ids: batch, embeddings: embeddings, metadatas: metadatas, documents: documents)
            for i in batch.indices { model.upsert(batch[i], embeddings[i], metadatas[i], documents[i]) }
        case 6...7:
            let embeddings: [[Float]]? = Bool.random(using: &rng) ? batch.map { _ in randomEmbedding(&rng) } : nil
            let metadatas: [MetadataUpdate?] = batch.map { _ in
                var update: MetadataUpdate = ["cat": .some(.int(Int64.random(in: 0..<5, using: &rng)))]
                if Bool.random(using: &rng) { update["tag"] = .some(nil) }
                return Bool.random(using: &rng) ? update : nil
            }
            let documents: [String?]? = Bool.random(using: &rng) ? batch.map { _ in randomDocument(&rng) } : nil
            try await collection.update(ids: batch, embeddings: embeddings, metadatas: metadatas, documents: documents)
            for i in batch.indices { model.update(batch[i], embeddings?[i], metadatas[i], documents?[i]) }
        case 8:
            let filter = Where.eq("cat", .int(Int64.random(in: 0..<5, using: &rng)))
            let expected = model.matching(filter, nil).map(\.id)
            try await collection.delete(where: filter)
            for id in expected { model.delete(id) }
        default:
            try await collection.delete(ids: batch)
            for id in batch { model.delete(id) }
        }
    }

    static func randomFilter(_ rng: inout SplitMix64) -> Where {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return .eq("cat", .int(Int64.random(in: 0..<5, using: &rng)))
        case 1: return .field("cat", .gte(.int(Int64.random(in: 0..<5, using: &rng))))
        case 2: return .field("tag", .in([.string("red"), .string("blue")]))
        case 3: return .field("tag", .ne(.string("green")))
        case 4: return .field("score", .lt(.float(Double.random(in: 0..<1, using: &rng))))
        default: return .and([.field("flag", .eq(.bool(true))), .field("cat", .lt(.int(3)))])
        }
    }

    static func check(_ collection: Collection, _ model: CollectionModel, _ rng: inout SplitMix64, step: Int)
        async throws
    {
        #expect(try await collection.count() == model.records.count, "count at step \(step)")
        let all = try await collection.get(include: Include(.metadatas, .documents, .embeddings))
        let expected = model.ordered
        #expect(all.ids == expected.map(\.id), "get order at step \(step)")
        #expect(all.metadatas ?? [] == expected.map(\.metadata), "metadatas at step \(step)")
        #expect(all.documents ?? [] == expected.map(\.document), "documents at step \(step)")
        #expect(all.embeddings ?? [] == expected.map { Optional($0.embedding) }, "embeddings at step \(step)")

        let filter = randomFilter(&rng)
        let filtered = try await collection.get(where: filter, include: Include())
        #expect(filtered.ids == model.matching(filter, nil).map(\.id), "get where \(filter) at step \(step)")

        let document = WhereDocument.contains(tags.randomElement(using: &rng)!)
        let byDocument = try await collection.get(whereDocument: document, include: Include())
        #expect(byDocument.ids == model.matching(nil, document).map(\.id), "where_document at step \(step)")

        let page = try await collection.get(limit: 5, offset: 3, include: Include())
        #expect(page.ids == Array(expected.map(\.id).dropFirst(3).prefix(5)), "limit/offset at step \(step)")

        if !model.records.isEmpty {
            let query = randomEmbedding(&rng)
            let useFilter = Bool.random(using: &rng) ? filter : nil
            let result = try await collection.query(queryEmbeddings: [query], nResults: 5, where: useFilter)
            let exact = model.nearest(query, k: 5, useFilter, nil)
            #expect(result.ids.first ?? [] == exact.map(\.0), "query ids at step \(step)")
            for (got, want) in zip(result.distances?.first ?? [], exact.map(\.1)) {
                #expect(abs(got - want) <= 1e-4 * max(1, want), "query distance at step \(step)")
            }
        }
    }
}

@Suite struct CollectionRecallTests {
    /// Big enough that queries go through the HNSW graph: after updates and deletes, results stay accurate, never
    /// include a deleted or stale record, and report the distance of the record's current embedding.
    @Test func queriesThroughTheIndexStayAccurateUnderChurn() async throws {
        try await TemporaryDirectory.with { folder in
            var rng = SplitMix64(seed: 7)
            let client = try await Client.open(folder.path, options: CollectionModelTests.options())
            let collection = try await client.createCollection("recall")
            var model = CollectionModel()
            let ids = (0..<3000).map { "r\($0)" }
            let embeddings = ids.map { _ in (0..<16).map { _ in Float.random(in: -1...1, using: &rng) } }
            for start in stride(from: 0, to: ids.count, by: 1000) {
                let range = start..<(start + 1000)
                try await collection.add(ids: Array(ids[range]), embeddings: Array(embeddings[range]))
            }
            for i in ids.indices { model.add(ids[i], embeddings[i], nil, nil) }
            try await collection.compact()
            // Churn: move 300 records, delete 300; half of it compacted, half left in the log tail.
            for round in 0..<2 {
                let moved = (0..<150).map { ids[round * 1500 + $0] }
                let newEmbeddings = moved.map { _ in (0..<16).map { _ in Float.random(in: -1...1, using: &rng) } }
                try await collection.update(ids: moved, embeddings: newEmbeddings)
                for (id, embedding) in zip(moved, newEmbeddings) { model.update(id, embedding, nil, nil) }
                let gone = (150..<300).map { ids[round * 1500 + $0] }
                try await collection.delete(ids: gone)
                for id in gone { model.delete(id) }
                if round == 0 { try await collection.compact() }
            }
            var found = 0
            for _ in 0..<50 {
                let query = (0..<16).map { _ in Float.random(in: -1...1, using: &rng) }
                let exact = model.nearest(query, k: 10, nil, nil)
                let result = try await collection.query(queryEmbeddings: [query], nResults: 10)
                let got = result.ids[0]
                found += Set(got).intersection(exact.map(\.0)).count
                for (id, distance) in zip(got, result.distances?[0] ?? []) {
                    let record = try #require(model.records[id], "\(id) was deleted but returned")
                    let truth = zip(record.embedding, query).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                    #expect(abs(truth - distance) <= 1e-3 * max(1, truth), "\(id) reported with a stale distance")
                }
            }
            #expect(Double(found) / 500 >= 0.95, "recall@10 \(Double(found) / 500)")
        }
    }
}
