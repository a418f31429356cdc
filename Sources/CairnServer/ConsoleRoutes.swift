// The read-only web console at `/console` (issue 23): its page, script and style (Swift string literals compiled into
// the binary: no files to ship, no build step, no CDN) and the JSON it reads under `/console/api/`. Every route here
// is a GET that reads; the console's sign-in cookie is accepted for nothing else (`TokenAuthMiddleware`).
import Cairn
import Foundation
import Hummingbird
import NIOCore

struct ConsoleRoutes: Sendable {
    let client: Client
    let metrics: ServerMetrics
    /// nil: the server has no token, the console is open like the API.
    let signIn: ConsoleSignIn?

    /// Most collections of one database the overview lists (the rest are counted).
    static let overviewCollections = 500
    /// Most records one page of the record browser shows.
    static let maxPage = 500
    static let apiPath = "/console/api"

    func register(on router: Router<BasicRequestContext>) {
        router.get("/console") { _, _ in ConsoleAsset.page }
        router.get("/console/console.js") { _, _ in ConsoleAsset.script }
        router.get("/console/console.css") { _, _ in ConsoleAsset.style }
        router.post(RouterPath(ConsoleSignIn.signInPath)) { request, _ in
            guard let signIn = self.signIn else { return ConsoleSignIn.redirect() }
            return try await signIn.signIn(request)
        }
        router.post(RouterPath(ConsoleSignIn.signOutPath)) { _, _ in ConsoleSignIn.signOut() }
        router.get(RouterPath(Self.apiPath + "/overview")) { _, _ in try await self.overview() }
        router.get(RouterPath(Self.apiPath + "/metrics")) { _, _ in
            ConsoleAsset.response(metrics.prometheusText(), type: "text/plain; version=0.0.4")
        }
        router.get(RouterPath(Self.apiPath + "/collections/:collection")) { _, context in
            try await self.details(try await self.collection(context))
        }
        router.get(RouterPath(Self.apiPath + "/collections/:collection/records")) { request, context in
            try await self.records(try await self.collection(context), request)
        }
        router.get(RouterPath(Self.apiPath + "/collections/:collection/neighbours")) { request, context in
            try await self.neighbours(try await self.collection(context), request)
        }
    }

    func collection(_ context: BasicRequestContext) async throws -> Collection {
        let id = try ChromaRoutes.parameter(context, "collection")
        guard UUID(uuidString: id) != nil else {
            throw ChromaError.invalid("Invalid collection id '\(id)': expected a UUID")
        }
        return try await client.getCollection(id: id.lowercased())
    }

    /// Every tenant, its databases and their collections with counts and dimensions.
    func overview() async throws -> Response {
        var tenants: [JSONValue] = []
        for tenant in try client.tenants() {
            var databases: [JSONValue] = []
            for database in try client.databases(tenant: tenant) {
                var collections: [JSONValue] = []
                for collection in try await client.listCollections(
                    limit: Self.overviewCollections, tenant: tenant, database: database.name)
                {
                    collections.append(
                        .object([
                            "id": .string(collection.id), "name": .string(collection.name),
                            "count": .int(Int64(try await collection.count())),
                            "dimension": try collection.currentDimension().map { .int(Int64($0)) } ?? .null,
                        ]))
                }
                let total = try await client.countCollections(tenant: tenant, database: database.name)
                databases.append(
                    .object([
                        "name": .string(database.name), "id": .string(database.id),
                        "collection_count": .int(Int64(total)), "collections": .array(collections),
                    ]))
            }
            tenants.append(.object(["name": .string(tenant), "databases": .array(databases)]))
        }
        // `signed_in`: whether the server has a token (the page offers to sign out only then).
        return Self.json(JSONValue.object(["tenants": .array(tenants), "signed_in": .bool(signIn != nil)]).jsonText)
    }

