// The Chroma-compatible HTTP server: the router with Chroma's /api/v2 routes, `/metrics` and the web console, its
// middleware, and the Hummingbird application that `cairn serve` runs (SIGINT/SIGTERM stop it gracefully: the
// listener closes, requests in flight finish, and only then does `run` return).
import Cairn
import Foundation
import Hummingbird
import Logging
import NIOCore

public enum CairnServer {
    /// The router, for the application or for in-process tests.
    public static func router(client: Client, options: ServerOptions, metrics: ServerMetrics) -> Router<
        BasicRequestContext
    > {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ChromaErrorAndMetricsMiddleware(metrics: metrics))
        // The console's sign-in exists only with a token; its session value is new with every router.
        let signIn = options.authToken.flatMap { $0.isEmpty ? nil : ConsoleSignIn(token: Array($0.utf8)) }
        if let signIn {
            router.add(middleware: TokenAuthMiddleware(token: signIn.token, console: options.console ? signIn : nil))
        }
        router.add(
            middleware: ConcurrencyLimitMiddleware(
                limit: max(1, options.maxConcurrentRequests), bodyBudget: options.maxInflightBodyBytes,
                maxBodyBytes: options.maxBodyBytes))
        router.get("/metrics") { _, _ in
            var response = JSONResponse.make(metrics.prometheusText())
            response.headers[.contentType] = "text/plain; version=0.0.4"
            return response
        }
        ChromaRoutes(client: client, options: options).register(on: router)
        if options.console { ConsoleRoutes(client: client, metrics: metrics, signIn: signIn).register(on: router) }
        return router
    }

    public static func application(
        client: Client, options: ServerOptions, metrics: ServerMetrics, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(client: client, options: options, metrics: metrics),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "cairn"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
            logger: logger)
    }
}

extension CairnServer {
    /// Makes a `ServerMetrics` the process's metrics factory. Call it before opening the `Client`: metrics
    /// objects (caches, compaction) bind to the factory of the moment they are created. Once per process.
    public static func bootstrapMetrics() -> ServerMetrics {
        let metrics = ServerMetrics()
        metrics.bootstrap()
        return metrics
    }

    /// Runs the server until SIGINT or SIGTERM: `metrics` (from `bootstrapMetrics()`) goes to `/metrics`, logs to
    /// stderr, and `Listening on host:port` is printed to stdout once the socket is bound (port 0 picks a free
    /// port).
    public static func run(client: Client, options: ServerOptions, metrics: ServerMetrics, logLevel: String = "info")
        async throws
    {
        if let threads = options.eventLoopThreads { NIOSingletons.groupLoopCountSuggestion = max(1, threads) }
        var logger = Logger(label: "cairn.serve")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let app = application(client: client, options: options, metrics: metrics, logger: logger) { port in
            FileHandle.standardOutput.write(Data("Listening on \(options.host):\(port)\n".utf8))
        }
        try await app.runService()
        logger.info("stopped: listener closed and requests in flight finished")
    }
}
