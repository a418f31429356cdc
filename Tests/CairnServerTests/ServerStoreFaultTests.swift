// One error boundary (issue 18): store failures and corrupt objects under every route come back as Chroma's error
// body with 503 (the store failed: retry) or 500 (stored data is corrupt), never a raw lower-layer error or a
// dropped connection — and the server keeps answering once the store is well again.
import Cairn
import CairnServer
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct ServerStoreFaultTests {
    /// The requests a client makes on one collection, with their bodies.
    static func routes(_ id: String) -> [(String, String, String?)] {
        let c = API.collection(id)
        return [
            ("POST", c + "/add", #"{"ids":["n1"],"embeddings":[[1,2]]}"#),
            ("POST", c + "/upsert", #"{"ids":["n2"],"embeddings":[[1,2]]}"#),
            ("POST", c + "/update", #"{"ids":["a"],"documents":["d"]}"#),
            ("POST", c + "/get", #"{"include":["documents","embeddings"]}"#),
            ("POST", c + "/query", #"{"query_embeddings":[[1,2]],"n_results":3}"#),
            ("POST", c + "/delete", #"{"where":{"k":1}}"#),
            ("GET", c + "/count", nil),
            ("GET", c + "/indexing_status", nil),
            ("POST", API.db + "/collections", #"{"name":"another"}"#),
            ("PUT", c, #"{"new_metadata":{"m":1}}"#),
        ]
    }

    @Test func storeFailuresUnderEveryRouteAre503WithChromasBody() async throws {
        let faulty = Box<FaultInjectingStore>()
        try await ServerHarness.withClient(store: Self.faultInjecting(into: faulty)) { api, client in
            let id = try await Self.populate(api, client)
            let store = try #require(faulty.value)
            for (method, path, body) in Self.routes(id) {
                // A cold client reads from the store: a new one over the same store each time would do too, but
                // failing every operation reaches the store on every route, writes and reads alike.
                store.setErrorRate(1, code: .transient)
                let reply = try await api.call(.init(method)!, path, body)
                store.setErrorRate(0, on: [])
                #expect(
                    reply.status == .serviceUnavailable || reply.status.code < 300, "\(method) \(path): \(reply.text)")
                if reply.status.code >= 400 {
                    #expect(
                        reply.error == "InternalError" && !reply.message.isEmpty, "\(method) \(path): \(reply.text)")
                }
            }
            #expect(try await api.get(API.collection(id, "count")).status == .ok, "answers once the store is back")
        }
    }

    @Test func corruptObjectsAre500WithChromasBody() async throws {
        let faulty = Box<FaultInjectingStore>()
        let noCaches: (inout Client.Options) -> Void = {
            // Every read goes to the store.
            $0.blockCacheBytes = 1
            $0.hnswCacheBytes = 1
        }
        try await ServerHarness.withClient(store: Self.faultInjecting(into: faulty), configure: noCaches) {
            api, client in
            let id = try await Self.populate(api, client)
            let store = try #require(faulty.value)
            // Every block, root and index file read from here on comes back cut in half.
            store.truncateNextGets(10_000)
            let reply = try await api.post(API.collection(id, "get"), #"{"include":["documents","embeddings"]}"#)
            store.truncateNextGets(0)
            #expect(reply.status == .internalServerError, "corruption is 500, not a retryable 503: \(reply.text)")
            #expect(reply.error == "InternalError" && !reply.message.isEmpty, "\(reply.text)")
        }
    }

    /// A folder store behind fault injection, handed to the test through `box`.
    static func faultInjecting(into box: Box<FaultInjectingStore>) -> (URL) throws -> any ObjectStore {
        { folder in
            let store = FaultInjectingStore(try LocalFileStore(root: folder))
            box.value = store
            return store
        }
    }

    /// A collection with compacted records (segments on the store) and a log tail.
    static func populate(_ api: API, _ client: Client) async throws -> String {
        let id = try await api.createCollection("faulty")
        _ = try await api.post(
            API.collection(id, "add"),
            #"{"ids":["a","b","c"],"embeddings":[[1,2],[3,4],[5,6]],"documents":["x","y","z"],"metadatas":[{"k":1},{"k":2},{"k":3}]}"#
        )
        try await client.getCollection("faulty").compact()
        _ = try await api.post(API.collection(id, "add"), #"{"ids":["d"],"embeddings":[[7,8]]}"#)
        return id
    }
}

/// A value set once from inside a closure the test hands out.
final class Box<T: Sendable>: @unchecked Sendable {
    var value: T?
}
