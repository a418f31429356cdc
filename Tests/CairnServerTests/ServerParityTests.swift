// Chroma 1.5 parity of the collection model (issue 17): the configuration a client gives — embedding function
// included — comes back as Chroma returns it, with Chroma's derived schema, survives a reopen and a configuration
// change; malformed configurations get Chroma's 422; reset needs --allow-reset; indexing status is answered.
import Cairn
import CairnServer
import Foundation
import Testing

@Suite struct ServerParityTests {
    static let knownFunction = #"{"type":"known","name":"my_ef","config":{"model":"m","dim":3}}"#

    @Test func theEmbeddingFunctionAndTheSchemaComeBackAsChromaReturnsThem() async throws {
        try await ServerHarness.with { api in
            let body =
                #","configuration":{"hnsw":{"space":"cosine","ef_search":55},"embedding_function":\#(Self.knownFunction)}"#
            _ = try await api.createCollection("with_ef", body)
            let reply = try await api.get(API.db + "/collections/with_ef")
            let configuration = try #require(reply.json["configuration_json"])
            #expect(configuration["embedding_function"] == (try JSONParser.parse(Self.knownFunction)))
            #expect(configuration["spann"] == .null)
            #expect(configuration["hnsw"]?["space"] == .string("cosine"))
            #expect(configuration["hnsw"]?["ef_search"] == .int(55))
            #expect(configuration["hnsw"]?["num_threads"] == nil, "Chroma's configuration_json has 6 hnsw keys")
            let vector = reply.json["schema"]?["keys"]?["#embedding"]?["float_list"]?["vector_index"]
            #expect(vector?["enabled"] == .bool(true))
            #expect(vector?["config"]?["source_key"] == .string("#document"))
            #expect(vector?["config"]?["embedding_function"]?["name"] == .string("my_ef"))
            #expect(vector?["config"]?["hnsw"]?["ef_search"] == .int(55))
            #expect(reply.json["schema"]?["keys"]?["#document"]?["string"]?["fts_index"]?["enabled"] == .bool(true))

            _ = try await api.createCollection("no_ef", #","configuration":null"#)
            let plain = try await api.get(API.db + "/collections/no_ef")
            #expect(plain.json["configuration_json"]?["embedding_function"] == .null)
        }
    }

    @Test(arguments: [
        (#"{"hnsw":{"bogus":1}}"#, "configuration.hnsw.bogus: unknown field `bogus`"),
        (#"{"hnsw":{"ef_search":-1}}"#, "configuration.hnsw.ef_search: invalid value: integer `-1`"),
        (#"{"hnsw":{"space":"dot"}}"#, "configuration.hnsw.space: unknown variant `dot`"),
        (#"{"embedding_function":{"name":"x"}}"#, "configuration.embedding_function: missing field `type`"),
        (#"{"embedding_function":{"type":"custom"}}"#, "unknown variant `custom`"),
    ])
    func malformedConfigurationsGetChromas422(configuration: String, message: String) async throws {
        try await ServerHarness.with { api in
            let reply = try await api.post(
                API.db + "/collections", #"{"name":"bad_config","configuration":\#(configuration)}"#)
            #expect(reply.status == .unprocessableContent && reply.error == "ChromaError", "\(reply.text)")
            #expect(reply.message.contains(message), "\(reply.message)")
            #expect(try await api.get(API.db + "/collections_count").text == "0", "nothing was created")
        }
    }

    @Test func aConfigurationChangeIsPersistedAndImmutableFieldsAreRefused() async throws {
        try await ServerHarness.with { api in
            let id = try await api.createCollection("changing")
            let change = try await api.call(
                .put, API.collection(id),
                #"{"new_configuration":{"hnsw":{"ef_search":77},"embedding_function":\#(Self.knownFunction)}}"#)
            #expect(change.status == .ok, "\(change.text)")
            let after = try await api.get(API.db + "/collections/changing")
            #expect(after.json["configuration_json"]?["hnsw"]?["ef_search"] == .int(77))
            #expect(after.json["configuration_json"]?["embedding_function"]?["name"] == .string("my_ef"))
            let space = try await api.call(.put, API.collection(id), #"{"new_configuration":{"hnsw":{"space":"ip"}}}"#)
            #expect(space.status == .unprocessableContent, "\(space.text)")
            #expect(
                try await api.get(API.db + "/collections/changing").json["configuration_json"]?["hnsw"]?["space"]
                    == .string("l2"))
        }
    }

    @Test func resetNeedsAllowResetAndThenEmptiesEverything() async throws {
        try await ServerHarness.with { api in
            let refused = try await api.post("/api/v2/reset", "")
            #expect(refused.status == .forbidden && refused.message == "Reset is disabled by config", "\(refused.text)")
        }
        var options = ServerOptions()
        options.allowReset = true
        try await ServerHarness.with(options: options) { api in
            let id = try await api.createCollection("doomed")
            _ = try await api.post(API.collection(id, "add"), #"{"ids":["a"],"embeddings":[[1,2]]}"#)
            #expect(try await api.post("/api/v2/tenants", #"{"name":"other_tenant"}"#).status == .ok)
            let reset = try await api.post("/api/v2/reset", "")
            #expect(reset.status == .ok && reset.text == "true", "\(reset.text)")
            #expect(try await api.get(API.db + "/collections_count").text == "0")
            #expect(try await api.get("/api/v2/tenants/other_tenant").status == .notFound)
            _ = try await api.createCollection("doomed")  // the name is free again
        }
    }

    @Test func indexingStatusCountsTheLogAgainstTheIndexedVersion() async throws {
        try await ServerHarness.with { api in
            let id = try await api.createCollection("status")
            _ = try await api.post(API.collection(id, "add"), #"{"ids":["a","b"],"embeddings":[[1,2],[3,4]]}"#)
            let status = try await api.get(API.collection(id, "indexing_status"))
            #expect(status.status == .ok, "\(status.text)")
            #expect(status.json["num_indexed_ops"] == .int(0))
            #expect(status.json["num_unindexed_ops"] == .int(2))
            #expect(status.json["total_ops"] == .int(2))
            #expect(status.json["op_indexing_progress"] == .double(0) || status.json["op_indexing_progress"] == .int(0))
        }
    }

    /// What Chroma's server accepts and Cairn refused before (issue 17, items 5 and 7): uris kept and returned,
    /// query restricted to ids, `#document` conditions inside `where` (compacted and in the log alike), a one-child
    /// `$and`, `n_results` 0, a delete without filters, and duplicate ids in a raw write applied in order.
    @Test func callsChromasServerAcceptsWorkTheSame() async throws {
        try await ServerHarness.withClient { api, client in
            let id = try await api.createCollection("accepts")
            let add = try await api.post(
                API.collection(id, "add"),
                #"{"ids":["a","b","c","a"],"embeddings":[[1,0],[0,1],[1,1],[9,9]],"documents":["hello world","goodbye","hello again","dup"],"metadatas":[{"k":1},{"k":2},null,null],"uris":["u1",null,"u3","u4"]}"#
            )
            #expect(add.status == .created, "\(add.text)")
            for compacted in [false, true] {
                if compacted { try await client.getCollection("accepts").compact() }
                let all = try await api.post(
                    API.collection(id, "get"), #"{"include":["uris","metadatas","documents"]}"#)
                #expect(all.json["ids"] == .array([.string("a"), .string("b"), .string("c")]), "\(all.text)")
                #expect(all.json["uris"] == .array([.string("u1"), .null, .string("u3")]), "\(all.text)")
                guard case .array(let metadatas)? = all.json["metadatas"],
                    case .array(let documents)? = all.json["documents"]
                else {
                    Issue.record("no metadatas or documents in \(all.text)")
                    return
                }
                #expect(
                    metadatas.count == 3 && metadatas[2] == .object([:]), "a uri and no metadata shows {} (as Chroma)")
                #expect(documents.first == .string("hello world"), "the first add of a wins")
                let hello = try await api.post(
                    API.collection(id, "get"), ##"{"where":{"$and":[{"#document":{"$contains":"hello"}}]}}"##)
                #expect(hello.json["ids"] == .array([.string("a"), .string("c")]), "\(hello.text)")
                let mixed = try await api.post(
                    API.collection(id, "get"), ##"{"where":{"$or":[{"#document":{"$regex":"^good"}},{"k":1}]}}"##)
                #expect(mixed.json["ids"] == .array([.string("a"), .string("b")]), "\(mixed.text)")
                let restricted = try await api.post(
                    API.collection(id, "query"),
                    #"{"query_embeddings":[[1,0]],"n_results":5,"ids":["b","c"],"include":["distances"]}"#)
                #expect(restricted.json["ids"] == .array([.array([.string("c"), .string("b")])]), "\(restricted.text)")
                let none = try await api.post(
                    API.collection(id, "query"), #"{"query_embeddings":[[1,0]],"n_results":0}"#)
                #expect(none.status == .ok && none.json["ids"] == .array([.array([])]), "\(none.text)")
            }
            let nothing = try await api.post(API.collection(id, "delete"), "{}")
            #expect(nothing.status == .ok && nothing.text == #"{"deleted":0}"#, "\(nothing.text)")
        }
    }
}
