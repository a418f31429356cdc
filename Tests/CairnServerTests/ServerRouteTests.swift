// Every /api/v2 route the server serves, through the router in process: the JSON shapes and statuses the official
// Chroma client relies on, and the Chroma error bodies for each kind of user error.
import Cairn
import CairnServer
import Foundation
import Testing

@Suite struct ServerRouteTests {
    @Test func serverRoutesAnswerWithChromasShapes() async throws {
        try await ServerHarness.with { api in
            let heartbeat = try await api.get("/api/v2/heartbeat")
            #expect(heartbeat.status == .ok)
            guard case .int(let nanos)? = heartbeat.json["nanosecond heartbeat"] else {
                Issue.record("heartbeat: \(heartbeat.text)")
                return
            }
            #expect(nanos > 1_700_000_000 * 1_000_000_000)
            #expect(try await api.get("/api/v2").json["nanosecond heartbeat"] != nil)
            #expect(try await api.get("/api/v2/version").json == .string("1.0.0"))
            #expect(try await api.get("/api/v2/healthcheck").json["is_executor_ready"] == .bool(true))
            let preflight = try await api.get("/api/v2/pre-flight-checks").json
            #expect(preflight["max_batch_size"] == .int(Int64(Client.maxBatchSize)))
            #expect(preflight["supports_base64_encoding"] == .bool(true))
            let identity = try await api.get("/api/v2/auth/identity").json
            #expect(identity["tenant"] == .string("default_tenant"))
            #expect(identity["databases"] == .array([.string("default_database")]))
            let content = try await api.get("/api/v2/heartbeat").headers[.contentType]
            #expect(content == "application/json")
        }
    }

