// Loads the SigV4 fixtures from the repository's Fixtures/sigv4 (found relative to this file, so the tests run
// from any working directory): the AWS test-suite case folders and s3-cases.json. Origin and licence of the
// files: Fixtures/sigv4/README.md.
import Foundation
import SigV4

enum SigV4Fixtures {
    /// `<repo>/Fixtures/sigv4` (this target does not depend on StorageTesting, so no `Fixtures.url`).
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // SigV4Tests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the repository
        .appendingPathComponent("Fixtures").appendingPathComponent("sigv4").standardizedFileURL

    static let suiteDirectory = directory.appendingPathComponent("aws-sig-v4-test-suite")

    /// Shared inputs of the AWS suite.
    static let suiteCredentials = SigV4Credentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let suiteToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    /// Every case folder of the suite (a folder holding `NAME.req`), as paths relative to the suite root.
    static func suiteCaseNames() -> [String] {
        guard let walker = FileManager.default.enumerator(at: suiteDirectory, includingPropertiesForKeys: nil)
        else { return [] }
        var names: [String] = []
        for case let url as URL in walker where url.pathExtension == "req" {
            let folder = url.deletingLastPathComponent()
            guard folder.lastPathComponent == url.deletingPathExtension().lastPathComponent else { continue }
            let relative = folder.path.dropFirst(suiteDirectory.standardizedFileURL.path.count + 1)
            names.append(String(relative))
        }
        return names.sorted()
    }

    struct SuiteCase {
        var name: String
        var request: SigV4Request
        var body: Data
        var canonicalRequest: String
        var stringToSign: String
        var authorization: String
    }

    static func file(_ name: String, _ ext: String) throws -> String {
        let base = (name as NSString).lastPathComponent
        let url = suiteDirectory.appendingPathComponent(name).appendingPathComponent("\(base).\(ext)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Parses `NAME.req`: `METHOD PATH[?QUERY] HTTP/1.1`, `Name:value` lines, a blank line, the body.
    static func suiteCase(_ name: String) throws -> SuiteCase {
        let text = try file(name, "req")
        let (head, body): (Substring, Substring) = {
            if let range = text.range(of: "\n\n") { return (text[..<range.lowerBound], text[range.upperBound...]) }
            return (Substring(text), "")
        }()
        let lines = head.split(separator: "\n", omittingEmptySubsequences: false)
        let requestLine = lines[0]
        guard let firstSpace = requestLine.firstIndex(of: " "),
            let versionRange = requestLine.range(of: " HTTP/1.1", options: .backwards)
        else { throw FixtureError(message: "\(name): bad request line '\(requestLine)'") }
        let method = String(requestLine[..<firstSpace])
        let target = requestLine[requestLine.index(after: firstSpace)..<versionRange.lowerBound]
        var path = String(target)
        var query: [SigV4QueryItem] = []
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            for pair in target[target.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append(SigV4QueryItem(String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
            }
        }
        var headers: [HTTPHeaderField] = []
        for line in lines.dropFirst() {
            if line.first == " " || line.first == "\t", let last = headers.popLast() {
                headers.append(HTTPHeaderField(last.name, last.value + "\n" + line))  // folded continuation
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(HTTPHeaderField(String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        let host = headers.first { $0.name.lowercased() == "host" }?.value ?? ""
        let bodyData = Data(body.utf8)
        let request = SigV4Request(
            method: method, scheme: "https", host: host, path: path, query: query, headers: headers,
            payloadHash: .sha256(of: bodyData))
        return SuiteCase(
            name: name, request: request, body: bodyData, canonicalRequest: try file(name, "creq"),
            stringToSign: try file(name, "sts"), authorization: try file(name, "authz"))
    }

    // MARK: s3-cases.json

    struct S3File: Decodable {
        var cases: [S3Case]
    }

    struct S3Case: Decodable, Sendable {
        var name: String
        var description: String
        var auth: String
        var method: String
        var url: String
        var bucket: String?
        var key: String?
        var addressing_style: String
        var query: [[String?]]
        var headers: [[String]]
        var unsigned_headers: [[String]]?
        var access_key_id: String
        var secret_access_key: String
        var session_token: String?
        var region: String
        var service: String
        var timestamp: String
        var body_base64: String?
        var payload_hash: String
        var expires: Int?
        var expected: Expected

        struct Expected: Decodable, Sendable {
            var canonical_request: String
            var string_to_sign: String
            var signature: String
            var signed_headers: String?
            var authorization: String?
            var headers_after_signing: [[String]]?
            var host: String
            var presigned_url: String?
        }
    }

    static func s3Cases() throws -> [S3Case] {
        let data = try Data(contentsOf: directory.appendingPathComponent("s3-cases.json"))
        return try JSONDecoder().decode(S3File.self, from: data).cases
    }

    /// The cases for parameterised tests; an unreadable file yields no cases, which the count test catches.
    static let allS3Cases: [S3Case] = (try? s3Cases()) ?? []

    struct FixtureError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
