// The middleware every request passes through, outermost first: metrics and Chroma error bodies, token auth, and
// the concurrency limit. Errors thrown anywhere below (including the router's own 404/405) become Chroma's JSON.
import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Records each request's count and latency by route, and turns any thrown error into a Chroma error response.
struct ChromaErrorAndMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            let chroma = ChromaError(error)
            if chroma.status.code >= 500 && chroma.status != .notImplemented {
                context.logger.error(
                    "request failed", metadata: ["path": "\(request.uri.path)", "error": "\(chroma.message)"])
            }
            response = chroma.response
        }
        metrics.recordRequest(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: response.status.code,
            nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        return response
    }
}

/// Optional token auth, as Chroma's token provider checks it: `Authorization: Bearer <token>` or
/// `X-Chroma-Token: <token>`. A request without the token gets 401 before any handler runs. The web console's reads
/// (GET under `/console`) also pass with the console's sign-in cookie (`ConsoleSignIn`), which a browser sends on
/// its own; a page load without either gets the sign-in form (401).
struct TokenAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    /// The console's sign-in, when the console is served.
    var console: ConsoleSignIn?
    /// Routes Chroma answers without authentication.
    static var openPaths: Set<String> {
        ["/api/v2", "/api/v2/heartbeat", "/api/v2/version", "/api/v2/healthcheck", "/api/v2/pre-flight-checks"]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var path = request.uri.path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        if Self.openPaths.contains(path) { return try await next(request, context) }
        // The sign-in form posts here (the handler checks the token it carries); signing out only drops the cookie.
        if console != nil, path == ConsoleSignIn.signInPath || path == ConsoleSignIn.signOutPath,
            request.method == .post
        {
            return try await next(request, context)
        }
        var presented: String?
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { presented = String(parts[1]) }
        }
        if presented == nil, let name = HTTPField.Name("x-chroma-token") {
            presented = request.headers[name]
        }
        if let presented, Self.constantTimeEqual(Array(presented.utf8), token) {
            return try await next(request, context)
        }
        if let console, ConsoleSignIn.isConsolePath(path) {
            // Only reads: the cookie can never authorize a write, whatever route a later change adds.
            if request.method == .get, console.accepts(request) { return try await next(request, context) }
            if request.method == .get, path == ConsoleSignIn.pagePath { return ConsoleSignIn.signInPage(failed: false) }
        }
        throw ChromaError(.unauthorized, "AuthError", "Unauthorized: a valid token is required")
    }

    /// Compares without an early exit, so timing does not reveal how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}

/// At most `limit` requests in handlers at once, and at most `bodyBudget` bytes of request bodies among them; the
/// next ones get 429 (Chroma's RateLimitError) at once rather than queue without bound.
struct ConcurrencyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    /// A class so the copies of the middleware share one count.
    final class Count: Sendable {
        let requests = Atomic<Int>(0)
        let bodyBytes = Atomic<Int>(0)
    }
    let limit: Int
    let bodyBudget: Int
    let maxBodyBytes: Int
    let inFlight = Count()

    init(limit: Int, bodyBudget: Int = .max, maxBodyBytes: Int = .max) {
        self.limit = limit
        self.bodyBudget = bodyBudget
        self.maxBodyBytes = maxBodyBytes
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let now = inFlight.requests.wrappingAdd(1, ordering: .relaxed).newValue
        defer { inFlight.requests.wrappingSubtract(1, ordering: .relaxed) }
        guard now <= limit else {
            throw ChromaError(
                .tooManyRequests, "RateLimitError", "Too many concurrent requests (limit \(limit)); retry later")
        }
        // A body's declared length (what the handler will hold), or the most it may be when undeclared.
        let declared = request.headers[.contentLength].flatMap(Int.init)
        let hasBody = request.method == .post || request.method == .put || request.method == .patch
        let reserved = min(max(0, declared ?? (hasBody ? maxBodyBytes : 0)), maxBodyBytes)
        let bodies = inFlight.bodyBytes.wrappingAdd(reserved, ordering: .relaxed).newValue
        defer { inFlight.bodyBytes.wrappingSubtract(reserved, ordering: .relaxed) }
        guard bodies <= bodyBudget || bodies == reserved else {
            throw ChromaError(
                .tooManyRequests, "RateLimitError",
                "Too many request bytes in flight (limit \(bodyBudget) bytes of request bodies at once); retry later")
        }
        return try await next(request, context)
    }
}
