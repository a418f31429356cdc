// The entry point of the embedded API: a client over a store (a local folder by default, or an S3 bucket), with
// Chroma's tenants, databases and collections. One client per store per process: its collections share caches and
// each collection's in-process state.
import Blockfile
import Catalog
import Compaction
import Foundation
import ObjectStore
import ObjectStoreS3
import Segments

public final class Client: Sendable {
    public struct Options: Sendable {
        /// How old a collection's view of the catalog and log may get before a read looks again. Writes through this
        /// client are visible at once; this bounds how long other processes' writes take to show.
        public var refreshInterval: Duration = .seconds(1)
        /// Bytes of blocks kept in memory: by default a sixteenth of the machine's memory, between 64 MiB and 2 GiB.
        public var blockCacheBytes: Int = Options.memoryShare(1.0 / 16, min: 64 << 20, max: 2 << 30)
        /// Bytes of HNSW indexes kept in memory: by default a third of the machine's memory, at least 256 MiB.
        public var hnswCacheBytes: Int = Options.memoryShare(1.0 / 3, min: 256 << 20, max: Int.max)
        /// Log records after which a collection is compacted in the background; nil turns background compaction
        /// off (the byte and age thresholds too).
        public var compactionThreshold: Int? = 50_000
        /// Log bytes after which a collection is compacted in the background.
        public var compactionBytesThreshold: Int = 64 << 20
        /// A collection whose oldest uncompacted write (made through this client) is older than this is compacted
        /// in the background however small its log; nil: records and bytes only.
        public var compactionMaxAge: Duration? = .seconds(300)
        /// A collection whose log has had no write (through this client) for this long is compacted in the
        /// background: a bulk load is indexed soon after it ends. nil: off.
        public var compactionQuietPeriod: Duration?
        /// Background compactions running at once (each collection compacts one run at a time anyway).
        public var maxConcurrentCompactions: Int = 1
        /// Log bytes written through this client and not compacted yet, across collections, past which a write
        /// waits for background compaction to catch up (up to `backlogWait`, then it fails with `overloaded`,
        /// which a client may retry). Each uncompacted write is also held in memory, in its collection's log tail
        /// (about five times its log bytes), so this bounds that memory on a node whose writers outpace its
        /// compactions. nil: no bound. Only with background compaction on.
        public var maxBacklogBytes: Int? = Options.memoryShare(1.0 / 64, min: 64 << 20, max: Int.max)
        /// Collections whose in-memory view (version roots, live bitmaps, kept filter results, log tail) stays
        /// while no handle holds it; the least recently used past this are dropped and opened again from the store
        /// on their next use. Handles held by the caller keep theirs regardless.
        public var maxOpenCollections: Int = 1_024
        /// How long a write waits for the backlog to drop below `maxBacklogBytes`.
        public var backlogWait: Duration = .seconds(30)
        /// How often garbage collection runs in the background; nil turns it off (`collectGarbage` still works).
        public var garbageCollectionInterval: Duration? = .seconds(600)
        /// What background garbage collection keeps.
        public var garbageCollectionPolicy = GarbageCollectionPolicy()
        /// Where the catalog of an S3-backed client lives (it is rebuilt from the bucket when missing); defaults to
        /// a folder under the system's temporary directory named after the store URL.
        public var catalogFile: URL?
        /// For `s3://` stores: a folder on local disk that caches the objects that never change (blocks, roots,
        /// HNSW files, manifests), so a restarted node reads them from disk (`cairn warm` fills it). nil: none.
        public var cacheDirectory: URL?
        /// Bytes the disk cache may hold (least recently used files go first).
        public var cacheDirectoryBytes: Int = 20 << 30
        /// Most records of a collection's log tail (writes not compacted yet) held in the tail's in-memory vector
        /// index, built in the background as writes arrive so fresh records are as fast to query as compacted ones
        /// (decision 0020); records beyond it are compared exactly. About `dimension × 4 + 200` bytes per record;
        /// 0 turns the tail index off.
        public var tailIndexMaxVectors: Int = 200_000
        /// A collection's tail gets its vector index once it holds this many records; a smaller tail is compared
        /// exactly, which costs little, and saves the index's fixed memory (about 2.6 MB per hnswlib index, most of
        /// it 65,536 update locks): what a node with many small tenants would otherwise hold per written collection.
        public var tailIndexMinVectors: Int = 2_048
        /// A collection with at most this many records (and no HNSW index yet) keeps its vectors once, in its record
        /// segment, and is searched exactly; compaction builds its index once it grows past (decision 0025). 0: every
        /// collection gets an HNSW index.
        public var vectorsInRecordsLimit: Int = Compactor.defaultVectorsInRecordsLimit
        /// Progress and warnings (background compaction).
        public var log: (@Sendable (String) -> Void)?
        /// Test hooks (deterministic interleavings of reads, writes and compaction publishes); nil in production.
        var runtimeHooks: RuntimeHooks?

