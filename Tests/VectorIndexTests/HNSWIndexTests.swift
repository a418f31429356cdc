// HNSWIndex: answers agree with exact search in every space, deletes hold, files round-trip byte for byte.
import Foundation
import ObjectStore
import Testing

@testable import VectorIndex

@Suite("HNSWIndex")
struct HNSWIndexTests {
    static let dimension = 16

    func build(_ data: Dataset, space: DistanceSpace, capacity: Int = 100) throws -> HNSWIndex {
        let index = try HNSWIndex.create(
            dimension: data.dimension, parameters: HNSWParameters(space: space, numThreads: 2), capacity: capacity)
        try index.add(flat: data.vectors, ids: data.ids)
        return index
    }

    @Test("recall@10 against brute force in every space", arguments: DistanceSpace.allCases)
    func recallEverySpace(space: DistanceSpace) throws {
        let data = Dataset(count: 2000, dimension: Self.dimension, seed: 1)
        let index = try build(data, space: space)
        #expect(index.count == 2000)
        var total = 0.0
        let queries = data.queries(50, seed: 2)
        for query in queries {
            let found = try index.search(query, k: 10)
            let truth = try data.exact(query, k: 10, space: space)
            total += recall(found, truth)
            #expect(found.count == 10)
            #expect(zip(found, found.dropFirst()).allSatisfy { $0.distance <= $1.distance })
            // Reported distances are the space's distances.
            for neighbor in found.prefix(3) {
                let exact = try data.exact(query, k: 1, space: space, allowed: [neighbor.id])[0].distance
                #expect(abs(exact - neighbor.distance) <= 1e-3 * max(1, abs(exact)))
            }
        }
        #expect(total / Double(queries.count) >= 0.98)
    }

    @Test("grows by the resize factor and keeps every vector")
    func growsByResizeFactor() throws {
        let data = Dataset(count: 300, dimension: 8, seed: 3)
        let index = try HNSWIndex.create(dimension: 8, parameters: HNSWParameters(resizeFactor: 1.5), capacity: 100)
        try index.add(flat: Array(data.vectors[0..<(120 * 8)]), ids: (0..<120).map { OffsetID($0) })
        #expect(index.capacity == 150)
        try index.add(flat: Array(data.vectors[(120 * 8)...]), ids: (120..<300).map { OffsetID($0) })
        #expect(index.count == 300)
        #expect(index.capacity >= 300)
        #expect(try index.vector(for: 299) == data.vector(299))
    }

    @Test("an existing id is replaced, not duplicated")
    func upsertReplaces() throws {
        let index = try HNSWIndex.create(dimension: 2, capacity: 10)
        try index.add([[0, 0], [10, 10]], ids: [1, 2])
        try index.add([[20, 20]], ids: [1])
        #expect(index.count == 2)
        #expect(try index.search([20, 20], k: 1).first?.id == 1)
        #expect(try index.vector(for: 1) == [20, 20])
    }

    @Test("deleted ids never appear, before and after a reload")
    func deletedNeverReturned() throws {
        let data = Dataset(count: 1000, dimension: 8, seed: 4)
        let index = try build(data, space: .l2)
        let deleted = (0..<1000).filter { $0 % 3 == 0 }.map { OffsetID($0) }
        try index.markDeleted(deleted)
        #expect(index.deletedCount == deleted.count)
        let deletedSet = Set(deleted)
        for query in data.queries(20, seed: 5) {
            let found = try index.search(query, k: 20)
            #expect(found.count == 20)
            #expect(found.allSatisfy { !deletedSet.contains($0.id) })
            let filtered = try index.search(query, k: 10, allowed: AllowedSet((0..<1000).map { OffsetID($0) }))
            #expect(filtered.neighbors.allSatisfy { !deletedSet.contains($0.id) })
        }
        let error = #expect(throws: VectorIndexError.self) { try index.markDeleted([0]) }
        #expect(error?.code == .labelNotFound)

        // hnswlib's loadIndex leaves num_deleted_ uninitialised: the shim recounts.
        try withTemporaryDirectory { (dir) throws(VectorIndexError) in
            let path = dir.appendingPathComponent("i.bin").path
            try index.save(toFile: path)
            let loaded = try HNSWIndex.load(fromFile: path, dimension: 8, parameters: index.parameters)
            #expect(loaded.deletedCount == deleted.count)
            for query in data.queries(10, seed: 6) {
                #expect(try loaded.search(query, k: 20).allSatisfy { !deletedSet.contains($0.id) })
            }
        }
    }

