// The 49 S3 cases of s3-cases.json (botocore's values): header auth and presigned URLs, each checked on
// canonical request, string to sign, signature and the headers or URL that go on the wire.
import Foundation
import SigV4
import Testing

@Suite("S3 SigV4 cases")
struct S3CasesTests {
    typealias S3Case = SigV4Fixtures.S3Case

    @Test func fileHasEveryCase() throws {
        let cases = try SigV4Fixtures.s3Cases()
        #expect(cases.count == 49)
        #expect(cases.filter { $0.auth == "header" }.count == 43)
        #expect(cases.filter { $0.auth == "query" }.count == 6)
    }

    /// The request as the fixture describes it: scheme, host and port from its URL, the path built by
    /// encoding the raw key once (checked against the URL's path), decoded query items, all headers.
    static func request(_ fixture: S3Case) throws -> SigV4Request {
        guard let components = URLComponents(string: fixture.url), let scheme = components.scheme,
            let host = components.host
        else { throw SigV4Fixtures.FixtureError(message: "\(fixture.name): bad url") }
        let wirePath = components.percentEncodedPath
        let bucketInPath = fixture.addressing_style == "path" ? fixture.bucket : nil
        let path = SigV4Encoding.s3Path(bucket: bucketInPath, key: fixture.key)
        #expect(path == (wirePath.isEmpty ? "/" : wirePath), "path built from bucket and key")
        let query = fixture.query.map { SigV4QueryItem($0[0] ?? "", $0.count > 1 ? $0[1] : nil) }
        var headers = fixture.headers.map { HTTPHeaderField($0[0], $0[1]) }
        headers += (fixture.unsigned_headers ?? []).map { HTTPHeaderField($0[0], $0[1]) }
        let body = Data(base64Encoded: fixture.body_base64 ?? "") ?? Data()
        // Real hashes are computed from the body here, so a signer hashing the wrong bytes would fail.
        let payload: SigV4PayloadHash =
            fixture.payload_hash.count == 64 ? .sha256(of: body) : SigV4PayloadHash(hexDigest: fixture.payload_hash)
        return SigV4Request(
            method: fixture.method, scheme: scheme, host: host, port: components.port, path: path, query: query,
            headers: headers, payloadHash: payload)
    }

    static func signer(_ fixture: S3Case) -> SigV4Signer {
        SigV4Signer(
            credentials: SigV4Credentials(
                accessKeyID: fixture.access_key_id, secretAccessKey: fixture.secret_access_key,
                sessionToken: fixture.session_token),
            region: fixture.region, service: fixture.service)
    }

    @Test(arguments: SigV4Fixtures.allS3Cases.filter { $0.auth == "header" })
    func headerAuth(_ fixture: S3Case) throws {
        let request = try Self.request(fixture)
        let timestamp = try #require(SigV4Timestamp(amzDate: fixture.timestamp))
        let signer = Self.signer(fixture)
        #expect(signer.rules == .s3)
        let signed = signer.sign(request, timestamp: timestamp)
        #expect(request.hostHeader == fixture.expected.host)
        #expect(signed.canonicalRequest == fixture.expected.canonical_request)
        #expect(signed.stringToSign == fixture.expected.string_to_sign)
        #expect(signed.signature == fixture.expected.signature)
        #expect(signed.signedHeaders == fixture.expected.signed_headers)
        #expect(signed.authorization == fixture.expected.authorization)
        #expect(request.url == fixture.url, "wire URL")
        let expectedHeaders = (fixture.expected.headers_after_signing ?? []).map { [$0[0].lowercased(), $0[1]] }
        let actualHeaders = signed.headers.map { [$0.name.lowercased(), $0.value] }
        #expect(
            actualHeaders.sorted { $0.lexicographicallyPrecedes($1) }
                == expectedHeaders.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test(arguments: SigV4Fixtures.allS3Cases.filter { $0.auth == "query" })
    func presignedURL(_ fixture: S3Case) throws {
        let request = try Self.request(fixture)
        let timestamp = try #require(SigV4Timestamp(amzDate: fixture.timestamp))
        let expires = try #require(fixture.expires)
        let presigned = try Self.signer(fixture).presign(request, expires: expires, timestamp: timestamp)
        #expect(presigned.canonicalRequest == fixture.expected.canonical_request)
        #expect(presigned.stringToSign == fixture.expected.string_to_sign)
        #expect(presigned.signature == fixture.expected.signature)
        #expect(presigned.url == fixture.expected.presigned_url)
    }
}

extension SigV4Fixtures.S3Case: CustomTestStringConvertible {
    var testDescription: String { name }
}