        public init() {}

        /// `share` of the machine's physical memory, clamped.
        static func memoryShare(_ share: Double, min lower: Int, max upper: Int) -> Int {
            let physical = Double(ProcessInfo.processInfo.physicalMemory)
            return Swift.min(upper, Swift.max(lower, Int(physical * share)))
        }
    }

    public let url: String
    let context: ClientContext

    /// Opens (creating it if needed) the store at `url`: a folder path, `file:///folder` or `s3://bucket/prefix`.
    public static func open(_ url: String, options: Options = Options()) async throws -> Client {
        try await boundary {
            // A plain path is a folder; URLs are parsed by the one parser of store URLs (a `file://` URL must be
            // absolute, and is percent-decoded, as everywhere else).
            let location: StoreLocation
            do throws(ObjectStoreError) {
                location =
                    url.hasPrefix("file://") || url.hasPrefix("s3://")
                    ? try StoreLocation(parsing: url) : .file(path: url)
            } catch {
                throw CairnError(.invalidArgument, error.message)
            }
            let store: any ObjectStore
            let catalogURL: URL
            do {
                if case .file(let folderPath) = location {
                    let folder = URL(fileURLWithPath: folderPath, isDirectory: true)
                    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                    store = TrackingStore(InstrumentedStore(try LocalFileStore(root: folder), store: "local"))
                    catalogURL = options.catalogFile ?? CatalogDatabase.fileURL(inFolder: folder)
                } else {
                    // Reads count toward the calling operation's FetchStats below the disk cache: hits are not fetches.
                    // Every attempt is timed and counted (`cairn_object_store_*` in `/metrics`), retries included.
                    let remote = TrackingStore(
                        RetryingStore(InstrumentedStore(try StoreFactory.open(url: url), store: "s3")))
                    if let directory = options.cacheDirectory {
                        store = try await DiskCacheStore(
                            remote, directory: directory, capacityBytes: options.cacheDirectoryBytes,
                            isImmutable: ObjectPath.isWrittenOnce)
                    } else {
                        store = remote
                    }
                    catalogURL = options.catalogFile ?? Self.defaultCatalogFile(for: url)
                    try FileManager.default.createDirectory(
                        at: catalogURL.deletingLastPathComponent(), withIntermediateDirectories: true)
                }
            } catch let error as ObjectStoreError {
                throw CairnError(.storage, "opening the store \(url): \(error)")
            }
            let existed = FileManager.default.fileExists(atPath: catalogURL.path)
            let catalog: CatalogDatabase
            do {
                catalog = try CatalogDatabase(url: catalogURL)
                if !existed {
                    // A new catalog over an existing bucket (a fresh node, or a lost cache): the bucket is the truth.
                    // The latest manifest of each collection is all a node needs (`cairn catalog rebuild` reads all).
                    _ = try await CatalogRebuilder(store: store, prefix: ObjectPath()).rebuild(
                        into: catalog, incremental: true)
                }
            } catch {
                throw CairnError.from(error)
            }
            return Client(
                url: url, context: ClientContext(store: store, root: ObjectPath(), catalog: catalog, options: options))
        }
    }