    @Test("save, load and save again gives the same bytes and the same answers")
    func fileRoundTripIsByteIdentical() throws {
        let data = Dataset(count: 500, dimension: Self.dimension, seed: 7)
        let index = try build(data, space: .cosine, capacity: 700)
        try index.markDeleted([3, 4])
        try withTemporaryDirectory { (dir) throws(VectorIndexError) in
            let first = dir.appendingPathComponent("a.bin").path
            let second = dir.appendingPathComponent("b.bin").path
            try index.save(toFile: first)
            let loaded = try HNSWIndex.load(fromFile: first, dimension: Self.dimension, parameters: index.parameters)
            try loaded.save(toFile: second)
            let a = FileManager.default.contents(atPath: first)
            let b = FileManager.default.contents(atPath: second)
            #expect(a != nil && a == b)
            #expect(loaded.capacity == 700)
            for query in data.queries(10, seed: 8) {
                #expect(try loaded.search(query, k: 10) == index.search(query, k: 10))
            }
        }
    }

    @Test("object store round trip is byte-identical and refuses unknown versions")
    func storeRoundTrip() async throws {
        let store = InMemoryStore()
        let collection = ObjectPath(prefix: "p").collection(tenant: "t", database: "d", collectionID: "c")
        let location = HNSWIndexLocation(collection: collection, segmentID: "s", indexID: "i1")
        let data = Dataset(count: 400, dimension: 8, seed: 9)
        let index = try build(data, space: .ip)
        try await index.write(to: location, store: store)
        #expect(store.keys == [location.headerKey, location.dataKey].sorted())
        #expect(location.dataKey.hasPrefix("p/tenant/t/database/d/collection/c/segment/s/hnsw/i1/"))

        let loaded = try await HNSWIndex.read(from: location, store: store)
        #expect(loaded.parameters.space == .ip)
        let copy = location.with(indexID: "i2")
        try await loaded.write(to: copy, store: store)
        let original = try await store.get(location.dataKey).data
        let rewritten = try await store.get(copy.dataKey).data
        #expect(original == rewritten)
        for query in data.queries(5, seed: 10) {
            #expect(try loaded.search(query, k: 5) == index.search(query, k: 5))
        }

        // Written once: a second write to the same location is refused by the store.
        await #expect(throws: VectorIndexError.self) { try await index.write(to: location, store: store) }

        // A header from a future format version is refused clearly.
        let future = location.with(indexID: "future")
        var header =
            try JSONSerialization.jsonObject(with: try await store.get(location.headerKey).data) as! [String: Any]
        header["formatVersion"] = 99
        try await store.put(future.headerKey, data: try JSONSerialization.data(withJSONObject: header))
        try await store.put(future.dataKey, data: original)
        let error = await #expect(throws: VectorIndexError.self) {
            try await HNSWIndex.read(from: future, store: store)
        }
        #expect(error?.code == .unsupportedVersion)

