import Foundation
import StorageTesting
import Testing

// A node serving many collections keeps the in-memory views of the most recently used ones only (issue 22: 10,000
// tenants on one node): a dropped view is opened again from the store, with every write, and a collection a handle
// still holds keeps its one view — never a second one beside it.
@testable import Cairn

@Suite struct CollectionRegistryTests {
    @Test func viewsPastTheLimitAreDroppedAndOpenedAgainWithEveryWrite() async throws {
        var options = Client.Options()
        options.compactionThreshold = nil
        options.garbageCollectionInterval = nil
        options.maxOpenCollections = 3
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: options)
            for i in 0..<8 {
                let collection = try await client.createCollection("coll\(i)")
                try await collection.add(ids: ["a", "b"], embeddings: [[Float(i), 0], [0, Float(i)]])
            }
            // Only the three most recently used views are kept once no handle holds the others.
            let registry = client.context.registry
            #expect((0..<5).allSatisfy { i in registry.openRuntime(collectionID: id(client, "coll\(i)")) == nil })
            #expect((5..<8).allSatisfy { i in registry.openRuntime(collectionID: id(client, "coll\(i)")) != nil })
            // A dropped one answers from the store, its uncompacted writes included.
            let reopened = try await client.getCollection("coll0")
            #expect(try await reopened.count() == 2)
            #expect(try await reopened.query(queryEmbeddings: [[0, 0]], nResults: 2).ids[0].sorted() == ["a", "b"])

            // A handle keeps its view alive past the limit; a new handle of it shares that view.
            let held = try await client.getCollection("coll1")
            for i in 2..<8 { _ = try await client.getCollection("coll\(i)").count() }
            let again = try await client.getCollection("coll1")
            #expect(held.runtime === again.runtime)
            try await again.add(ids: ["c"], embeddings: [[1, 1]])
            #expect(try await held.count() == 3, "a write through one handle is read through the other at once")
        }
    }

    func id(_ client: Client, _ name: String) -> String {
        (try? client.context.catalog.call {
            try $0.collection(tenant: "default_tenant", database: "default_database", name: name).id
        }) ?? ""
    }
}