    /// A client over an existing store and catalog (tests, tools).
    public convenience init(store: any ObjectStore, catalog: CatalogDatabase, options: Options = Options()) {
        self.init(
            url: "store",
            context: ClientContext(store: TrackingStore(store), root: ObjectPath(), catalog: catalog, options: options))
    }

    init(url: String, context: ClientContext) {
        self.url = url
        self.context = context
        context.maintenance.start()
    }

    static func defaultCatalogFile(for url: String) -> URL {
        let safe = url.map { $0.isLetter || $0.isNumber ? $0 : "_" }
        return FileManager.default.temporaryDirectory
            .appendingPathComponent("cairn-catalogs", isDirectory: true)
            .appendingPathComponent(String(safe.prefix(120)) + ".sqlite3")
    }

    /// The most records one add, upsert or update call may carry (Chroma's `max_batch_size`).
    public static var maxBatchSize: Int { WriteValidation.maxBatchSize }

    public static let defaultTenant = CatalogDatabase.defaultTenant
    public static let defaultDatabase = CatalogDatabase.defaultDatabase

    // MARK: Server

    /// Nanoseconds since the epoch, as Chroma's heartbeat reports.
    public func heartbeat() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }

    // MARK: Tenants and databases

    public func createTenant(_ name: String) async throws {
        try await boundary {
            _ = try await context.catalog.serviceCall { try await $0.createTenant(name) }
        }
    }

    public func tenantExists(_ name: String) throws -> Bool {
        try synchronousBoundary {
            do throws(CatalogError) {
                _ = try context.catalog.database.tenant(name)
                return true
            } catch {
                if error.code == .notFound { return false }
                throw CairnError(error)
            }
        }
    }

    public func createDatabase(_ name: String, tenant: String = defaultTenant) async throws {
        try await boundary {
            _ = try await context.catalog.serviceCall { try await $0.createDatabase(tenant: tenant, name: name) }
        }
    }

    public func databases(tenant: String = defaultTenant, limit: Int? = nil, offset: Int = 0) throws -> [DatabaseRecord]
    {
        try synchronousBoundary {
            try context.catalog.call { try $0.listDatabases(tenant: tenant, limit: limit, offset: offset) }
        }
    }

    public func database(_ name: String, tenant: String = defaultTenant) throws -> DatabaseRecord {
        try synchronousBoundary {
            try context.catalog.call { try $0.database(tenant: tenant, name: name) }
        }
    }

    /// Deletes a database and its collections.
    public func deleteDatabase(_ name: String, tenant: String = defaultTenant) async throws {
        try await boundary {
            let collections = try context.catalog.call { try $0.listCollections(tenant: tenant, database: name) }
            _ = try await context.catalog.serviceCall { try await $0.deleteDatabase(tenant: tenant, name: name) }
            for collection in collections { context.forget(collectionID: collection.id) }
        }
    }

    /// Chroma's `reset()`: deletes every tenant, database and collection, leaving the default tenant and database
    /// empty. The collections' objects are removed by the next garbage collection. Servers expose it only when
    /// started with `--allow-reset`.
    public func reset() async throws {
        try await boundary {
            await context.maintenance.waitForBackgroundWork()
            let removed = try await context.catalog.serviceCall { try await $0.reset() }
            for id in removed { context.forget(collectionID: id) }
        }
    }

    // MARK: Collections

    /// Creates a collection (Chroma's `create_collection`); with `getOrCreate`, returns the existing one instead of
    /// failing. `configuration` takes Chroma's `{"hnsw": {...}, "spann": {...}, "embedding_function": {...}}`;
    /// `hnsw:*` metadata keys work too. `schema` takes Chroma's schema JSON (indexes Cairn cannot honour are refused).
    public func createCollection(
        _ name: String, metadata: Metadata? = nil, configuration: [String: JSONValue]? = nil,
        schema: [String: JSONValue]? = nil, getOrCreate: Bool = false, tenant: String = defaultTenant,
        database: String = defaultDatabase
    ) async throws -> Collection {
        try await boundary {
            if let metadata, !metadata.isEmpty { try WriteValidation.metadata(metadata) }
            var resolved: CollectionConfiguration
            do throws(ValidationError) {
                if let schema { try CollectionConfiguration.validate(schema: schema) }
                resolved = try CollectionConfiguration(
                    metadata: metadata,
                    configuration: schema.map { CollectionConfiguration.configuration(configuration, withSchema: $0) }
                        ?? configuration)
                resolved.givenSchema = schema
            } catch {
                throw CairnError(validation: error)
            }
            let (record, _) = try await context.catalog.serviceCall {
                try await $0.createCollection(
                    tenant: tenant, database: database, name: name,
                    metadata: metadata.flatMap { $0.isEmpty ? nil : $0.mapValues(\.json) },
                    configuration: resolved.json,
                    getOrCreate: getOrCreate)
            }
            return try context.collection(record)
        }
    }

    /// Finishes a collection the catalog holds at version 0 (its creator is still at it, or crashed).
    private func published(_ record: CollectionRecord) async throws -> CollectionRecord {
        guard record.version == 0 else { return record }
        return try await context.catalog.serviceCall { try await $0.finishCreation(record) }
    }

    public func getOrCreateCollection(
        _ name: String, metadata: Metadata? = nil, configuration: [String: JSONValue]? = nil,
        tenant: String = defaultTenant, database: String = defaultDatabase
    ) async throws -> Collection {
        try await boundary {
            try await createCollection(
                name, metadata: metadata, configuration: configuration, getOrCreate: true, tenant: tenant,
                database: database)
        }
    }

    public func getCollection(
        _ name: String, tenant: String = defaultTenant, database: String = defaultDatabase
    ) async throws -> Collection {
        try await boundary {
            let record = try await context.catalog.callSyncingOnMiss { catalog throws(CatalogError) in
                try catalog.collection(tenant: tenant, database: database, name: name)
            }
            return try context.collection(try await published(record))
        }
    }

    public func getCollection(id: String) async throws -> Collection {
        try await boundary {
            let record = try await context.catalog.callSyncingOnMiss { catalog throws(CatalogError) in
                try catalog.collection(id: id)
            }
            return try context.collection(try await published(record))
        }
    }

    public func listCollections(
        limit: Int? = nil, offset: Int = 0, tenant: String = defaultTenant, database: String = defaultDatabase
    ) async throws -> [Collection] {
        try await boundary {
            await context.catalog.syncIfStale()
            let records = try context.catalog.call {
                try $0.listCollections(tenant: tenant, database: database, limit: limit, offset: offset)
            }
            return try records.map { try context.collection($0) }
        }
    }

    public func countCollections(tenant: String = defaultTenant, database: String = defaultDatabase) async throws
        -> Int
    {
        try await boundary {
            await context.catalog.syncIfStale()
            return try context.catalog.call { try $0.countCollections(tenant: tenant, database: database) }
        }
    }

    /// Deletes a collection: a tombstone version is published, then the catalog forgets it. Its objects stay until
    /// garbage collection removes them.
    public func deleteCollection(
        _ name: String, tenant: String = defaultTenant, database: String = defaultDatabase
    ) async throws {
        try await boundary {
            let record = try context.catalog.call { try $0.collection(tenant: tenant, database: database, name: name) }
            _ = try await context.catalog.serviceCall { try await $0.deleteCollection(id: record.id) }
            context.forget(collectionID: record.id)
        }
    }

    /// Waits for background compactions started by writes to finish.
    public func waitForBackgroundCompaction() async {
        await context.maintenance.waitForBackgroundWork()
    }
}
