// A collection created with a `spann` configuration keeps its vectors in a SPANN index segment (decision 0029): its
// manifest names the index's four blockfiles (format 4, no HNSW object), queries probe postings with the
// collection's `search_nprobe` and answer as a brute force would on clustered data, filters and the log tail work as
// with HNSW, and the index survives updates, deletes, reopening, forks, garbage collection and `check`.
import Cairn
import CairnJSON
import Foundation
import ObjectStore
import StorageTesting
import Testing
import VectorIndex

@Suite struct SpannCollectionTests {
    static let dimension = 16

    /// `count` vectors around 40 centres (clustered, as real embeddings are), with `tag` (i % 4) and `n` (i).
    struct Data {
        var ids: [String]
        var vectors: [[Float]]
        var metadatas: [Metadata?]
        var centres: [[Float]]

        init(count: Int, seed: UInt64) {
            var rng = SplitMix64(seed: seed)
            centres = []
            for _ in 0..<40 {
                centres.append((0..<SpannCollectionTests.dimension).map { _ in Float.random(in: -4...4, using: &rng) })
            }
            ids = (0..<count).map { "v\($0)" }
            vectors = []
            metadatas = []
            for i in 0..<count {
                let centre = centres[Int.random(in: 0..<centres.count, using: &rng)]
                vectors.append(centre.map { $0 + Float.random(in: -1...1, using: &rng) })
                metadatas.append(["tag": .string("t\(i % 4)"), "n": .int(Int64(i))])
            }
        }

        func query(_ rng: inout SplitMix64) -> [Float] {
            centres[Int.random(in: 0..<centres.count, using: &rng)].map { $0 + Float.random(in: -1...1, using: &rng) }
        }
    }

    /// The ids of the `k` nearest (squared L2) among `live`, allowed by `include`.
    static func nearest(
        _ query: [Float], _ live: [String: [Float]], k: Int, include: (String) -> Bool = { _ in true }
    ) -> [String] {
        var scored: [(id: String, distance: Float)] = []
        for (id, vector) in live where include(id) {
            var sum: Float = 0
            for i in vector.indices {
                let d = query[i] - vector[i]
                sum += d * d
            }
            scored.append((id, sum))
        }
        scored.sort { $0.distance < $1.distance || ($0.distance == $1.distance && $0.id < $1.id) }
        return scored.prefix(k).map(\.id)
    }

    /// Mean recall@10 of 40 queries (optionally filtered) against the brute force over `live`.
    static func recall(
        _ collection: Collection, _ live: [String: [Float]], _ data: Data, seed: UInt64, filter: Where? = nil,
        include: @escaping (String) -> Bool = { _ in true }
    ) async throws -> Double {
        var rng = SplitMix64(seed: seed)
        var found = 0
        var wanted = 0
        for _ in 0..<40 {
            let query = data.query(&rng)
            let exact = Set(nearest(query, live, k: 10, include: include))
            let result = try await collection.query(queryEmbeddings: [query], nResults: 10, where: filter)
            let got = result.ids.first ?? []
            #expect(got.allSatisfy { live[$0] != nil && include($0) }, "a deleted or filtered-out record answered")
            found += got.filter { exact.contains($0) }.count
            wanted += exact.count
        }
        return Double(found) / Double(max(wanted, 1))
    }

    static func options() -> Client.Options {
        var options = CollectionModelTests.options(vectorsInRecordsLimit: 0)
        options.tailIndexMinVectors = 1 << 20  // the log tail compared exactly: the index alone is measured
        return options
    }

