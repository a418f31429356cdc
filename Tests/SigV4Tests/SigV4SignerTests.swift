// Behaviour of the signer beyond the fixtures: payload hashing, time formatting, limits, redaction and
// the signing-key cache under concurrency.
import Foundation
import SigV4
import Testing

@Suite("SigV4Signer")
struct SigV4SignerTests {
    static let credentials = SigV4Credentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        sessionToken: "TOKEN-SECRET")

    static func s3Request(body: Data) -> SigV4Request {
        SigV4Request(
            method: "PUT", scheme: "http", host: "127.0.0.1", port: 9000,
            path: SigV4Encoding.s3Path(bucket: "b", key: "k"), payloadHash: .sha256(of: body))
    }

    /// The servers used in tests do not check `x-amz-content-sha256` against the body: this does.
    @Test func payloadHashIsTheBodysSHA256() {
        let body = Data("Welcome to Amazon S3.".utf8)
        #expect(
            SigV4PayloadHash.sha256(of: body).value
                == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(SigV4PayloadHash.sha256(of: Data()) == .emptyBody)
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3")
        let signed = signer.sign(Self.s3Request(body: body), date: Date(timeIntervalSince1970: 1_440_938_160))
        #expect(
            signed.headers.contains(
                HTTPHeaderField(
                    "x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")))
        #expect(signed.canonicalRequest.hasSuffix("\n44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"))
        // A one-byte change of the body changes the signature.
        let other = signer.sign(
            Self.s3Request(body: Data("Welcome to Amazon S3!".utf8)),
            date: Date(timeIntervalSince1970: 1_440_938_160))
        #expect(other.signature != signed.signature)
    }

    @Test func timestampFormatsUTC() {
        #expect(SigV4Timestamp(Date(timeIntervalSince1970: 1_440_938_160)).amzDate == "20150830T123600Z")
        #expect(SigV4Timestamp(Date(timeIntervalSince1970: 0)).amzDate == "19700101T000000Z")
        #expect(SigV4Timestamp(amzDate: "20150830T123600Z")?.dateStamp == "20150830")
        #expect(SigV4Timestamp(amzDate: "2015-08-30") == nil)
        #expect(SigV4Timestamp(amzDate: "20151330T123600Z") == nil)
    }

    @Test func presignRejectsExpiryOutsideSevenDays() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3")
        let request = Self.s3Request(body: Data())
        #expect(throws: SigV4Error.self) { try signer.presign(request, expires: 0) }
        #expect(throws: SigV4Error.self) { try signer.presign(request, expires: 604_801) }
        #expect(throws: Never.self) { try signer.presign(request, expires: 604_800) }
    }

    @Test func descriptionsNeverShowTheSecret() {
        let text = "\(Self.credentials) \(String(reflecting: Self.credentials))"
        #expect(!text.contains(Self.credentials.secretAccessKey))
        #expect(!text.contains("TOKEN-SECRET"))
        #expect(text.contains("AKIDEXAMPLE"))
    }

    @Test func encodesS3KeysOnce() {
        #expect(SigV4Encoding.encodeS3Key("a b/c+d=e~f%g") == "a%20b/c%2Bd%3De~f%25g")
        #expect(SigV4Encoding.encodeS3Key("ü") == "%C3%BC")
        #expect(SigV4Encoding.encode("a/b") == "a%2Fb")
        #expect(SigV4Encoding.standardCanonicalURI("/a%20b//./c/..") == "/a%2520b")
    }

    /// Many tasks signing across two dates at once agree with a fresh signer each (the key cache is shared).
    @Test func keyCacheIsThreadSafe() async {
        let shared = SigV4Signer(credentials: Self.credentials, region: "eu-west-1", service: "s3")
        let dates = [Date(timeIntervalSince1970: 1_440_938_160), Date(timeIntervalSince1970: 1_441_038_160)]
        let request = Self.s3Request(body: Data("x".utf8))
        let expected = dates.map {
            SigV4Signer(credentials: Self.credentials, region: "eu-west-1", service: "s3").sign(request, date: $0)
                .signature
        }
        let results = await withTaskGroup(of: (Int, String).self) { group in
            for index in 0..<400 {
                group.addTask { (index % 2, shared.sign(request, date: dates[index % 2]).signature) }
            }
            var results: [(Int, String)] = []
            for await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 400)
        #expect(results.allSatisfy { expected[$0.0] == $0.1 })
    }
}
