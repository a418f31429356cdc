// Token auth (Chroma's two headers; without the token nothing is touched), the concurrency limit, and /metrics.
import Cairn
import CairnServer
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import Testing

@Suite struct ServerAuthAndMetricsTests {
    static func options(token: String) -> ServerOptions {
        var options = ServerOptions()
        options.authToken = token
        return options
    }

    @Test func withoutTheTokenRequestsGet401AndChangeNothing() async throws {
        try await ServerHarness.with(options: Self.options(token: "s3cret-token")) { api in
            let collections = API.db + "/collections"
            let refused = try await api.post(collections, #"{"name":"locked"}"#)
            #expect(refused.status == .unauthorized && refused.error == "AuthError", "\(refused.text)")
            #expect(!refused.text.contains("s3cret"))
            let wrong = try await api.call(.get, collections, headers: [.authorization: "Bearer guess"])
            #expect(wrong.status == .unauthorized)
            let wrongScheme = try await api.call(.get, collections, headers: [.authorization: "Basic s3cret-token"])
            #expect(wrongScheme.status == .unauthorized)
            let prefix = try await api.call(.get, collections, headers: [.authorization: "Bearer s3cret-toke"])
            #expect(prefix.status == .unauthorized)

            // Chroma answers these without a token; the client calls them before authenticating.
            for open in ["/api/v2/heartbeat", "/api/v2/version", "/api/v2/pre-flight-checks", "/api/v2/healthcheck"] {
                #expect(try await api.get(open).status == .ok, "\(open)")
            }
            #expect(try await api.get("/metrics").status == .unauthorized)

            let bearer: HTTPFields = [.authorization: "Bearer s3cret-token"]
            let listed = try await api.call(.get, collections, headers: bearer)
            #expect(listed.status == .ok && listed.json == .array([]), "\(listed.text)")
            let chromaHeader: HTTPFields = [HTTPField.Name("X-Chroma-Token")!: "s3cret-token"]
            let created = try await api.call(.post, collections, #"{"name":"open"}"#, headers: chromaHeader)
            #expect(created.status == .ok, "\(created.text)")
            let count = try await api.call(.get, API.db + "/collections_count", headers: bearer)
            #expect(count.json == .int(1))
        }
    }

    @Test func metricsCountRequestsPerRoute() async throws {
        let metrics = ServerMetrics()
        try await ServerHarness.with(metrics: metrics) { api in
            for _ in 0..<3 { _ = try await api.get("/api/v2/heartbeat") }
            let id = try await api.createCollection("measured")
            _ = try await api.post(API.collection(id, "add"), #"{"ids":["a"],"embeddings":[[1,2]]}"#)
            _ = try await api.post(API.collection(id, "add"), #"{"ids":["b"],"embeddings":[[1]]}"#)
            let reply = try await api.get("/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = reply.text
            #expect(text.contains("# TYPE cairn_http_requests_total counter"))
            #expect(
                text.contains(#"cairn_http_requests_total{method="GET",route="/api/v2/heartbeat",status="200"} 3"#),
                "\(text)")
            let addRoute = "/api/v2/tenants/{tenant}/databases/{database}/collections/{collection}/add"
            #expect(text.contains(#"cairn_http_requests_total{method="POST",route="\#(addRoute)",status="201"} 1"#))
            #expect(text.contains(#"cairn_http_requests_total{method="POST",route="\#(addRoute)",status="400"} 1"#))
            #expect(
                text.contains(
                    #"cairn_http_request_duration_seconds_count{method="GET",route="/api/v2/heartbeat"} 3"#))
            #expect(
                text.contains(
                    #"cairn_http_request_duration_seconds_bucket{method="GET",route="/api/v2/heartbeat",le="+Inf"} 3"#))
        }
    }

    @Test func swiftMetricsReportsBecomePrometheusSeries() {
        let metrics = ServerMetrics()
        metrics.makeCounter(label: "blockfile.cache.hits", dimensions: [("cache", "block")]).increment(by: 5)
        metrics.makeTimer(label: "objectstore.get", dimensions: []).recordNanoseconds(2_000_000)
        metrics.makeRecorder(label: "compaction.lag", dimensions: [], aggregate: false).record(Int64(42))
        let text = metrics.prometheusText()
        #expect(text.contains(#"blockfile_cache_hits_total{cache="block"} 5"#), "\(text)")
        #expect(text.contains("objectstore_get_seconds_count 1"))
        #expect(text.contains("compaction_lag 42"))
    }

    /// Label values are escaped as the text format requires, and a labelled histogram's buckets add `le` after the
    /// series' own labels.
    @Test func labelValuesAreEscapedAndBucketsKeepTheirLabels() {
        let metrics = ServerMetrics()
        metrics.makeCounter(label: "odd", dimensions: [("path", "a\\b \"c\"\nd")]).increment(by: 1)
        metrics.makeTimer(label: "store.get", dimensions: [("outcome", "ok")]).recordNanoseconds(300_000)
        let text = metrics.prometheusText()
        #expect(text.contains(#"odd_total{path="a\\b \"c\"\nd"} 1"#), "\(text)")
        #expect(text.contains(#"store_get_seconds_bucket{outcome="ok",le="0.0005"} 1"#), "\(text)")
        #expect(text.contains(#"store_get_seconds_bucket{outcome="ok",le="+Inf"} 1"#))
        #expect(text.contains(#"store_get_seconds_count{outcome="ok"} 1"#))
        #expect(text.components(separatedBy: "# TYPE store_get_seconds histogram").count == 2)
    }
}

@Suite struct ServerConcurrencyLimitTests {
    /// Two requests held inside a handler fill a limit of 2; the third is refused with 429 at once, and once the two
    /// finish requests are served again.
    @Test func requestsBeyondTheLimitGet429() async throws {
        var options = ServerOptions()
        options.maxConcurrentRequests = 2
        let (entered, released, holdRoute) = HeldRoute.make(.get)
        try await ServerHarness.with(options: options, extraRoutes: holdRoute) { api in
            try await withThrowingTaskGroup(of: Reply.self) { group in
                for _ in 0..<2 { group.addTask { try await api.get("/test/hold") } }
                var iterator = entered.makeAsyncIterator()
                _ = await iterator.next()
                _ = await iterator.next()
                let refused = try await api.get("/api/v2/tenants/default_tenant")
                #expect(refused.status == .tooManyRequests && refused.error == "RateLimitError", "\(refused.text)")
                released.value.store(true, ordering: .releasing)
                for try await reply in group { #expect(reply.status == .ok) }
            }
            #expect(try await api.get("/api/v2/tenants/default_tenant").status == .ok)
        }
    }
}

extension ServerConcurrencyLimitTests {
    /// Request bodies held in handlers count against a byte budget (issue 16: concurrent large requests held
    /// gigabytes): one held 600-byte body fills a 1,000-byte budget, so a second large body gets 429, a small
    /// one passes, and a large one alone is admitted again once the first finished.
    @Test func requestBodiesBeyondTheByteBudgetGet429() async throws {
        var options = ServerOptions()
        options.maxInflightBodyBytes = 1000
        let (entered, released, holdRoute) = HeldRoute.make(.post)
        let large = "{\"name\":\"" + String(repeating: "x", count: 600) + "\"}"
        try await ServerHarness.with(options: options, extraRoutes: holdRoute) { api in
            let held = Task { try await api.post("/test/hold", large) }
            var iterator = entered.makeAsyncIterator()
            _ = await iterator.next()
            let refused = try await api.post("/api/v2/tenants", large)
            #expect(refused.status == .tooManyRequests && refused.error == "RateLimitError", "\(refused.text)")
            #expect(try await api.post("/api/v2/tenants", #"{"name":"small"}"#).status == .ok)
            released.value.store(true, ordering: .releasing)
            #expect(try await held.value.status == .ok)
            let alone = try await api.post(
                "/api/v2/tenants", "{\"name\":\"t" + String(repeating: "y", count: 1200) + "\"}")
            #expect(alone.status != .tooManyRequests, "a request alone is admitted: \(alone.text)")
        }
    }
}

/// A route `/test/hold` whose handlers report entering and wait until released.
enum HeldRoute {
    static func make(_ method: HTTPRequest.Method) -> (
        entered: AsyncStream<Void>, released: Flag, route: (Router<BasicRequestContext>) -> Void
    ) {
        let (entered, enteredContinuation) = AsyncStream<Void>.makeStream()
        let released = Flag()
        let route: (Router<BasicRequestContext>) -> Void = { router in
            router.on("/test/hold", method: method) { _, _ in
                enteredContinuation.yield()
                while !released.value.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
                return "held"
            }
        }
        return (entered, released, route)
    }
}

/// Set once to let the held handlers finish.
final class Flag: Sendable { let value = Atomic<Bool>(false) }
