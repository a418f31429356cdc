import CairnJSON
import Foundation
import StorageTesting
import Testing
import TextAnalysis

@testable import Cairn

// Sparse vectors and BM25 (issue 21): sparse metadata values, the schema's sparse index, Cairn computing Chroma's
// BM25 vectors from documents, and sparse `$knn` scored exactly as Chroma scores it (1 − q·d, IDF at query time),
// over the log tail, compacted records, and the two mixed with deletes and updates.
@Suite struct SparseSearchTests {
    static let schema: [String: JSONValue] = [
        "keys": .object([
            "sparse": .object([
                "sparse_vector": .object([
                    "sparse_vector_index": .object([
                        "enabled": true,
                        "config": .object([
                            "bm25": true, "source_key": "#document",
                            "embedding_function": .object([
                                "type": "known", "name": "chroma_bm25",
                                "config": .object(["k": 1.2, "b": 0.75, "avg_doc_length": 256.0]),
                            ]),
                        ]),
                    ])
                ])
            ])
        ])
    ]

    static func withCollection(_ body: (Client, Collection) async throws -> Void) async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: .manualMaintenance)
            try await body(client, try await client.createCollection("sparse", schema: Self.schema))
        }
    }

    static func query(_ text: String) -> KnnQuery {
        let encoded = BM25Encoder().encode(text)
        return .sparse(indices: encoded.indices, values: encoded.values.map { Float($0) })
    }

    /// The expected ranking: every record sharing an index with the query, `1 − q'·d` with Chroma's IDF over the
    /// records as they are, ties by insertion order (`order`).
    static func expected(_ text: String, documents: [String: String], order: [String]) -> [(String, Float)] {
        let encoder = BM25Encoder()
        let vectors = documents.mapValues { document in
            let encoded = encoder.encode(document)
            return Dictionary(uniqueKeysWithValues: zip(encoded.indices, encoded.values.map { Float($0) }))
        }
        let query = encoder.encode(text)
        let total = Float(documents.count)
        var scored: [(String, Float)] = []
        for id in order {
            guard let vector = vectors[id] else { continue }
            var dot: Float = 0
            var shared = false
            for (index, value) in zip(query.indices, query.values) {
                guard let weight = vector[index] else { continue }
                let n = Float(vectors.values.count { $0[index] != nil })
                dot += Float(value) * log1pf((total - n + 0.5) / (n + 0.5)) * weight
                shared = true
            }
            if shared { scored.append((id, 1 - dot)) }
        }
        return scored.enumerated().sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }.map(\.element)
    }

    static func check(
        _ collection: Collection, _ text: String, documents: [String: String], order: [String], limit: Int = 10,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let result = try await collection.search([
            SearchPayload(
                rank: .knn(KnnTerm(query: query(text), key: "sparse", limit: limit)), select: ["#score"])
        ])[0]
        let want = Array(expected(text, documents: documents, order: order).prefix(limit))
        #expect(result.ids == want.map(\.0), "\(text)", sourceLocation: sourceLocation)
        for (got, wanted) in zip(result.scores ?? [], want.map(\.1)) {
            #expect(abs(got - wanted) <= 1e-5, "\(text): \(got) vs \(wanted)", sourceLocation: sourceLocation)
        }
    }

    @Test func theReferenceExampleScoresAsChromaDoes() async throws {
        try await Self.withCollection { _, collection in
            try await collection.add(
                ids: ["doc1", "doc2"], embeddings: [[0, 1], [1, 0]],
                documents: [
                    "The quick brown fox jumps over the lazy dog.",
                    "Dogs are running; the fox runs quickly! Running dogs.",
                ])
            for compacted in [false, true] {
                if compacted { try await collection.compact() }
                // docs/search-reference.md §6, worked in f32 from Chroma's idf.rs.
                let fox = try await collection.search([
                    SearchPayload(rank: .knn(KnnTerm(query: Self.query("fox"), key: "sparse")), select: ["#score"])
                ])[0]
                #expect(fox.ids == ["doc1", "doc2"])
                #expect(abs(fox.scores![0] - 0.48757124) < 1e-6 && abs(fox.scores![1] - 0.4889313) < 1e-6)
                let dogs = try await collection.search([
                    SearchPayload(
                        rank: .knn(KnnTerm(query: Self.query("quick dogs"), key: "sparse")), select: ["#score"])
                ])[0]
                #expect(dogs.ids == ["doc2", "doc1"])
                #expect(abs(dogs.scores![0] + 0.090562105) < 1e-6 && abs(dogs.scores![1] + 0.022100925) < 1e-6)
            }
            // Cairn computed the vectors Chroma's function computes, and returns them as sparse vectors.
            let stored = try await collection.get(ids: ["doc1"], include: Include([.metadatas]))
            let encoded = BM25Encoder().encode("The quick brown fox jumps over the lazy dog.")
            #expect(
                stored.metadatas?[0]?["sparse"]
                    == .sparseVector(
                        try SparseVector(indices: encoded.indices, values: encoded.values.map { Float($0) })))
        }
    }

    @Test func sparseRankingFollowsWritesInTheTailAndInCompactedRecords() async throws {
        try await Self.withCollection { _, collection in
            let words = ["apple", "banana", "cherry", "dates", "elder", "figs", "grape", "honey", "kiwi", "lemon"]
            var random = SplitMix64(seed: 5)
            func text() -> String {
                (0..<Int.random(in: 3...12, using: &random)).map { _ in words.randomElement(using: &random)! }
                    .joined(separator: " ")
            }
            var documents: [String: String] = [:]
            var order: [String] = []
            func add(_ range: Range<Int>) async throws {
                let ids = range.map { "d\($0)" }
                let texts = ids.map { _ in text() }
                try await collection.add(
                    ids: ids, embeddings: ids.map { _ in [Float.random(in: 0...1, using: &random), 0] },
                    documents: texts)
                for (id, document) in zip(ids, texts) {
                    documents[id] = document
                    order.append(id)
                }
            }
            try await add(0..<60)
            for query in ["apple", "banana cherry", "kiwi kiwi lemon", "zucchini"] {
                try await Self.check(collection, query, documents: documents, order: order)
            }
            try await collection.compact()
            try await add(60..<90)
            // Deleted and re-documented records in the tail over compacted ones.
            try await collection.delete(ids: ["d3", "d70"])
            documents["d3"] = nil
            documents["d70"] = nil
            order.removeAll { $0 == "d3" || $0 == "d70" }
            let updated = ["d5": "apple apple apple", "d65": "lemon honey"]
            for (id, document) in updated {
                try await collection.update(ids: [id], documents: [document])
                documents[id] = document
            }
            for compacted in [false, true] {
                if compacted { try await collection.compact() }
                for query in ["apple", "banana cherry", "kiwi kiwi lemon", "honey figs grape"] {
                    try await Self.check(collection, query, documents: documents, order: order, limit: 25)
                }
            }
            // A filter and ids restrict the candidates.
            var payload = SearchPayload(rank: .knn(KnnTerm(query: Self.query("apple"), key: "sparse", limit: 10)))
            payload.ids = ["d5", "d6", "d7"]
            let restricted = try await collection.search([payload])[0]
            let wanted = Self.expected("apple", documents: documents, order: order).map(\.0)
                .filter { ["d5", "d6", "d7"].contains($0) }
            #expect(restricted.ids == wanted)
        }
    }

    @Test func sparseValuesAndIndexesAreCheckedAsChromaChecksThem() async throws {
        try await Self.withCollection { client, collection in
            // A sparse query on a key without a sparse index.
            try await collection.add(ids: ["a"], embeddings: [[1, 0]], documents: ["apple"])
            await #expect(throws: CairnError.self) {
                _ = try await collection.search([
                    SearchPayload(rank: .knn(KnnTerm(query: Self.query("apple"), key: "other")))
                ])
            }
            // Unsorted indices in a stored value; two sparse indexes in one schema.
            #expect(throws: (any Error).self) {
                _ = try Metadata(
                    json: .object([
                        "v": .object(["#type": "sparse_vector", "indices": [3, 1], "values": [1.0, 2.0]])
                    ]))
            }
            var twoKeys = Self.schema
            if case .object(var keys)? = twoKeys["keys"] {
                keys["other"] = keys["sparse"]
                twoKeys["keys"] = .object(keys)
            }
            await #expect(throws: CairnError.self) { _ = try await client.createCollection("two", schema: twoKeys) }
            // Given vectors are kept as given (not recomputed from the document).
            let given = try SparseVector(indices: [1, 7], values: [0.5, 2], tokens: ["x", "y"])
            try await collection.add(
                ids: ["b"], embeddings: [[0, 1]], metadatas: [["sparse": .sparseVector(given)]], documents: ["apple"])
            let stored = try await collection.get(ids: ["b"], include: Include([.metadatas]))
            #expect(stored.metadatas?[0]?["sparse"] == .sparseVector(given))
        }
    }

    /// The sparse index segment against a brute-force model: random vectors (explicit, with negative values too),
    /// adds, upserts, updates, deletes, compactions at random points, a fork, and a reopened client; every query's
    /// ranking and scores equal exact scoring over the records as they are, with and without IDF.
    @Test(arguments: [false, true])
    func theSparseIndexAnswersAsBruteForce(bm25: Bool) async throws {
        var schema = Self.schema
        schema["keys"] = .object([
            "sparse": .object([
                "sparse_vector": .object([
                    "sparse_vector_index": .object(["enabled": true, "config": .object(["bm25": .bool(bm25)])])
                ])
            ])
        ])
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: .manualMaintenance)
            var collection = try await client.createCollection("model", schema: schema)
            var random = SplitMix64(seed: bm25 ? 31 : 32)
            func vector() throws -> SparseVector {
                let indices = Set(
                    (0..<Int.random(in: 1...6, using: &random)).map { _ in UInt32.random(in: 0..<40, using: &random) }
                )
                .sorted()
                return try SparseVector(
                    indices: indices, values: indices.map { _ in Float.random(in: -0.5...2, using: &random) })
            }
            var model: [String: SparseVector] = [:]
            var order: [String] = []
            func expected(_ query: SparseVector) -> [(String, Float)] {
                let total = Float(model.count)
                let scaled =
                    bm25
                    ? query.scaled { index in
                        let n = Float(model.values.count { $0.indices.contains(index) })
                        return log1pf((total - n + 0.5) / (n + 0.5))
                    } : query
                return order.enumerated().compactMap { position, id -> (String, Float, Int)? in
                    guard let vector = model[id], vector.sharesIndex(with: scaled) else { return nil }
                    return (id, 1 - scaled.dot(vector), position)
                }
                .sorted { ($0.1, $0.2) < ($1.1, $1.2) }.map { ($0.0, $0.1) }
            }
            func verify(_ collection: Collection, _ step: String) async throws {
                for _ in 0..<5 {
                    let query = try vector()
                    let got = try await collection.search([
                        SearchPayload(
                            rank: .knn(
                                KnnTerm(
                                    query: .sparse(indices: query.indices, values: query.values), key: "sparse",
                                    limit: 15)),
                            select: ["#score"])
                    ])[0]
                    let want = Array(expected(query).prefix(15))
                    #expect(got.ids.count == want.count, "\(step)")
                    // Scores agree; ids agree except where two scores tie within rounding.
                    for (index, (id, score)) in want.enumerated() where index < got.ids.count {
                        #expect(abs((got.scores?[index] ?? .nan) - score) <= 1e-4, "\(step): \(index)")
                        if got.ids[index] != id {
                            let other = want.first { $0.0 == got.ids[index] }?.1 ?? .infinity
                            #expect(abs(other - score) <= 1e-4, "\(step): \(got.ids[index]) vs \(id)")
                        }
                    }
                }
            }
            var next = 0
            for round in 0..<12 {
                switch Int.random(in: 0..<4, using: &random) {
                case 0, 1:
                    let ids = (0..<Int.random(in: 5...30, using: &random)).map { _ in
                        "s\(next + Int.random(in: 0...3, using: &random))"
                    }
                    next += 4
                    let unique = Array(Set(ids)).sorted()
                    let vectors = try unique.map { _ in try vector() }
                    try await collection.upsert(
                        ids: unique, embeddings: unique.map { _ in [1, 0] },
                        metadatas: vectors.map { ["sparse": .sparseVector($0)] })
                    for (id, v) in zip(unique, vectors) {
                        if model[id] == nil { order.append(id) }
                        model[id] = v
                    }
                case 2 where !model.isEmpty:
                    let id = model.keys.sorted()[Int.random(in: 0..<model.count, using: &random)]
                    let v = try vector()
                    try await collection.update(ids: [id], metadatas: [["sparse": .some(.sparseVector(v))]])
                    model[id] = v
                default:
                    let victims = Array(model.keys.sorted().prefix(2))
                    if !victims.isEmpty { try await collection.delete(ids: victims) }
                    for id in victims { model[id] = nil }
                    order.removeAll { victims.contains($0) }
                }
                if Bool.random(using: &random) { try await collection.compact() }
                try await verify(collection, "round \(round)")
                if round == 6 {
                    collection = try await collection.fork("model-fork")
                    try await verify(collection, "fork")
                }
            }
            try await collection.compact()
            try await verify(collection, "compacted")
            #expect(try await collection.reader().snapshot.metadata.sparse != nil, "compaction wrote the sparse index")
            let reopened = try await Client.open(folder.path, options: .manualMaintenance)
            try await verify(try await reopened.getCollection("model-fork"), "reopened")
            #expect(try await reopened.check(loadIndexes: true).isClean)
            // A node with no catalog (a new one, or a lost cache) rebuilds it from the store: the schema's sparse
            // index comes back from the manifest, and the index answers the same.
            let bare = folder.appendingPathComponent("bare")
            try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path)
            where name != "bare" && !name.hasPrefix("catalog") {
                try FileManager.default.copyItem(
                    at: folder.appendingPathComponent(name), to: bare.appendingPathComponent(name))
            }
            let rebuilt = try await Client.open(bare.path, options: .manualMaintenance)
            let again = try await rebuilt.getCollection("model-fork")
            #expect(again.configuration.sparseIndex?.key == "sparse")
            try await verify(again, "catalog rebuilt")
        }
    }

    /// Inverted indexes the schema turns off (on a key, or for a type in `defaults`) and full text turned off on
    /// `#document` refuse filters that would need them, with Chroma's messages; the others still work.
    @Test func filtersOnDisabledIndexesAreRefusedAsChromaRefusesThem() async throws {
        let schema: [String: JSONValue] = [
            "defaults": .object(["bool": .object(["bool_inverted_index": .object(["enabled": false])])]),
            "keys": .object([
                "n": .object(["int": .object(["int_inverted_index": .object(["enabled": false])])]),
                "#document": .object(["string": .object(["fts_index": .object(["enabled": false])])]),
            ]),
        ]
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: .manualMaintenance)
            let collection = try await client.createCollection("indexes", schema: schema)
            try await collection.add(
                ids: ["a", "b"], embeddings: [[1, 0], [0, 1]],
                metadatas: [
                    ["n": .int(1), "s": .string("x"), "flag": .bool(true)], ["n": .int(2), "s": .string("y")],
                ],
                documents: ["apple", "banana"])
            func refused(_ filter: Where?, _ document: WhereDocument? = nil, _ message: String) async {
                do {
                    _ = try await collection.get(where: filter, whereDocument: document)
                    Issue.record("\(message): answered")
                } catch {
                    #expect("\(error)".contains(message), "\(error)")
                }
            }
            await refused(
                .field("n", .gt(.int(1))), nil,
                "Cannot filter using metadata key 'n' with type 'Int' because indexing is disabled")
            await refused(
                .field("flag", .eq(.bool(true))), nil,
                "Cannot filter using metadata key 'flag' with type 'Bool' because indexing is disabled")
            await refused(
                nil, .contains("app"), "Cannot filter using full-text search because FTS indexing is disabled")
            #expect(try await collection.get(where: .field("s", .eq(.string("y")))).ids == ["b"])
            #expect(try await collection.get(where: .field("n", .eq(.float(2)))).ids == ["b"], "the float index is on")
            #expect(try await collection.count() == 2, "nothing changed")
        }
    }
}
