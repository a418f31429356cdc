// Two clients with their own catalogs on one store: what two nodes on one bucket do. Each must see the other's
// writes, compactions, renames and deletions within its refresh interval, and lose nothing.
import Cairn
import Foundation
import StorageTesting
import Testing

@Suite struct SharedStoreTests {
    static func node(_ folder: URL, catalog: String) async throws -> Client {
        var options = Client.Options()
        options.compactionThreshold = nil
        options.garbageCollectionInterval = nil
        options.refreshInterval = .milliseconds(50)
        options.catalogFile = folder.deletingLastPathComponent().appendingPathComponent(catalog)
        return try await Client.open(folder.path, options: options)
    }

    static func add(_ collection: Collection, _ range: Range<Int>, _ model: inout CollectionModel) async throws {
        let ids = range.map { "r\($0)" }
        let embeddings = range.map { i in (0..<4).map { Float((i * 7 + $0 * 13) % 17) } }
        try await collection.add(ids: ids, embeddings: embeddings, metadatas: range.map { ["n": .int(Int64($0))] })
        for (i, id) in zip(range, ids) { model.add(id, embeddings[i - range.lowerBound], ["n": .int(Int64(i))], nil) }
    }

    static func sees(_ collection: Collection, _ model: CollectionModel) async throws -> Bool {
        for _ in 0..<100 {
            if try await collection.get(include: Include()).ids == model.ordered.map(\.id) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func twoNodesSeeEachOthersWritesCompactionsAndDeletes() async throws {
        try await TemporaryDirectory.with { root in
            let folder = root.appendingPathComponent("store")
            let a = try await Self.node(folder, catalog: "a.sqlite3")
            let onA = try await a.createCollection("shared")
            var model = CollectionModel()
            try await Self.add(onA, 0..<50, &model)

            let b = try await Self.node(folder, catalog: "b.sqlite3")
            let onB = try await b.getCollection("shared")
            #expect(try await Self.sees(onB, model), "b sees a's first writes")

            try await Self.add(onA, 50..<100, &model)
            #expect(try await Self.sees(onB, model), "b sees a's later writes")
            _ = try await onA.compact()  // folds the log and removes its fragments
            try await Self.add(onB, 100..<120, &model)
            #expect(try await Self.sees(onB, model), "b read past a's compaction")
            #expect(try await Self.sees(onA, model), "a sees b's writes")
            _ = try await onB.compact()  // b compacts on top of a's version
            try await Self.add(onA, 120..<130, &model)
            #expect(try await Self.sees(onA, model))
            #expect(try await Self.sees(onB, model))

            let query = try await onB.query(queryEmbeddings: [[1, 2, 3, 4]], nResults: 5)
            #expect(query.ids.first ?? [] == model.nearest([1, 2, 3, 4], k: 5, nil, nil).map(\.0))

            _ = try await onA.modify(name: "renamed")
            var renamed = false
            for _ in 0..<100 where !renamed {
                _ = try? await onB.count()  // a read refreshes b's view of the collection
                renamed = (try? await b.getCollection("renamed")) != nil
                if !renamed { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(renamed, "b learns the new name")

            try await a.deleteCollection("renamed")
            var gone = false
            for _ in 0..<100 where !gone {
                do {
                    _ = try await onB.count()
                    try await Task.sleep(for: .milliseconds(50))
                } catch let error as CairnError {
                    gone = error.code == .notFound
                }
            }
            #expect(gone, "b learns of the deletion")

            // A collection created on a after b opened: b finds it by name and lists it.
            let late = try await a.createCollection("late")
            var lateModel = CollectionModel()
            try await Self.add(late, 0..<5, &lateModel)
            try await Task.sleep(for: .milliseconds(60))  // past b's catalog sync interval
            let found = try await b.getCollection("late")
            #expect(try await Self.sees(found, lateModel))
            #expect(try await b.listCollections().map(\.name) == ["late"])
            #expect(try await a.check().isClean)
        }
    }

    @Test func aNameBelongsToOneCollectionAcrossNodes() async throws {
        try await TemporaryDirectory.with { root in
            let folder = root.appendingPathComponent("store")
            let a = try await Self.node(folder, catalog: "a.sqlite3")
            let b = try await Self.node(folder, catalog: "b.sqlite3")
            // Both nodes create "docs" at once; neither catalog knows the other's.
            async let onA = Result { try await a.createCollection("docs") }
            async let onB = Result { try await b.createCollection("docs") }
            let outcomes = [await onA, await onB]
            let created = outcomes.compactMap { try? $0.get() }
            #expect(created.count == 1, "\(outcomes)")
            for case .failure(let error as CairnError) in outcomes { #expect(error.code == .alreadyExists) }

            // get-or-create on either node returns that one collection, and both see its writes.
            let fromA = try await a.getOrCreateCollection("docs")
            let fromB = try await b.getOrCreateCollection("docs")
            #expect(fromA.id == created[0].id && fromB.id == created[0].id)
            var model = CollectionModel()
            try await Self.add(fromB, 0..<10, &model)
            #expect(try await Self.sees(fromA, model))

            // A rename frees the old name and takes the new one on every node; a deleted collection's name is free.
            _ = try await fromA.modify(name: "papers")
            await #expect(throws: CairnError.self) { _ = try await b.createCollection("papers") }
            let reused = try await b.createCollection("docs")
            #expect(reused.id != created[0].id)
            try await a.deleteCollection("papers")
            #expect(try await b.createCollection("papers").id != created[0].id)
        }
    }
}
