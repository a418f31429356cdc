// The web console's sign-in when the server has a token (decision: docs/decisions/0026-console.md). A browser cannot
// add the API's header to a page load, so `/console` answers a request without the token with 401 and a sign-in
// form; the form posts the token to `/console/login`, which (after a constant-time compare) sets an HttpOnly,
// SameSite=Strict cookie scoped to `/console`. The cookie holds a random value made when the server starts, never
// the token: it is worthless against the API and after a restart.
import Foundation
import Hummingbird

struct ConsoleSignIn: Sendable {
    static let pagePath = "/console"
    static let signInPath = "/console/login"
    static let signOutPath = "/console/logout"
    static let cookieName = "cairn_console_session"

    let token: [UInt8]
    /// 256 random bits, hex: what the cookie must carry.
    let session: String

    init(token: [UInt8]) {
        self.token = token
        var generator = SystemRandomNumberGenerator()
        session = (0..<4).map { _ in
            let word = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - word.count) + word
        }.joined()
    }

    static func isConsolePath(_ path: String) -> Bool { path == pagePath || path.hasPrefix(pagePath + "/") }

    /// Whether the request carries this server's session cookie.
    func accepts(_ request: Request) -> Bool {
        guard let cookie = request.cookies[Self.cookieName] else { return false }
        return TokenAuthMiddleware<BasicRequestContext>.constantTimeEqual(
            Array(cookie.value.utf8), Array(session.utf8))
    }

    /// `POST /console/login` with the form's `token`: to the console with the cookie, or the form again (401).
    func signIn(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let presented = Self.formField("token", in: String(buffer: body)) ?? ""
        guard TokenAuthMiddleware<BasicRequestContext>.constantTimeEqual(Array(presented.utf8), token) else {
            return Self.signInPage(failed: true)
        }
        var response = Self.redirect()
        response.setCookie(
            Cookie(name: Self.cookieName, value: session, path: Self.pagePath, httpOnly: true, sameSite: .strict))
        return response
    }

    /// `POST /console/logout`: the cookie is dropped.
    static func signOut() -> Response {
        var response = redirect()
        response.setCookie(
            Cookie(name: cookieName, value: "", maxAge: 0, path: pagePath, httpOnly: true, sameSite: .strict))
        return response
    }

    static func redirect() -> Response {
        Response(status: .seeOther, headers: [.location: pagePath, .cacheControl: "no-store"])
    }

    /// One field of an `application/x-www-form-urlencoded` body.
    static func formField(_ name: String, in body: String) -> String? {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard parts.count == 2, decode(parts[0]) == name else { continue }
            return decode(parts[1])
        }
        return nil
    }

    /// The sign-in form, answered with 401: static HTML with no data, no script and its own style.
    static func signInPage(failed: Bool) -> Response {
        let note = failed ? #"<p class="bad">That token is not this server's.</p>"# : ""
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Cairn console: sign in</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
            <style>
            body{font:15px system-ui,sans-serif;background:#f4f5f7;color:#1d2330;display:flex;justify-content:center;
            padding-top:12vh}
            form{background:#fff;border:1px solid #d8dce3;border-radius:8px;padding:24px 28px;width:340px}
            h1{font-size:19px;margin:0 0 12px}input{width:100%;box-sizing:border-box;padding:8px;margin:8px 0 14px;
            font:inherit}button{padding:7px 16px;font:inherit}.bad{color:#b3261e}
            </style></head>
            <body><form method="post" action="\(signInPath)" id="sign-in">
            <h1>Cairn console</h1>
            <p>This server needs its token (the one clients send as <code>Authorization: Bearer</code>).</p>\(note)
            <label for="token">Token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" autofocus>
            <button type="submit">Sign in</button>
            </form></body></html>
            """
        var response = ConsoleAsset.response(html, type: "text/html; charset=utf-8", status: .unauthorized)
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'"
        return response
    }
}
