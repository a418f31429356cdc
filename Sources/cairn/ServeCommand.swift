// `cairn serve`: the Chroma-compatible HTTP server over a local folder or an S3 bucket, for the official Chroma
// clients (`chromadb.HttpClient(host, port)`).
import ArgumentParser
import Cairn
import CairnServer
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve Chroma's /api/v2 HTTP API over a Cairn store.")

    @Option(help: "Folder holding the store (created if missing).")
    var path: String?

    @Option(help: "An S3 store instead: s3://bucket/prefix?endpoint=…&region=… (credentials from the environment).")
    var store: String?

    @Option(
        help:
            "Catalog file of this node (s3:// stores; rebuilt from the bucket when missing). Default: one per store URL under the temporary directory."
    )
    var catalog: String?

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one; the chosen one is printed).")
    var port: Int = 8000

    @Option(
        help:
            "Require this token (Authorization: Bearer or X-Chroma-Token). Prefer $CAIRN_AUTH_TOKEN: arguments show in ps."
    )
    var authToken: String?

    @Option(help: "Largest request body in bytes.")
    var maxBodyBytes: Int = 40 * 1024 * 1024

    @Option(help: "Most records in one add/upsert/update.")
    var maxBatchSize: Int = Client.maxBatchSize

    @Option(help: "Requests handled at once; more get 429.")
    var maxConcurrentRequests: Int = 256

    @Flag(help: "Serve POST /api/v2/reset (client.reset()), which deletes every tenant, database and collection.")
    var allowReset = false

    @Flag(help: "Do not serve the read-only web console at /console.")
    var noConsole = false

    @Option(help: "Bytes of request bodies handled at once; more get 429 (a request alone is always admitted).")
    var maxInflightBodyBytes: Int = 256 * 1024 * 1024

    @Option(help: "Bytes of blockfile blocks cached in memory (default: 1/16 of the machine's memory).")
    var blockCacheBytes: Int?

    @Option(help: "Bytes of HNSW indexes cached in memory (default: 1/3 of the machine's memory).")
    var hnswCacheBytes: Int?

    @Option(
        help: "For --store: a folder caching the bucket's immutable objects on this node's disk (see `cairn warm`).")
    var cacheDir: String?

    @Option(help: "Bytes the disk cache may hold.")
    var cacheBytes: Int = 20 << 30

    @Option(help: "Seconds: how stale a collection's view of other nodes' writes and versions may get.")
    var refreshInterval: Double = 1

    @Option(help: "Network event loop threads (default: one per core).")
    var eventLoopThreads: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Compact a collection in the background once its log holds this many records (0: never).")
    var compactionThreshold: Int = 50_000

    @Option(help: "… or once its oldest uncompacted write is this many seconds old (0: no age limit).")
    var compactionMaxAge: Double = 5

    @Option(help: "… or once no write reached it for this many seconds (0: off).")
    var compactionQuietPeriod: Double = 1

    @Option(help: "Background compactions running at once.")
    var maxConcurrentCompactions: Int = 1

    @Option(
        help:
            "Bytes of writes not compacted yet (held in memory too) past which writes wait for compaction, then fail with 429 after 30 s (0: no bound; default: 1/64 of the machine's memory)."
    )
    var maxBacklogBytes: Int = Client.Options().maxBacklogBytes ?? 0

    @Option(
        help:
            "Collections whose in-memory view stays between requests; the least recently used past it are opened again from the store when next used."
    )
    var maxOpenCollections: Int = Client.Options().maxOpenCollections

    @Option(
        help:
            "Most uncompacted records per collection held in the log tail's in-memory vector index (0: none; the rest are compared exactly)."
    )
    var tailIndexMaxVectors: Int = Client.Options().tailIndexMaxVectors

    @Option(
        help:
            "Uncompacted records a collection's log tail holds before it gets an in-memory vector index (fewer are compared exactly)."
    )
    var tailIndexMinVectors: Int = Client.Options().tailIndexMinVectors

    @Option(
        help:
            "Collections of at most this many records keep their vectors once, in their records, searched exactly; larger ones get an HNSW index (0: always an index)."
    )
    var vectorsInRecordsLimit: Int = Client.Options().vectorsInRecordsLimit

    @Option(help: "Run garbage collection every this many seconds (0: never; `cairn gc` still works).")
    var gcInterval: Double = 600

    @Option(help: "Versions garbage collection always keeps per collection.")
    var gcKeepVersions: Int = GarbageCollectionPolicy.defaultKeepVersions

    @Option(help: "Seconds: garbage collection deletes nothing younger, and keeps replaced versions this long.")
    var gcMinAge: Double = GarbageCollectionPolicy.defaultMinAge

    @Option(
        help: "Retention: replaced versions stay kept (readable as of them, restorable) this long, e.g. 12h, 7d.",
        transform: RetentionDuration.seconds)
    var gcKeepFor: Double = 0

    func validate() throws {
        if path != nil && store != nil { throw ValidationError("give --path or --store, not both") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if maxBatchSize < 1 || maxBatchSize > Client.maxBatchSize {
            throw ValidationError("--max-batch-size must be between 1 and \(Client.maxBatchSize)")
        }
        if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024") }
        if compactionThreshold < 0 || compactionMaxAge < 0 || compactionQuietPeriod < 0 || gcInterval < 0
            || gcMinAge < 0 || maxBacklogBytes < 0 || tailIndexMaxVectors < 0 || tailIndexMinVectors < 0
            || vectorsInRecordsLimit < 0
        {
            throw ValidationError("compaction, GC and tail index limits must not be negative")
        }
        if (blockCacheBytes ?? 1) < 1 || (hnswCacheBytes ?? 1) < 1 {
            throw ValidationError("cache sizes must be positive byte counts")
        }
        if refreshInterval < 0 || cacheBytes < 0 {
            throw ValidationError("--refresh-interval and --cache-bytes must not be negative")
        }
        if maxConcurrentCompactions < 1 { throw ValidationError("--max-concurrent-compactions must be at least 1") }
        if maxOpenCollections < 1 { throw ValidationError("--max-open-collections must be at least 1") }
        if gcKeepVersions < 1 { throw ValidationError("--gc-keep-versions must be at least 1") }
        if authToken?.isEmpty == true {
            throw ValidationError("--auth-token is empty: give a token, or leave the option out to run without auth")
        }
        if ProcessInfo.processInfo.environment["CAIRN_AUTH_TOKEN"]?.isEmpty == true, authToken == nil {
            throw ValidationError(
                "CAIRN_AUTH_TOKEN is set but empty: set a token, or unset the variable to run without auth")
        }
    }

    /// Whether `host` is a loopback address (the default): only this machine can reach the server there.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    func run() async throws {
        let url = store ?? path ?? "cairn-data"
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.authToken = authToken ?? ProcessInfo.processInfo.environment["CAIRN_AUTH_TOKEN"]
        if options.authToken == nil, !Self.isLoopback(host) {
            FileHandle.standardError.write(
                Data(
                    ("cairn: WARNING: listening on \(host) without an auth token: anyone who can reach this port can "
                        + "read, change and delete every collection. Set CAIRN_AUTH_TOKEN (or --auth-token).\n").utf8))
        }
        options.maxBodyBytes = maxBodyBytes
        options.maxBatchSize = maxBatchSize
        options.maxConcurrentRequests = maxConcurrentRequests
        options.maxInflightBodyBytes = maxInflightBodyBytes
        options.allowReset = allowReset
        options.console = !noConsole
        options.eventLoopThreads = eventLoopThreads
        var clientOptions = Client.Options()
        clientOptions.compactionThreshold = compactionThreshold == 0 ? nil : compactionThreshold
        clientOptions.compactionMaxAge = compactionMaxAge == 0 ? nil : .milliseconds(Int64(compactionMaxAge * 1000))
        clientOptions.compactionQuietPeriod =
            compactionQuietPeriod == 0 ? nil : .milliseconds(Int64(compactionQuietPeriod * 1000))
        clientOptions.maxConcurrentCompactions = maxConcurrentCompactions
        clientOptions.maxBacklogBytes = maxBacklogBytes == 0 ? nil : maxBacklogBytes
        clientOptions.maxOpenCollections = maxOpenCollections
        clientOptions.tailIndexMaxVectors = tailIndexMaxVectors
        clientOptions.tailIndexMinVectors = tailIndexMinVectors
        clientOptions.vectorsInRecordsLimit = vectorsInRecordsLimit
        clientOptions.catalogFile = catalog.map { URL(fileURLWithPath: $0) }
        clientOptions.cacheDirectory = cacheDir.map { URL(fileURLWithPath: $0, isDirectory: true) }
        clientOptions.cacheDirectoryBytes = cacheBytes
        clientOptions.refreshInterval = .milliseconds(Int64(refreshInterval * 1000))
        if let blockCacheBytes { clientOptions.blockCacheBytes = blockCacheBytes }
        if let hnswCacheBytes { clientOptions.hnswCacheBytes = hnswCacheBytes }
        clientOptions.garbageCollectionInterval = gcInterval == 0 ? nil : .milliseconds(Int64(gcInterval * 1000))
        clientOptions.garbageCollectionPolicy = GarbageCollectionPolicy(
            keepVersions: gcKeepVersions, minAge: gcMinAge, keepFor: gcKeepFor)
        clientOptions.log = { line in FileHandle.standardError.write(Data("cairn: \(line)\n".utf8)) }
        let metrics = CairnServer.bootstrapMetrics()  // before the client, whose caches report to it
        let client = try await Client.open(url, options: clientOptions)
        try await CairnServer.run(client: client, options: options, metrics: metrics, logLevel: logLevel)
    }
}
