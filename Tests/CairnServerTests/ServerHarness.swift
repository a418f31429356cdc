// Runs the server's router in process (HummingbirdTesting's router framework, no socket) over a Cairn client on a
// temporary folder, and sends JSON requests to it.
import Cairn
import CairnServer
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ObjectStore
import StorageTesting
import Testing

struct Reply {
    var status: HTTPResponse.Status
    var text: String
    var headers: HTTPFields
    var json: JSONValue { (try? JSONParser.parse(text)) ?? .null }
    /// Chroma's error name, for error replies.
    var error: String? { if case .string(let name)? = json["error"] { name } else { nil } }
    var message: String { if case .string(let text)? = json["message"] { text } else { "" } }
}

struct API {
    let client: any TestClientProtocol
    var headers: HTTPFields = [:]

    static let db = "/api/v2/tenants/default_tenant/databases/default_database"

    func call(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil, headers extra: HTTPFields = [:])
        async throws -> Reply
    {
        var fields = headers
        fields.append(contentsOf: extra)
        if body != nil { fields[.contentType] = "application/json" }
        return try await client.execute(
            uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) }
        ) { response in
            Reply(status: response.status, text: String(buffer: response.body), headers: response.headers)
        }
    }

    func get(_ uri: String) async throws -> Reply { try await call(.get, uri) }
    func post(_ uri: String, _ body: String) async throws -> Reply { try await call(.post, uri, body) }

    /// Creates a collection and returns its id.
    func createCollection(_ name: String, _ extra: String = "") async throws -> String {
        let reply = try await post(Self.db + "/collections", #"{"name":"\#(name)"\#(extra)}"#)
        #expect(reply.status == .ok, "\(reply.text)")
        guard case .string(let id)? = reply.json["id"] else {
            Issue.record("no id in \(reply.text)")
            return ""
        }
        return id
    }

    static func collection(_ id: String, _ action: String = "") -> String {
        db + "/collections/" + id + (action.isEmpty ? "" : "/" + action)
    }
}

enum ServerHarness {
    static func with(
        options: ServerOptions = ServerOptions(), metrics: ServerMetrics = ServerMetrics(),
        extraRoutes: (Router<BasicRequestContext>) -> Void = { _ in },
        _ body: @escaping @Sendable (API) async throws -> Void
    ) async throws {
        try await withClient(options: options, metrics: metrics, extraRoutes: extraRoutes) { api, _ in
            try await body(api)
        }
    }

    /// The same, handing the test the embedded client behind the server too (to compact, say); `store` puts a
    /// store of the test's own (a fault-injecting one) under the client.
    static func withClient(
        options: ServerOptions = ServerOptions(), metrics: ServerMetrics = ServerMetrics(),
        extraRoutes: (Router<BasicRequestContext>) -> Void = { _ in },
        store: ((URL) throws -> any ObjectStore)? = nil, configure: (inout Client.Options) -> Void = { _ in },
        _ body: @escaping @Sendable (API, Client) async throws -> Void
    ) async throws {
        try await TemporaryDirectory.with("cairn-server-test") { folder in
            var clientOptions = Client.Options()
            clientOptions.compactionThreshold = nil
            configure(&clientOptions)
            let client: Client
            if let store {
                client = Client(
                    store: try store(folder.appendingPathComponent("store")),
                    catalog: try CatalogDatabase(url: folder.appendingPathComponent("catalog.sqlite")),
                    options: clientOptions)
            } else {
                client = try await Client.open(folder.path, options: clientOptions)
            }
            let router = CairnServer.router(client: client, options: options, metrics: metrics)
            extraRoutes(router)
            let app = Application(router: router)
            try await app.test(.router) { testClient in
                try await body(API(client: testClient), client)
            }
        }
    }
}