    @Test func aSpannCollectionIsServedFromPostingsThroughWritesForksAndGarbageCollection() async throws {
        try await TemporaryDirectory.with { folder in
            let data = Data(count: 4_000, seed: 29)
            var client = try await Client.open(folder.path, options: Self.options())
            var collection = try await client.createCollection(
                "clustered", configuration: ["spann": .object(["space": .string("l2"), "search_nprobe": .int(16)])])
            #expect(collection.configuration.spann?.searchNprobe == 16)
            #expect(collection.configuration.chromaJSON["hnsw"] == .null)
            #expect(collection.configuration.chromaJSON["spann"]?["search_nprobe"] == .int(16))
            #expect(
                collection.configuration.schema["keys"]?["#embedding"]?["float_list"]?["vector_index"]?["config"]?[
                    "spann"]?["search_nprobe"] == .int(16), "Chroma's client reads the index kind from the schema")
            for start in stride(from: 0, to: data.ids.count, by: 1_000) {
                let range = start..<(start + 1_000)
                try await collection.add(
                    ids: Array(data.ids[range]), embeddings: Array(data.vectors[range]),
                    metadatas: Array(data.metadatas[range]))
            }
            var live = Dictionary(uniqueKeysWithValues: zip(data.ids, data.vectors))
            // Before compaction the log tail answers; after it the postings do, as well.
            let tailRecall = try await Self.recall(collection, live, data, seed: 1)
            #expect(tailRecall == 1.0)
            let summary = try await collection.compact()
            #expect(summary?.recordCount == 4_000)
            let keys = try await LocalFileStore(root: folder).listAll(prefix: "tenant/").map(\.key)
            #expect(!keys.contains { $0.contains("/hnsw/") }, "a SPANN collection writes no HNSW object")
            let manifestKey = try #require(keys.filter { $0.contains("/version/") }.max())
            let manifest = String(
                decoding: try Foundation.Data(contentsOf: folder.appendingPathComponent(manifestKey)), as: UTF8.self)
            #expect(manifest.contains("\"spann_centroids\"") && manifest.contains("\"format_version\":4"))

            let indexed = try await Self.recall(collection, live, data, seed: 1)
            #expect(indexed >= 0.95, "recall@10 at search_nprobe 16: \(indexed)")
            // A filter applies inside the postings; a selective one is compared exactly from the records.
            let tagged = try await Self.recall(
                collection, live, data, seed: 2, filter: .eq("tag", .string("t1")),
                include: { Int($0.dropFirst())! % 4 == 1 })
            #expect(tagged >= 0.95, "filtered recall@10: \(tagged)")
            let few = try await Self.recall(
                collection, live, data, seed: 3, filter: .field("n", .lt(.int(30))),
                include: { Int($0.dropFirst())! < 30 })
            #expect(few == 1.0)

            // Moves and deletes: first in the log tail (hiding the postings' stale copies), then compacted.
            var rng = SplitMix64(seed: 30)
            let moved = Array(data.ids[0..<200])
            let movedVectors = moved.map { _ in data.query(&rng) }
            try await collection.update(ids: moved, embeddings: movedVectors)
            for (id, vector) in zip(moved, movedVectors) { live[id] = vector }
            let gone = Array(data.ids[1_000..<1_300])
            try await collection.delete(ids: gone)
            for id in gone { live[id] = nil }
            for round in 0..<2 {
                #expect(try await collection.count() == live.count)
                let recall = try await Self.recall(collection, live, data, seed: 4)
                #expect(recall >= 0.95, "recall@10 after moves and deletes (round \(round)): \(recall)")
                for (id, vector) in zip(moved, movedVectors).prefix(20) {
                    let hit = try await collection.query(queryEmbeddings: [vector], nResults: 1)
                    #expect(hit.ids.first?.first == id && (hit.distances?.first?.first ?? 1) < 1e-4)
                }
                try await collection.compact()
            }

            // Search settings change with `modify`; HNSW parameters do not apply.
            try await collection.modify(configuration: ["spann": .object(["search_nprobe": .int(64)])])
            collection = try await client.getCollection("clustered")
            #expect(collection.configuration.spann?.searchNprobe == 64)
            let wider = try await Self.recall(collection, live, data, seed: 4)
            #expect(wider >= 0.98, "recall@10 at search_nprobe 64: \(wider)")
            await #expect(throws: CairnError.self) {
                try await collection.modify(configuration: ["hnsw": .object(["ef_search": .int(50)])])
            }

            // Reopened, forked, collected and checked: the same answers, nothing dangling.
            client = try await Client.open(folder.path, options: Self.options())
            collection = try await client.getCollection("clustered")
            #expect(try await Self.recall(collection, live, data, seed: 4) == wider)
            let fork = try await collection.fork("clustered-fork")
            var forkLive = live
            let extra = (0..<100).map { "x\($0)" }
            let extraVectors = extra.map { _ in data.query(&rng) }
            try await fork.add(ids: extra, embeddings: extraVectors)
            for (id, vector) in zip(extra, extraVectors) { forkLive[id] = vector }
            try await fork.compact()
            #expect(try await Self.recall(fork, forkLive, data, seed: 5) >= 0.98)
            #expect(try await Self.recall(collection, live, data, seed: 5) >= 0.98)
            _ = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
            let report = try await client.check(loadIndexes: true)
            #expect(report.isClean, "\(report.problems)")
            #expect(report.indexes == 2)
            #expect(try await Self.recall(fork, forkLive, data, seed: 6) >= 0.98)
            #expect(try await Self.recall(collection, live, data, seed: 6) >= 0.98)
        }
    }

    @Test func badSpannConfigurationsAreRefusedByName() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: Self.options())
            let cases: [([String: JSONValue], String)] = [
                (["split_threshold": .int(1)], "split_threshold"),
                (["merge_threshold": .int(250)], "merge_threshold"),
                (["split_threshold": .int(40), "merge_threshold": .int(40)], "merge_threshold"),
                (["search_nprobe": .int(0)], "search_nprobe"),
                (["space": .string("hamming")], "space"),
                (["nprobe": .int(8)], "nprobe"),
                (["write_rng_factor": .string("x")], "write_rng_factor"),
            ]
            for (spann, name) in cases {
                do {
                    _ = try await client.createCollection("bad", configuration: ["spann": .object(spann)])
                    Issue.record("\(spann) was accepted")
                } catch let error as CairnError {
                    #expect(error.message.contains(name), "\(error.message)")
                }
            }
            await #expect(throws: CairnError.self) {
                _ = try await client.createCollection(
                    "both", configuration: ["spann": .object([:]), "hnsw": .object([:])])
            }
            #expect(try await client.listCollections().isEmpty, "nothing was created")
            // A split threshold given alone brings the default merge threshold down to half of it.
            let small = try await client.createCollection(
                "small-postings", configuration: ["spann": .object(["split_threshold": .int(40)])])
            #expect(small.configuration.spann?.mergeThreshold == 20)
            #expect(SpannParameters().splitThreshold == 200 && SpannParameters().mergeThreshold == 100)
        }
    }
}
