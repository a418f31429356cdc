// What `cairn serve` is configured with: where to listen, the optional token, and the limits that keep one client
// from exhausting the server.
import Cairn

public struct ServerOptions: Sendable {
    public var host: String = "127.0.0.1"
    public var port: Int = 8000
    /// When set, every route but heartbeat, version, healthcheck and pre-flight-checks needs this token
    /// (`Authorization: Bearer <token>` or `X-Chroma-Token: <token>`).
    public var authToken: String?
    /// Largest request body accepted (Chroma's default payload limit is 40 MB).
    public var maxBodyBytes: Int = 40 * 1024 * 1024
    /// Most records in one add/upsert/update (reported to clients as `max_batch_size`).
    public var maxBatchSize: Int = Client.maxBatchSize
    /// Requests handled at once; more are answered 429 at once rather than queued without bound.
    public var maxConcurrentRequests: Int = 256
    /// Request bodies (by declared length; `maxBodyBytes` when undeclared) in handlers at once: past it, requests
    /// get 429, so that concurrent large requests cannot hold gigabytes of request-scoped memory. A request alone
    /// is always admitted.
    public var maxInflightBodyBytes: Int = 256 * 1024 * 1024
    /// Threads of the network event loops; nil: one per core (NIO's default). Set before the server starts, once
    /// per process.
    public var eventLoopThreads: Int?
    /// Serve `POST /api/v2/reset` (Chroma's `ALLOW_RESET`): it deletes every tenant, database and collection.
    public var allowReset = false
    /// Serve the read-only web console at `/console` (behind the token, like the API).
    public var console = true

    public init() {}
}
