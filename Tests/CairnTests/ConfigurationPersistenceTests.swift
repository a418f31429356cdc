// A collection's configuration — the client's embedding function and a given schema included — is part of its
// version manifest: it survives a compaction, a configuration change and a catalog rebuilt from the store alone (what
// a second node or a lost catalog does) (issue 17).
import Cairn
import CairnJSON
import Foundation
import StorageTesting
import Testing

@Suite struct ConfigurationPersistenceTests {
    @Test func theEmbeddingFunctionAndSchemaSurviveACatalogRebuild() async throws {
        try await TemporaryDirectory.with { folder in
            let function: [String: JSONValue] = [
                "type": .string("known"), "name": .string("my_ef"), "config": .object(["dim": .int(2)]),
            ]
            let schema: [String: JSONValue] = [
                "keys": .object([
                    "#embedding": .object([
                        "float_list": .object([
                            "vector_index": .object([
                                "enabled": .bool(true),
                                "config": .object([
                                    "space": .string("cosine"), "hnsw": .object(["ef_search": .int(42)]),
                                ]),
                            ])
                        ])
                    ])
                ])
            ]
            var options = Client.Options()
            options.compactionThreshold = nil
            options.catalogFile = folder.appendingPathComponent("first.sqlite")
            let store = folder.appendingPathComponent("store").path
            do {
                let client = try await Client.open(store, options: options)
                let collection = try await client.createCollection(
                    "kept", configuration: ["embedding_function": .object(function)], schema: schema)
                #expect(collection.configuration.hnsw.space == .cosine, "the schema's vector index sets the space")
                try await collection.add(ids: ["a", "b"], embeddings: [[1, 0], [0, 1]])
                try await collection.compact()
                try await collection.modify(configuration: ["hnsw": .object(["ef_search": .int(77)])])
            }
            options.catalogFile = folder.appendingPathComponent("rebuilt.sqlite")  // a node with no catalog yet
            let rebuilt = try await Client.open(store, options: options).getCollection("kept")
            #expect(rebuilt.configuration.embeddingFunction == function)
            #expect(rebuilt.configuration.hnsw.space == .cosine)
            #expect(rebuilt.configuration.hnsw.searchEF == 77)
            #expect(rebuilt.configuration.givenSchema == schema)
            #expect(rebuilt.configuration.chromaJSON["embedding_function"] == .object(function))
            #expect(try await rebuilt.count() == 2)
        }
    }
}