    /// One collection: Chroma's model (configuration, schema, metadata), count, indexing status, kept versions and
    /// the current version's segments with their sizes.
    func details(_ collection: Collection) async throws -> Response {
        let status = try await collection.indexingStatus()
        var w = JSONWriter()
        w.raw("{")
        w.key("collection")
        ResponseJSON.collection(collection, dimension: try collection.currentDimension(), into: &w)
        w.key("count")
        w.raw(String(try await collection.count()))
        w.key("indexing_status")
        w.raw(#"{"num_indexed_ops":\#(status.indexed),"num_unindexed_ops":\#(status.unindexed)}"#)
        w.key("versions")
        w.value(.array(try await collection.versions().map(\.json)))
        w.key("storage")
        w.value(try await collection.storage().json)
        w.raw("}")
        return Self.json(w.out)
    }

    /// A page of records (`limit`, `offset`; `where` and `where_document` as JSON text), with documents and
    /// metadata: the API's get, read by a GET.
    func records(_ collection: Collection, _ request: Request) async throws -> Response {
        let (limit, offset) = try ChromaRoutes.page(request)
        let filters = try Self.jsonParameters(request, ["where", "where_document"])
        let result = try await collection.get(
            where: try filters.whereFilter(), whereDocument: try filters.whereDocumentFilter(),
            limit: min(limit ?? 50, Self.maxPage), offset: offset,
            include: Include(.documents, .metadatas))
        return Self.json(ResponseJSON.get(result))
    }

    /// The `n` nearest neighbours of record `id` (itself first, at distance 0): the API's query with its embedding.
    func neighbours(_ collection: Collection, _ request: Request) async throws -> Response {
        guard let id = request.uri.queryParameters.get("id") else {
            throw ChromaError.invalid("Expected id, the record whose neighbours to find")
        }
        let text = request.uri.queryParameters.get("n") ?? "10"
        guard let n = Int(text), (1...Self.maxPage).contains(n) else {
            throw ChromaError.invalid("Expected n to be between 1 and \(Self.maxPage)")
        }
        let record = try await collection.get(ids: [id], include: Include(.embeddings))
        guard let embedding = record.embeddings?.first ?? nil else {
            throw ChromaError.notFound("Record [\(id)] does not exist in collection [\(collection.name)]")
        }
        let result = try await collection.query(
            queryEmbeddings: [embedding], nResults: n, include: Include(.documents, .metadatas, .distances))
        return Self.json(ResponseJSON.query(result))
    }

    /// Query parameters holding JSON text, parsed as a request body's members would be.
    static func jsonParameters(_ request: Request, _ names: [String]) throws -> RequestJSON {
        var members: [String: JSONValue] = [:]
        for name in names {
            guard let text = request.uri.queryParameters.get(name), !text.isEmpty else { continue }
            do {
                members[name] = try JSONParser.parse(Array(text.utf8))
            } catch {
                throw ChromaError.invalid("Expected \(name) to be JSON: \(error)")
            }
        }
        return RequestJSON(members: members)
    }

    static func json(_ text: String) -> Response {
        var response = JSONResponse.make(text)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

extension RequestJSON {
    init(members: [String: JSONValue]) { self.members = members }
}

extension CollectionStorage {
    /// What the console's collection page shows under "Segments".
    var json: JSONValue {
        func usage(_ usage: Usage) -> JSONValue {
            .object(["objects": .int(Int64(usage.objects)), "bytes": .int(Int64(usage.bytes))])
        }
        let segments: [JSONValue] = segments.map { segment in
            .object([
                "id": .string(segment.id), "kind": .string(segment.kind), "scope": .string(segment.scope),
                "files": .object(segment.files.mapValues { .string($0) }),
                "objects": .int(Int64(segment.objects)), "bytes": .int(Int64(segment.bytes)),
            ])
        }
        return .object([
            "version": .int(Int64(clamping: version)), "segments": .array(segments), "log": usage(log),
            "manifests": usage(manifests), "total": usage(total),
        ])
    }
}
