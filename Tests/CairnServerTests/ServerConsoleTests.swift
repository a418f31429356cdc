// The web console's routes (issue 23): its assets come from the binary, its JSON has the shape the page reads, its
// reads agree with the API's, it sits behind the token (sign-in cookie for reads only), and `--no-console` removes it.
// The page itself is driven in a real browser by Tests/python/check_console.py.
import Cairn
import CairnServer
import Foundation
import HTTPTypes
import Hummingbird
import Testing

@Suite struct ServerConsoleTests {
    static let token = "console-s3cret"
    static var bearer: HTTPFields { [.authorization: "Bearer \(token)"] }

    static func options(token: String? = nil, console: Bool = true) -> ServerOptions {
        var options = ServerOptions()
        options.authToken = token
        options.console = console
        return options
    }

    /// Adds `count` records: 2-d embeddings on a circle, `n` and `parity` metadata, a document each.
    static func fill(_ api: API, _ id: String, count: Int) async throws {
        var ids: [String] = []
        var embeddings: [String] = []
        var metadatas: [String] = []
        var documents: [String] = []
        for i in 0..<count {
            let angle = Double(i) / Double(count) * 2 * Double.pi
            ids.append(#""r\#(i)""#)
            embeddings.append("[\(cos(angle)),\(sin(angle))]")
            metadatas.append(#"{"n":\#(i),"parity":"\#(i % 2 == 0 ? "even" : "odd")"}"#)
            documents.append(#""document \#(i)""#)
        }
        let body =
            #"{"ids":[\#(ids.joined(separator: ","))],"embeddings":[\#(embeddings.joined(separator: ","))],"#
            + #""metadatas":[\#(metadatas.joined(separator: ","))],"documents":[\#(documents.joined(separator: ","))]}"#
        let reply = try await api.call(.post, API.collection(id, "add"), body)
        #expect(reply.status == .created, "\(reply.text)")
    }

    static func at(_ json: JSONValue?, _ index: Int) -> JSONValue? {
        guard case .array(let items)? = json, items.indices.contains(index) else { return nil }
        return items[index]
    }

    static func ids(_ json: JSONValue?) -> [String] {
        guard case .array(let items)? = json else { return [] }
        return items.compactMap { if case .string(let id) = $0 { id } else { nil } }
    }

    @Test func assetsAreServedFromTheBinaryWithAStrictPolicy() async throws {
        try await ServerHarness.with(options: Self.options()) { api in
            let page = try await api.get("/console")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains(#"<script src="/console/console.js" defer></script>"#))
            let policy = page.headers[.contentSecurityPolicy] ?? ""
            #expect(policy.contains("script-src 'self'") && policy.contains("default-src 'none'"), "\(policy)")
            let script = try await api.get("/console/console.js")
            #expect(script.status == .ok && script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            // Data reaches the page as text only.
            #expect(!script.text.contains("innerHTML") && !script.text.contains("insertAdjacentHTML"))
            let style = try await api.get("/console/console.css")
            #expect(style.status == .ok && style.headers[.contentType]?.hasPrefix("text/css") == true)
        }
    }

    @Test func overviewDetailsRecordsAndNeighboursHaveThePageShape() async throws {
        try await ServerHarness.withClient(options: Self.options()) { api, client in
            let id = try await api.createCollection("console-shape", #","metadata":{"topic":"circles"}"#)
            try await Self.fill(api, id, count: 40)
            _ = try await api.createCollection("empty-one")
            _ = try await client.getCollection(id: id).compact()

            let overview = try await api.get("/console/api/overview")
            #expect(overview.status == .ok, "\(overview.text)")
            #expect(overview.headers[.cacheControl] == "no-store")
            guard case .array(let tenants)? = overview.json["tenants"], let tenant = tenants.first,
                case .array(let databases)? = tenant["databases"], let database = databases.first,
                case .array(let collections)? = database["collections"]
            else {
                Issue.record("overview shape: \(overview.text)")
                return
            }
            #expect(tenant["name"] == .string(Client.defaultTenant) && overview.json["signed_in"] == .bool(false))
            #expect(database["name"] == .string(Client.defaultDatabase) && database["collection_count"] == .int(2))
            let shaped = collections.first { $0["id"] == .string(id) }
            #expect(shaped?["count"] == .int(40) && shaped?["dimension"] == .int(2), "\(overview.text)")
            #expect(collections.first { $0["name"] == .string("empty-one") }?["dimension"] == .null)

            let details = try await api.get("/console/api/collections/\(id)")
            #expect(details.status == .ok, "\(details.text)")
            #expect(details.json["count"] == .int(40))
            #expect(details.json["collection"]?["metadata"]?["topic"] == .string("circles"))
            #expect(details.json["collection"]?["configuration_json"]?["hnsw"]?["space"] == .string("l2"))
            #expect(details.json["collection"]?["schema"] != nil)
            #expect(details.json["indexing_status"]?["num_indexed_ops"] == .int(40))
            guard case .array(let versions)? = details.json["versions"],
                case .array(let segments)? = details.json["storage"]?["segments"]
            else {
                Issue.record("details shape: \(details.text)")
                return
            }
            #expect(versions.last?["current"] == .bool(true) && versions.last?["record_count"] == .int(40))
            #expect(
                Set(segments.compactMap { $0["kind"] }) == [.string("record"), .string("metadata"), .string("vector")])
            var segmentBytes: Int64 = 0
            for segment in segments {
                guard case .int(let bytes)? = segment["bytes"] else {
                    Issue.record("segment without bytes: \(segment)")
                    continue
                }
                // A small collection's vector segment names its record segment's vectors and holds no file of its
                // own (decision 0025).
                let vectorsInRecords = segment["files"]?["vectors_in_records"] != nil
                #expect(vectorsInRecords ? bytes == 0 : bytes > 0, "a compacted segment's files take room: \(segment)")
                segmentBytes += bytes
            }
            // The folder holds the segments, the log and the manifests (one per version).
            let storage = details.json["storage"]
            if case .int(let total)? = storage?["total"]?["bytes"], case .int(let log)? = storage?["log"]?["bytes"],
                case .int(let manifests)? = storage?["manifests"]?["bytes"]
            {
                #expect(log > 0 && manifests > 0 && total >= segmentBytes + log + manifests, "\(details.text)")
            } else {
                Issue.record("storage totals: \(details.text)")
            }
            #expect(storage?["manifests"]?["objects"] == .int(Int64(versions.count)))
            #expect(details.json["storage"]?["version"] == versions.last?["version"])

            // Pages in insertion order, and a where filter.
            let first = try await api.get("/console/api/collections/\(id)/records?limit=15&offset=0")
            let second = try await api.get("/console/api/collections/\(id)/records?limit=15&offset=15")
            #expect(Self.ids(first.json["ids"]) == (0..<15).map { "r\($0)" }, "\(first.text)")
            #expect(Self.ids(second.json["ids"]) == (15..<30).map { "r\($0)" })
            #expect(Self.at(first.json["documents"], 0) == .string("document 0"))
            #expect(Self.at(first.json["metadatas"], 1)?["parity"] == .string("odd"))
            let filter = #"{"$and":[{"parity":"even"},{"n":{"$lt":10}}]}"#
            let encoded = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let filtered = try await api.get("/console/api/collections/\(id)/records?where=\(encoded)")
            #expect(Self.ids(filtered.json["ids"]) == ["r0", "r2", "r4", "r6", "r8"], "\(filtered.text)")
            let bad = try await api.get("/console/api/collections/\(id)/records?where=%7Bnope")
            #expect(bad.status == .badRequest && bad.error == "InvalidArgumentError", "\(bad.text)")

            // Neighbours of a record are the API's query with its embedding.
            let neighbours = try await api.get("/console/api/collections/\(id)/neighbours?id=r10&n=5")
            #expect(neighbours.status == .ok, "\(neighbours.text)")
            let angle = 10.0 / 40 * 2 * Double.pi
            let query = try await api.post(
                API.collection(id, "query"), #"{"query_embeddings":[[\#(cos(angle)),\#(sin(angle))]],"n_results":5}"#)
            #expect(Self.ids(Self.at(neighbours.json["ids"], 0)) == Self.ids(Self.at(query.json["ids"], 0)))
            #expect(Self.ids(Self.at(neighbours.json["ids"], 0)).first == "r10")
            let missing = try await api.get("/console/api/collections/\(id)/neighbours?id=nope")
            #expect(missing.status == .notFound, "\(missing.text)")
            let wrongN = try await api.get("/console/api/collections/\(id)/neighbours?id=r1&n=many")
            #expect(wrongN.status == .badRequest, "\(wrongN.text)")

            let metrics = try await api.get("/console/api/metrics")
            #expect(metrics.status == .ok && metrics.text.contains("cairn_http_requests_total"))
        }
    }

    @Test func withATokenThePageAsksForItAndTheCookieOnlyReadsTheConsole() async throws {
        try await ServerHarness.with(options: Self.options(token: Self.token)) { api in
            // Refused: the page answers with the sign-in form, the JSON with Chroma's 401.
            let page = try await api.get("/console")
            #expect(page.status == .unauthorized)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains(#"action="/console/login""#) && !page.text.contains(Self.token))
            for path in ["/console/api/overview", "/console/console.js", "/console/api/metrics"] {
                let refused = try await api.get(path)
                #expect(refused.status == .unauthorized && refused.error == "AuthError", "\(path)")
            }
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let wrong = try await api.call(.post, "/console/login", "token=guess", headers: form)
            #expect(wrong.status == .unauthorized && wrong.headers[.setCookie] == nil)
            #expect(wrong.text.contains("not this server"))

            // Accepted: a session cookie (not the token) for /console only, HttpOnly and SameSite=Strict.
            let signedIn = try await api.call(
                .post, "/console/login",
                "token=" + (Self.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""),
                headers: form)
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/console")
            let setCookie = signedIn.headers[.setCookie] ?? ""
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), "\(setCookie)")
            #expect(setCookie.contains("Path=/console") && !setCookie.contains(Self.token), "\(setCookie)")
            let pair = String(setCookie.prefix { $0 != ";" })
            let cookie: HTTPFields = [.cookie: pair]
            for path in ["/console", "/console/console.js", "/console/api/overview", "/console/api/metrics"] {
                #expect(try await api.call(.get, path, headers: cookie).status == .ok, "\(path)")
            }
            // The cookie is not the API's token, and authorizes no write.
            #expect(try await api.call(.get, API.db + "/collections", headers: cookie).status == .unauthorized)
            #expect(try await api.call(.get, "/metrics", headers: cookie).status == .unauthorized)
            let write = try await api.call(.post, API.db + "/collections", #"{"name":"x"}"#, headers: cookie)
            #expect(write.status == .unauthorized)
            let forged: HTTPFields = [.cookie: "cairn_console_session=\(Self.token)"]
            #expect(try await api.call(.get, "/console/api/overview", headers: forged).status == .unauthorized)

            // The API's header works on the console too (curl, scripts).
            #expect(try await api.call(.get, "/console/api/overview", headers: Self.bearer).status == .ok)
            let signedOut = try await api.call(.post, "/console/logout", headers: cookie)
            #expect(signedOut.status == .seeOther && signedOut.headers[.setCookie]?.contains("Max-Age=0") == true)
        }
    }

    @Test func noConsoleMeansNotFound() async throws {
        try await ServerHarness.with(options: Self.options(token: Self.token, console: false)) { api in
            for path in ["/console", "/console/console.js", "/console/api/overview"] {
                let reply = try await api.call(.get, path, headers: Self.bearer)
                #expect(reply.status == .notFound, "\(path): \(reply.text)")
            }
            // Without the console there is no sign-in form either: the page is refused like any other path.
            #expect(try await api.get("/console").status == .unauthorized)
            #expect(try await api.call(.get, API.db + "/collections", headers: Self.bearer).status == .ok)
        }
    }
}