    @Test func tenantsAndDatabases() async throws {
        try await ServerHarness.with { api in
            #expect(try await api.post("/api/v2/tenants", #"{"name":"acme"}"#).status == .ok)
            #expect(try await api.get("/api/v2/tenants/acme").json == ["name": "acme"])
            let missing = try await api.get("/api/v2/tenants/nobody")
            #expect(missing.status == .notFound && missing.error == "NotFoundError", "\(missing.text)")
            let taken = try await api.post("/api/v2/tenants", #"{"name":"acme"}"#)
            #expect(taken.status == .conflict && taken.error == "ChromaError", "\(taken.text)")
            let noName = try await api.post("/api/v2/tenants", #"{}"#)
            // Chroma's 422 for a body missing a field.
            #expect(
                noName.status == .unprocessableContent && noName.message.contains("missing field `name`"),
                "\(noName.text)")

            for name in ["alpha", "beta", "gamma"] {
                let reply = try await api.post("/api/v2/tenants/acme/databases", #"{"name":"\#(name)"}"#)
                #expect(reply.status == .ok, "\(reply.text)")
            }
            let all = try await api.get("/api/v2/tenants/acme/databases").json
            guard case .array(let databases) = all else {
                Issue.record("list: \(all)")
                return
            }
            #expect(databases.map { $0["name"] } == [.string("alpha"), .string("beta"), .string("gamma")])
            #expect(databases.allSatisfy { $0["tenant"] == .string("acme") && $0["id"] != nil })
            let page = try await api.get("/api/v2/tenants/acme/databases?limit=1&offset=1").json
            #expect(page == .array([databases[1]]))
            #expect(try await api.get("/api/v2/tenants/acme/databases/beta").json == databases[1])
            let badLimit = try await api.get("/api/v2/tenants/acme/databases?limit=-1")
            #expect(badLimit.status == .badRequest, "\(badLimit.text)")
            let duplicate = try await api.post("/api/v2/tenants/acme/databases", #"{"name":"alpha"}"#)
            #expect(duplicate.status == .conflict, "\(duplicate.text)")
            let shortName = try await api.post("/api/v2/tenants/acme/databases", #"{"name":"ab"}"#)
            #expect(shortName.status == .badRequest && shortName.error == "InvalidArgumentError", "\(shortName.text)")
            #expect(try await api.call(.delete, "/api/v2/tenants/acme/databases/beta").status == .ok)
            let gone = try await api.get("/api/v2/tenants/acme/databases/beta")
            #expect(gone.status == .notFound && gone.error == "NotFoundError", "\(gone.text)")
            #expect(try await api.call(.delete, "/api/v2/tenants/acme/databases/beta").status == .notFound)
        }
    }

    @Test func collectionsLifecycle() async throws {
        try await ServerHarness.with { api in
            let collections = API.db + "/collections"
            let created = try await api.post(
                collections, #"{"name":"docs","metadata":{"topic":"a","n":1,"x":1.0},"get_or_create":false}"#)
            #expect(created.status == .ok, "\(created.text)")
            let model = created.json
            #expect(model["name"] == .string("docs"))
            #expect(model["metadata"] == ["topic": "a", "n": 1, "x": 1.0])
            #expect(model["tenant"] == .string("default_tenant") && model["database"] == .string("default_database"))
            #expect(model["configuration_json"]?["hnsw"]?["space"] == .string("l2"))
            #expect(model["dimension"] == .null)
            guard case .string(let id)? = model["id"] else {
                Issue.record("no id")
                return
            }

            let duplicate = try await api.post(collections, #"{"name":"docs"}"#)
            #expect(duplicate.status == .conflict && duplicate.error == "ChromaError", "\(duplicate.text)")
            #expect(duplicate.message.contains("docs"))
            let again = try await api.post(collections, #"{"name":"docs","get_or_create":true}"#)
            #expect(again.json["id"] == .string(id))
            let cosine = try await api.post(
                collections, #"{"name":"other","configuration":{"hnsw":{"space":"cosine"},"embedding_function":null}}"#)
            #expect(cosine.json["configuration_json"]?["hnsw"]?["space"] == .string("cosine"), "\(cosine.text)")
            let badName = try await api.post(collections, #"{"name":"a"}"#)
            #expect(badName.status == .badRequest && badName.error == "InvalidArgumentError", "\(badName.text)")
            let badMetadata = try await api.post(collections, #"{"name":"third","metadata":{"k":{"nested":1}}}"#)
            #expect(badMetadata.status == .badRequest, "\(badMetadata.text)")

            #expect(try await api.get(API.db + "/collections_count").json == .int(2))
            let listed = try await api.get(collections).json
            guard case .array(let all) = listed else {
                Issue.record("list: \(listed)")
                return
            }
            #expect(all.map { $0["name"] } == [.string("docs"), .string("other")])
            #expect(try await api.get(collections + "?limit=1&offset=1").json == .array([all[1]]))
            #expect(try await api.get(collections + "/docs").json["id"] == .string(id))
            let missing = try await api.get(collections + "/nope")
            #expect(missing.status == .notFound && missing.error == "NotFoundError", "\(missing.text)")

            let modified = try await api.call(
                .put, API.collection(id), #"{"new_name":"renamed","new_metadata":{"topic":"b"}}"#)
            #expect(modified.status == .ok, "\(modified.text)")
            let renamed = try await api.get(collections + "/renamed").json
            #expect(renamed["id"] == .string(id) && renamed["metadata"] == ["topic": "b"])
            let clash = try await api.call(.put, API.collection(id), #"{"new_name":"other"}"#)
            #expect(clash.status == .conflict, "\(clash.text)")
            let fork = try await api.post(API.collection(id, "fork"), #"{"new_name":"copy"}"#)
            #expect(fork.status == .ok && fork.json["name"] == .string("copy"), "\(fork.text)")
            #expect(fork.json["metadata"] == ["topic": "b"] && fork.json["id"] != .string(id))
            #expect(try await api.get(API.collection(id, "fork_count")).json == ["count": 1])
            let taken = try await api.post(API.collection(id, "fork"), #"{"new_name":"copy"}"#)
            #expect(taken.status == .conflict, "\(taken.text)")
            let unnamed = try await api.post(API.collection(id, "fork"), #"{}"#)
            #expect(unnamed.status == .unprocessableContent, "\(unnamed.text)")
            #expect(try await api.call(.delete, collections + "/copy").status == .ok)

            #expect(try await api.call(.delete, collections + "/renamed").status == .ok)
            let deleted = try await api.call(.delete, collections + "/renamed")
            #expect(deleted.status == .notFound, "\(deleted.text)")
            #expect(try await api.get(API.db + "/collections_count").json == .int(1))
            let otherDatabase = try await api.get("/api/v2/tenants/default_tenant/databases/nowhere/collections")
            #expect(otherDatabase.status == .notFound, "\(otherDatabase.text)")
        }
    }

    @Test func recordsAddGetQueryUpdateUpsertDeleteCount() async throws {
        try await ServerHarness.with { api in
            let id = try await api.createCollection("items")
            let add = try await api.post(
                API.collection(id, "add"),
                #"""
                {"ids":["a","b","c"],"embeddings":[[1,0,0],[0,1,0],[0,0,1.5]],
                 "metadatas":[{"kind":"x","n":1},{"kind":"y","n":2.0},null],
                 "documents":["apple pie","banana split",null],"uris":null}
                """#)
            #expect(add.status == .created, "\(add.text)")
            #expect(try await api.get(API.collection(id, "count")).json == .int(3))
            let model = try await api.get(API.db + "/collections/items").json
            #expect(model["dimension"] == .int(3))

            let all = try await api.post(
                API.collection(id, "get"), #"{"include":["metadatas","documents","embeddings"]}"#)
            #expect(all.status == .ok, "\(all.text)")
            #expect(all.json["ids"] == ["a", "b", "c"])
            #expect(all.json["metadatas"] == [["kind": "x", "n": 1], ["kind": "y", "n": 2.0], nil])
            #expect(all.json["documents"] == ["apple pie", "banana split", nil])
            #expect(all.json["embeddings"] == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.5]])
            #expect(all.json["include"] == ["documents", "embeddings", "metadatas"])

            let filtered = try await api.post(
                API.collection(id, "get"), #"{"where":{"n":{"$gte":2}},"include":[]}"#)
            #expect(filtered.json["ids"] == ["b"], "\(filtered.text)")
            #expect(filtered.json["metadatas"] == .null)
            let intOnly = try await api.post(API.collection(id, "get"), #"{"where":{"n":1}}"#)
            #expect(intOnly.json["ids"] == ["a"], "\(intOnly.text)")
            let byDocument = try await api.post(
                API.collection(id, "get"), #"{"where_document":{"$contains":"banana"},"limit":5,"offset":0}"#)
            #expect(byDocument.json["ids"] == ["b"], "\(byDocument.text)")
            let paged = try await api.post(API.collection(id, "get"), #"{"limit":1,"offset":1,"where":{}}"#)
            #expect(paged.json["ids"] == ["b"])

            let query = try await api.post(
                API.collection(id, "query"),
                #"{"query_embeddings":[[1,0,0],[0,0.1,1]],"n_results":2,"include":["distances","documents"]}"#)
            #expect(query.status == .ok, "\(query.text)")
            #expect(query.json["ids"] == [["a", "b"], ["c", "b"]])
            guard case .array(let rows)? = query.json["distances"], case .array(let first) = rows[0] else {
                Issue.record("distances: \(query.text)")
                return
            }
            #expect(first == [0.0, 2.0])
            #expect(query.json["documents"] == [["apple pie", "banana split"], [nil, "banana split"]])
            let filteredQuery = try await api.post(
                API.collection(id, "query"), #"{"query_embeddings":[[1,0,0]],"n_results":5,"where":{"kind":"y"}}"#)
            #expect(filteredQuery.json["ids"] == [["b"]], "\(filteredQuery.text)")

            let update = try await api.post(
                API.collection(id, "update"),
                #"{"ids":["a","zz"],"metadatas":[{"n":null,"extra":true},null],"documents":["apple tart",null]}"#)
            #expect(update.status == .ok, "\(update.text)")
            let afterUpdate = try await api.post(API.collection(id, "get"), #"{"ids":["a"]}"#)
            #expect(afterUpdate.json["metadatas"] == [["kind": "x", "extra": true]], "\(afterUpdate.text)")
            #expect(afterUpdate.json["documents"] == ["apple tart"])

            let upsert = try await api.post(
                API.collection(id, "upsert"),
                #"{"ids":["c","d"],"embeddings":[[1,1,1],[2,2,2]],"documents":["c2","d"]}"#)
            #expect(upsert.status == .ok, "\(upsert.text)")
            #expect(try await api.get(API.collection(id, "count")).json == .int(4))

            let delete = try await api.post(API.collection(id, "delete"), #"{"where":{"kind":"y"}}"#)
            #expect(delete.status == .ok, "\(delete.text)")
            #expect(try await api.post(API.collection(id, "delete"), #"{"ids":["d"]}"#).status == .ok)
            let left = try await api.post(API.collection(id, "get"), #"{}"#)
            #expect(left.json["ids"] == ["a", "c"], "\(left.text)")
        }
    }

    @Test func base64EmbeddingsAreAccepted() async throws {
        try await ServerHarness.with { api in
            let id = try await api.createCollection("packed")
            let vectors: [[Float]] = [[0.25, -1, 3.5], [1e-3, 2, 0]]
            let encoded = vectors.map { vector in
                var data = Data()
                for value in vector {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
                }
                return "\"" + data.base64EncodedString() + "\""
            }
            let add = try await api.post(
                API.collection(id, "add"), #"{"ids":["p","q"],"embeddings":[\#(encoded.joined(separator: ","))]}"#)
            #expect(add.status == .created, "\(add.text)")
            let got = try await api.post(API.collection(id, "get"), #"{"include":["embeddings"]}"#)
            #expect(got.json["embeddings"] == [[0.25, -1.0, 3.5], [0.001, 2.0, 0.0]], "\(got.text)")
        }
    }

    @Test func userErrorsGetChromaErrorsNeverA500() async throws {
        var options = ServerOptions()
        options.maxBatchSize = 3
        options.maxBodyBytes = 4096
        try await ServerHarness.with(options: options) { api in
            let id = try await api.createCollection("strict")
            _ = try await api.post(API.collection(id, "add"), #"{"ids":["a"],"embeddings":[[1,2,3]]}"#)
            let cases: [(String, String, String)] = [
                ("add", #"{"ids":["b"],"embeddings":[[1,2]]}"#, "dimension of 3, got 2"),
                ("add", #"{"ids":["b"]}"#, "embeddings"),
                ("add", #"{"ids":"b","embeddings":[[1,2,3]]}"#, "Expected ids to be a list of strings, got str"),
                ("add", #"{"ids":["b"],"embeddings":[["x",2,3]]}"#, "embeddings"),
                ("add", #"{"ids":["b"],"embeddings":[[1,2,3]],"metadatas":[{"$bad":1}]}"#, "$bad"),
                ("add", #"{"ids":["b"],"embeddings":[[1,2,3]],"uris":["s3://x","s3://y"]}"#, "uris"),
                ("add", #"{"ids":["1","2","3","4"],"embeddings":[[1,2,3],[1,2,3],[1,2,3],[1,2,3]]}"#, "more than 3"),
                ("add", #"{"ids":["b"],"embeddings":[[1,2,3]]"#, "JSON"),
                ("add", #"[1,2]"#, "JSON object"),
                ("get", #"{"where":{"n":{"$bogus":1}}}"#, "$bogus"),
                ("get", #"{"where_document":{"$nope":"x"}}"#, "$nope"),
                ("get", #"{"limit":-1}"#, "limit"),
                ("get", #"{"limit":"ten"}"#, "limit"),
                ("get", #"{"include":["everything"]}"#, "everything"),
                ("query", #"{"query_embeddings":[[1,2]]}"#, "dimension of 3, got 2"),
                ("query", #"{"query_embeddings":[[1,2,3]],"n_results":-1}"#, "positive integer"),
                ("query", #"{"n_results":1}"#, "query_embeddings"),
                ("update", #"{"ids":["a"],"metadatas":[{"k":[]}]}"#, "k"),
            ]
            for (action, body, fragment) in cases {
                let reply = try await api.post(API.collection(id, action), body)
                #expect(reply.status == .badRequest, "\(action) \(body): \(reply.status) \(reply.text)")
                #expect(reply.error == "InvalidArgumentError", "\(action) \(body): \(reply.text)")
                #expect(reply.message.contains(fragment), "\(action) \(body): \(reply.text)")
            }
            let big = try await api.post(
                API.collection(id, "add"),
                #"{"ids":["x"],"embeddings":[[1,2,3]],"documents":["\#(String(repeating: "z", count: 5000))"]}"#)
            #expect(big.status == .contentTooLarge && big.error != nil, "\(big.text)")
            let unknown = try await api.post(
                API.collection("1b6a3a4e-0000-4000-8000-000000000000", "get"), #"{}"#)
            #expect(unknown.status == .notFound && unknown.error == "NotFoundError", "\(unknown.text)")
            let notUUID = try await api.post(API.collection("not-a-uuid", "get"), #"{}"#)
            #expect(notUUID.status == .badRequest, "\(notUUID.text)")
            let noRoute = try await api.get("/api/v2/nothing/here")
            #expect(noRoute.status == .notFound && noRoute.error == "NotFoundError", "\(noRoute.text)")
            #expect(try await api.get(API.collection(id, "count")).json == .int(1))
        }
    }
}