        // Truncated or foreign data is refused, never loaded.
        let broken = location.with(indexID: "broken")
        try await store.put(broken.headerKey, data: try await store.get(location.headerKey).data)
        try await store.put(broken.dataKey, data: original.prefix(original.count / 2))
        let corrupt = await #expect(throws: VectorIndexError.self) {
            try await HNSWIndex.read(from: broken, store: store)
        }
        #expect(corrupt?.code == .corrupt)
    }

    @Test("on a local folder hnswlib loads the object's own file, and a damaged one is refused")
    func localFileLoad() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-hnsw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try LocalFileStore(root: folder)
        let collection = ObjectPath().collection(tenant: "t", database: "d", collectionID: "c")
        let location = HNSWIndexLocation(collection: collection, segmentID: "s", indexID: "i1")
        let data = Dataset(count: 300, dimension: 8, seed: 12)
        let index = try build(data, space: .l2)
        try await index.write(to: location, store: store)
        #expect(store.localFile(location.dataKey) != nil)
        #expect(InMemoryStore().localFile(location.dataKey) == nil)
        let loaded = try await HNSWIndex.read(from: location, store: store)
        for query in data.queries(5, seed: 13) {
            #expect(try loaded.search(query, k: 5) == index.search(query, k: 5))
        }
        let file = try #require(store.localFile(location.dataKey))
        let bytes = try Data(contentsOf: file)
        try bytes.prefix(bytes.count - 100).write(to: file)
        let error = await #expect(throws: VectorIndexError.self) {
            try await HNSWIndex.read(from: location, store: store)
        }
        #expect(error?.code == .corrupt)
    }

    @Test("a header naming the wrong dimension is refused")
    func wrongDimensionRefused() throws {
        let index = try HNSWIndex.create(dimension: 4, capacity: 10)
        try index.add([[1, 2, 3, 4]], ids: [0])
        try withTemporaryDirectory { (dir) throws(VectorIndexError) in
            let path = dir.appendingPathComponent("i.bin").path
            try index.save(toFile: path)
            let error = #expect(throws: VectorIndexError.self) {
                try HNSWIndex.load(fromFile: path, dimension: 5, parameters: HNSWParameters())
            }
            #expect(error?.code == .corrupt)
            let missing = #expect(throws: VectorIndexError.self) {
                try HNSWIndex.load(fromFile: path + ".none", dimension: 4, parameters: HNSWParameters())
            }
            #expect(missing?.code == .io)
        }
    }

    @Test("saving into a missing directory is an I/O error, not a silent loss")
    func saveFailureReported() throws {
        let index = try HNSWIndex.create(dimension: 4, capacity: 10)
        try index.add([[1, 2, 3, 4]], ids: [0])
        let error = #expect(throws: VectorIndexError.self) {
            try index.save(toFile: "/nonexistent-cairn-dir/index.bin")
        }
        #expect(error?.code == .io)
    }

    @Test("vectors added beside searches make the graph hnswlib's add makes", arguments: DistanceSpace.allCases)
    func addBesideSearchesMakesHnswlibsGraph(space: DistanceSpace) throws {
        let data = Dataset(count: 2000, dimension: Self.dimension, seed: 11)
        // One thread: hnswlib's add inserts in order, drawing levels from the same generator.
        let atOnce = try HNSWIndex.create(
            dimension: data.dimension, parameters: HNSWParameters(space: space, numThreads: 1), capacity: 100)
        try atOnce.add(flat: data.vectors, ids: data.ids)
        // From a small capacity, so that the index grows on the way.
        let stepwise = try HNSWIndex.create(
            dimension: data.dimension, parameters: HNSWParameters(space: space), capacity: 16)
        for (row, id) in data.ids.enumerated() {
            try data.vectors.withUnsafeBufferPointer {
                try stepwise.addBesideSearches($0.baseAddress! + row * data.dimension, id: id)
            }
        }
        #expect(stepwise.count == 2000)
        #expect(try stepwise.vector(for: 1234).elementsEqual(atOnce.vector(for: 1234)))
        var total = 0.0
        let queries = data.queries(50, seed: 12)
        for query in queries {
            let found = try stepwise.search(query, k: 10)
            #expect(found == (try atOnce.search(query, k: 10)))
            total += recall(found, try data.exact(query, k: 10, space: space))
        }
        #expect(total / Double(queries.count) >= 0.98)
        // The graph is hnswlib's: it saves and loads like any other.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("beside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("index.bin").path
        try stepwise.save(toFile: path)
        let loaded = try HNSWIndex.load(
            fromFile: path, dimension: data.dimension, parameters: HNSWParameters(space: space))
        for query in queries.prefix(5) {
            #expect(try loaded.search(query, k: 10).map(\.id) == stepwise.search(query, k: 10).map(\.id))
        }
    }

    @Test("adding beside searches: an existing id is replaced, other changes in between are taken into account")
    func addBesideSearchesAfterOtherChanges() throws {
        let index = try HNSWIndex.create(dimension: 2, capacity: 4)
        func add(_ vector: [Float], id: OffsetID) throws {
            try vector.withUnsafeBufferPointer { try index.addBesideSearches($0.baseAddress!, id: id) }
        }
        try add([0, 0], id: 0)
        try add([10, 10], id: 1)
        try add([20, 20], id: 0)
        #expect(index.count == 2)
        #expect(try index.vector(for: 0) == [20, 20])
        try index.markDeleted([1])
        try add([11, 11], id: 2)
        #expect(try index.search([10, 10], k: 2).map(\.id) == [2, 0])
    }

    @Test("searches run while vectors are added beside them, and two adders do not corrupt the graph")
    func addBesideSearchesConcurrently() async throws {
        let data = Dataset(count: 3000, dimension: Self.dimension, seed: 13)
        let index = try HNSWIndex.create(dimension: data.dimension, capacity: 64)
        let queries = data.queries(20, seed: 14)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Two adders (each plan may be overtaken by the other's commit) and a searcher.
            for half in 0..<2 {
                group.addTask {
                    for row in stride(from: half, to: data.count, by: 2) {
                        try data.vectors.withUnsafeBufferPointer {
                            try index.addBesideSearches($0.baseAddress! + row * data.dimension, id: OffsetID(row))
                        }
                    }
                }
            }
            group.addTask {
                for round in 0..<200 {
                    let found = try index.search(queries[round % queries.count], k: 5)
                    #expect(found.allSatisfy { $0.id < OffsetID(data.count) })
                }
            }
            try await group.waitForAll()
        }
        #expect(index.count == data.count)
        var total = 0.0
        for query in queries {
            total += recall(try index.search(query, k: 10), try data.exact(query, k: 10, space: .l2))
        }
        #expect(total / Double(queries.count) >= 0.98)
    }

    @Test("a clone is independent and saves the same bytes")
    func cloneIsDeepCopy() throws {
        let data = Dataset(count: 300, dimension: 8, seed: 11)
        let index = try build(data, space: .l2)
        try index.markDeleted([7])
        let copy = try index.clone()
        try withTemporaryDirectory { (dir) throws(VectorIndexError) in
            let a = dir.appendingPathComponent("a").path
            let b = dir.appendingPathComponent("b").path
            try index.save(toFile: a)
            try copy.save(toFile: b)
            #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b))
        }
        try copy.add([[Float](repeating: 100, count: 8)], ids: [1000])
        try copy.markDeleted([8])
        #expect(index.count == 300 && copy.count == 301)
        #expect(index.deletedCount == 1 && copy.deletedCount == 2)
        #expect(try index.search([Float](repeating: 100, count: 8), k: 1).first?.id != 1000)
    }

    @Test("bad input is a typed error and changes nothing")
    func badInput() throws {
        let index = try HNSWIndex.create(dimension: 4, capacity: 10)
        #expect(throws: VectorIndexError.self) { try index.add([[1, 2, 3]], ids: [0]) }
        #expect(throws: VectorIndexError.self) { try index.add([[1, 2, 3, 4], [1, 2, 3, 4]], ids: [0, 0]) }
        #expect(throws: VectorIndexError.self) { try index.search([1, 2], k: 1) }
        #expect(throws: VectorIndexError.self) { try index.search([1, 2, 3, 4], k: 0) }
        #expect(throws: VectorIndexError.self) { try HNSWIndex.create(dimension: 0) }
        #expect(index.count == 0)
        #expect(try index.search([1, 2, 3, 4], k: 3).isEmpty)
    }
}
