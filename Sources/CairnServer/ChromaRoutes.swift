// Chroma's /api/v2 routes over the embedded API: each handler parses the request, makes one or two calls on the
// Client or a Collection, and writes Chroma's response shape. Nothing here reaches below Sources/Cairn.
import Cairn
import Catalog
import CoreMetrics
import Foundation
import Hummingbird
import Logging
import NIOCore

struct ChromaRoutes: Sendable {
    let client: Client
    let options: ServerOptions
    /// What gets and queries read from the store (made once: the routes are built after metrics are bootstrapped).
    let getReads = ReadObservation(route: "get")
    let queryReads = ReadObservation(route: "query")

    static let tenantsPath = "/api/v2/tenants"
    static let databasePath = "/api/v2/tenants/:tenant/databases/:database"
    static let collectionPath = databasePath + "/collections/:collection"

    func register(on router: Router<BasicRequestContext>) {
        registerSystem(on: router)
        registerTenantsAndDatabases(on: router)
        registerCollections(on: router)
        registerRecords(on: router)
        registerVersions(on: router)
        registerSearch(on: router)
    }

    /// Heartbeat, version, health, pre-flight checks, identity and reset.
    func registerSystem(on router: Router<BasicRequestContext>) {
        router.get("/api/v2") { _, _ in self.heartbeat() }
        router.get("/api/v2/heartbeat") { _, _ in self.heartbeat() }
        router.get("/api/v2/healthcheck") { _, _ in
            JSONResponse.make(#"{"is_executor_ready":true,"is_log_client_ready":true}"#)
        }
        router.get("/api/v2/version") { _, _ in JSONResponse.make(#""1.0.0""#) }
        router.get("/api/v2/pre-flight-checks") { _, _ in
            JSONResponse.make(#"{"max_batch_size":\#(options.maxBatchSize),"supports_base64_encoding":true}"#)
        }
        router.get("/api/v2/auth/identity") { _, _ in
            JSONResponse.make(
                #"{"user_id":"","tenant":"\#(Client.defaultTenant)","databases":["\#(Client.defaultDatabase)"]}"#)
        }

        router.post("/api/v2/reset") { _, _ in
            guard self.options.allowReset else {
                throw ChromaError(.forbidden, "ChromaError", "Reset is disabled by config")
            }
            try await client.reset()
            return JSONResponse.make("true")
        }
    }

    /// Tenants and their databases.
    func registerTenantsAndDatabases(on router: Router<BasicRequestContext>) {
        router.post(RouterPath(Self.tenantsPath)) { request, context in
            let body = try await self.body(request, context)
            try await client.createTenant(try body.requiredString("name"))
            return JSONResponse.make(JSONResponse.emptyObject)
        }
        router.get(RouterPath(Self.tenantsPath + "/:tenant")) { _, context in
            let tenant = try Self.parameter(context, "tenant")
            guard try client.tenantExists(tenant) else {
                throw ChromaError.notFound("Tenant [\(tenant)] not found")
            }
            var w = JSONWriter()
            w.raw("{")
            w.key("name")
            w.string(tenant)
            w.raw("}")
            return JSONResponse.make(w.out)
        }
        router.post(RouterPath(Self.tenantsPath + "/:tenant/databases")) { request, context in
            let tenant = try Self.parameter(context, "tenant")
            let body = try await self.body(request, context)
            try await client.createDatabase(try body.requiredString("name"), tenant: tenant)
            return JSONResponse.make(JSONResponse.emptyObject)
        }
        router.get(RouterPath(Self.tenantsPath + "/:tenant/databases")) { request, context in
            let tenant = try Self.parameter(context, "tenant")
            let (limit, offset) = try Self.page(request)
            let records = try client.databases(tenant: tenant, limit: limit, offset: offset ?? 0)
            var w = JSONWriter()
            w.list(records) { w, record in ResponseJSON.database(record, into: &w) }
            return JSONResponse.make(w.out)
        }
        router.get(RouterPath(Self.databasePath)) { _, context in
            let record = try client.database(
                try Self.parameter(context, "database"), tenant: try Self.parameter(context, "tenant"))
            return JSONResponse.make(ResponseJSON.database(record))
        }
        router.delete(RouterPath(Self.databasePath)) { _, context in
            try await client.deleteDatabase(
                try Self.parameter(context, "database"), tenant: try Self.parameter(context, "tenant"))
            return JSONResponse.make(JSONResponse.emptyObject)
        }
    }

    /// Collections: create, list, count, get, modify, delete.
    func registerCollections(on router: Router<BasicRequestContext>) {
        router.post(RouterPath(Self.databasePath + "/collections")) { request, context in
            let (tenant, database) = try Self.scope(context)
            let body = try await self.body(request, context)
            let metadata = try body.object("metadata").map { try Metadata(json: .object($0)) }
            let configuration = try body.object("configuration")?.filter { $0.value != .null }
            let collection = try await client.createCollection(
                try body.requiredString("name"), metadata: metadata, configuration: configuration,
                schema: try body.object("schema"), getOrCreate: try body.bool("get_or_create") ?? false,
                tenant: tenant, database: database)
            return JSONResponse.make(
                ResponseJSON.collection(collection, dimension: try collection.currentDimension()))
        }
        router.get(RouterPath(Self.databasePath + "/collections")) { request, context in
            let (tenant, database) = try Self.scope(context)
            let (limit, offset) = try Self.page(request)
            let collections = try await client.listCollections(
                limit: limit, offset: offset ?? 0, tenant: tenant, database: database)
            var w = JSONWriter()
            w.raw("[")
            for (i, collection) in collections.enumerated() {
                if i > 0 { w.raw(",") }
                ResponseJSON.collection(collection, dimension: try collection.currentDimension(), into: &w)
            }
            w.raw("]")
            return JSONResponse.make(w.out)
        }
        router.get(RouterPath(Self.databasePath + "/collections_count")) { _, context in
            let (tenant, database) = try Self.scope(context)
            return JSONResponse.make(String(try await client.countCollections(tenant: tenant, database: database)))
        }
        // Chroma names the collection in the path of get and delete, and gives its id for update.
        router.get(RouterPath(Self.collectionPath)) { _, context in
            let (tenant, database) = try Self.scope(context)
            let collection = try await client.getCollection(
                try Self.parameter(context, "collection"), tenant: tenant, database: database)
            return JSONResponse.make(
                ResponseJSON.collection(collection, dimension: try collection.currentDimension()))
        }
        router.get(RouterPath(Self.databasePath + "/collections/by-id/:collection")) { _, context in
            let collection = try await self.collection(context)
            return JSONResponse.make(
                ResponseJSON.collection(collection, dimension: try collection.currentDimension()))
        }
        router.put(RouterPath(Self.collectionPath)) { request, context in
            let collection = try await self.collection(context)
            let body = try await self.body(request, context)
            let name = try body.string("new_name")
            let metadata = try body.object("new_metadata").map { try Metadata(json: .object($0)) }
            let configuration = try body.object("new_configuration")
            if name != nil || metadata != nil || configuration != nil {
                try await collection.modify(name: name, metadata: metadata, configuration: configuration)
            }
            return JSONResponse.make(JSONResponse.emptyObject)
        }
        router.delete(RouterPath(Self.collectionPath)) { _, context in
            let (tenant, database) = try Self.scope(context)
            try await client.deleteCollection(
                try Self.parameter(context, "collection"), tenant: tenant, database: database)
            return JSONResponse.make(JSONResponse.emptyObject)
        }
        // Chroma Cloud's fork (the local Chroma server refuses it): a copy-on-write collection (decision 0021).
        router.post(RouterPath(Self.collectionPath + "/fork")) { request, context in
            let collection = try await self.collection(context)
            let body = try await self.body(request, context)
            // Cairn extension: `as_of` forks a kept version, as reads name one.
            let fork = try await collection.fork(try body.requiredString("new_name"), asOf: try Self.readPoint(body))
            return JSONResponse.make(ResponseJSON.collection(fork, dimension: try fork.currentDimension()))
        }
        router.get(RouterPath(Self.collectionPath + "/fork_count")) { _, context in
            let count = try await self.collection(context).forkCount()
            return JSONResponse.make(#"{"count":\#(count)}"#)
        }
    }

    /// Records of one collection: add, upsert, update, delete, indexing status, count, get, query.
    func registerRecords(on router: Router<BasicRequestContext>) {
        router.post(RouterPath(Self.collectionPath + "/add")) { request, context in
            try await self.insert(request, context) { collection, ids, embeddings, metadatas, documents, uris in
                try await collection.add(
                    ids: ids, embeddings: embeddings, metadatas: metadatas, documents: documents, uris: uris,
                    duplicates: .appliedInOrder)
            }
            return JSONResponse.make(JSONResponse.emptyObject, status: .created)
        }
        router.post(RouterPath(Self.collectionPath + "/upsert")) { request, context in
            try await self.insert(request, context) { collection, ids, embeddings, metadatas, documents, uris in
                try await collection.upsert(
                    ids: ids, embeddings: embeddings, metadatas: metadatas, documents: documents, uris: uris,
                    duplicates: .appliedInOrder)
            }
            return JSONResponse.make(JSONResponse.emptyObject)
        }
        router.post(RouterPath(Self.collectionPath + "/update")) { request, context in
            let collection = try await self.collection(context)
            let body = try await self.body(request, context)
            let ids = try self.batchIDs(body)
            try await collection.update(
                ids: ids, embeddings: try body.embeddings("embeddings"),
                metadatas: try body.metadataUpdates("metadatas"), documents: try body.optionalStrings("documents"),
                uris: try body.optionalStrings("uris"), duplicates: .appliedInOrder)
            return JSONResponse.make(JSONResponse.emptyObject)
        }
        router.post(RouterPath(Self.collectionPath + "/delete")) { request, context in
            let collection = try await self.collection(context)
            let body = try await self.body(request, context)
            let ids = try body.strings("ids")
            let filter = try body.whereFilter()
            let documentFilter = try body.whereDocumentFilter()
            let limit = try body.int("limit")
            guard ids != nil || filter != nil || documentFilter != nil else {
                return JSONResponse.make(#"{"deleted":0}"#)  // Chroma's server deletes nothing and says so
            }
            if let ids, filter == nil, documentFilter == nil, limit == nil {
                // Chroma reports the number of ids given here, found or not.
                try await collection.delete(ids: ids)
                return JSONResponse.make(#"{"deleted":\#(ids.count)}"#)
            }
            // With filters, Chroma reports the records deleted: find them first, then delete those ids.
            var found = try await collection.get(
                ids: ids, where: filter, whereDocument: documentFilter, limit: limit, include: Include()
            ).ids
            found = Array(Set(found))
            if !found.isEmpty { try await collection.delete(ids: found) }
            return JSONResponse.make(#"{"deleted":\#(found.count)}"#)
        }
        router.get(RouterPath(Self.collectionPath + "/indexing_status")) { _, context in
            let status = try await self.collection(context).indexingStatus()
            return JSONResponse.make(
                #"{"num_indexed_ops":\#(status.indexed),"num_unindexed_ops":\#(status.unindexed),"#
                    + #""total_ops":\#(status.total),"op_indexing_progress":\#(status.progress)}"#)
        }
        router.get(RouterPath(Self.collectionPath + "/count")) { request, context in
            let collection = try await self.collection(context)
            return JSONResponse.make(String(try await collection.count(asOf: try Self.readPoint(request))))
        }
        router.post(RouterPath(Self.collectionPath + "/get")) { request, context in
            let collection = try await self.collection(context)
            let body = try await self.body(request, context)
            let (ids, filter, document) = (
                try body.strings("ids"), try body.whereFilter(), try body.whereDocumentFilter()
            )
            let (limit, offset, include) = (
                try body.int("limit"), try body.int("offset"), try body.include(default: .getDefault)
            )
            let (result, fetched) = try await Client.measuringFetches {
                try await collection.get(
                    ids: ids, where: filter, whereDocument: document, limit: limit, offset: offset, include: include,
                    asOf: try Self.readPoint(body))
            }
            getReads.record(fetched, collection: collection.id, logger: context.logger)
            return JSONResponse.make(ResponseJSON.get(result))
        }
        router.post(RouterPath(Self.collectionPath + "/query")) { request, context in
            let collection = try await self.collection(context)
            let body = try await self.body(request, context)
            guard let embeddings = try body.embeddings("query_embeddings") else {
                throw ChromaError.invalid("Expected query_embeddings to be a list of embeddings, got None")
            }
            let (k, filter, document) = (
                try body.int("n_results") ?? 10, try body.whereFilter(), try body.whereDocumentFilter()
            )
            let include = try body.include(default: .queryDefault)
            let (result, fetched) = try await Client.measuringFetches {
                try await collection.query(
                    queryEmbeddings: embeddings, nResults: k, ids: try body.strings("ids"), where: filter,
                    whereDocument: document, include: include, asOf: try Self.readPoint(body))
            }
            queryReads.record(fetched, collection: collection.id, logger: context.logger)
            return JSONResponse.make(ResponseJSON.query(result))
        }
    }

    // MARK: Helpers

    func heartbeat() -> Response {
        JSONResponse.make(#"{"nanosecond heartbeat":\#(client.heartbeat())}"#)
    }

    /// The body, read up to the size limit, as a JSON object.
    func body(_ request: Request, _ context: BasicRequestContext) async throws -> RequestJSON {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > options.maxBodyBytes {
            throw Self.tooLarge(options.maxBodyBytes)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: options.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw Self.tooLarge(options.maxBodyBytes)
        }
        return try RequestJSON(bytes: buffer.readableBytesView)
    }

    static func tooLarge(_ limit: Int) -> ChromaError {
        ChromaError(
            .contentTooLarge, "InvalidArgumentError", "The request body is larger than the limit of \(limit) bytes")
    }

    /// The ids of a write, checked against the batch limit before anything else is parsed further.
    func batchIDs(_ body: RequestJSON) throws -> [String] {
        guard let ids = try body.strings("ids") else {
            throw ChromaError.invalid("Expected ids to be a list of strings, got None")
        }
        guard ids.count <= options.maxBatchSize else {
            throw ChromaError.invalid(
                "Cannot submit more than \(options.maxBatchSize) records at once (got \(ids.count))")
        }
        return ids
    }

    /// The collection named by id in the path, which must belong to the tenant and database of the path.
    func collection(_ context: BasicRequestContext) async throws -> Collection {
        let (tenant, database) = try Self.scope(context)
        let id = try Self.parameter(context, "collection")
        guard UUID(uuidString: id) != nil else {
            throw ChromaError.invalid("Invalid collection id '\(id)': expected a UUID")
        }
        let collection = try await client.getCollection(id: id.lowercased())
        guard collection.tenant == tenant, collection.database == database else {
            throw ChromaError.notFound("Collection [\(id)] does not exist")
        }
        return collection
    }

    static func parameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name) else {
            throw ChromaError.invalid("Missing path parameter \(name)")
        }
        return raw.removingPercentEncoding ?? raw
    }

    static func scope(_ context: BasicRequestContext) throws -> (String, String) {
        (try parameter(context, "tenant"), try parameter(context, "database"))
    }

    static func page(_ request: Request) throws -> (Int?, Int?) {
        func read(_ name: String) throws -> Int? {
            guard let text = request.uri.queryParameters.get(name) else { return nil }
            guard let value = Int(text), value >= 0 else {
                throw ChromaError.invalid("Expected \(name) to be a non-negative integer, got \(text)")
            }
            return value
        }
        return (try read("limit"), try read("offset"))
    }
}

extension ChromaRoutes {
    /// The body of add and upsert (ids, required embeddings, metadatas, documents), parsed and handed to `write`.
    func insert(
        _ request: Request, _ context: BasicRequestContext,
        _ write: (Collection, [String], [[Float]], [Metadata?]?, [String?]?, [String?]?) async throws -> Void
    ) async throws {
        let collection = try await self.collection(context)
        let body = try await self.body(request, context)
        let ids = try batchIDs(body)
        guard let embeddings = try body.embeddings("embeddings") else {
            throw ChromaError.invalid("Expected embeddings to be a list of embeddings, got None")
        }
        try await write(
            collection, ids, embeddings, try body.metadatas("metadatas"), try body.optionalStrings("documents"),
            try body.optionalStrings("uris"))
    }
}

/// What each get and query read from the object store: a debug log line per request, and `/metrics` counters
/// (`cairn_read_fetched_objects_total`, `cairn_read_fetched_bytes_total`, `cairn_reads_total{source=cache|store}`).
struct ReadObservation: Sendable {
    let route: String
    let objects: Counter
    let bytes: Counter
    let fromCache: Counter
    let fromStore: Counter

    init(route: String) {
        self.route = route
        let dimensions = [("route", route)]
        objects = Counter(label: "cairn_read_fetched_objects_total", dimensions: dimensions)
        bytes = Counter(label: "cairn_read_fetched_bytes_total", dimensions: dimensions)
        fromCache = Counter(label: "cairn_reads_total", dimensions: dimensions + [("source", "cache")])
        fromStore = Counter(label: "cairn_reads_total", dimensions: dimensions + [("source", "store")])
    }

    func record(_ fetched: FetchSummary, collection: String, logger: Logger) {
        objects.increment(by: fetched.objects)
        bytes.increment(by: fetched.bytes)
        (fetched.fromCache ? fromCache : fromStore).increment()
        logger.debug(
            "\(route) read the store",
            metadata: [
                "collection": "\(collection)", "objects": "\(fetched.objects)", "bytes": "\(fetched.bytes)",
                "from_cache": "\(fetched.fromCache)",
            ])
    }
}
