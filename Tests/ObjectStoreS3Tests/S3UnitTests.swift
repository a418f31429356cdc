// S3Store's parts that need no server: configuration from the environment, URL options, error mapping.
import Foundation
import ObjectStore
import SigV4
import Testing

@testable import ObjectStoreS3

@Suite("S3 configuration and errors")
struct S3UnitTests {
    static let env = [
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "SECRET-VALUE", "AWS_SESSION_TOKEN": "TOKEN",
        "AWS_DEFAULT_REGION": "eu-west-3", "AWS_ENDPOINT_URL": "http://127.0.0.1:9999",
    ]

    @Test func configurationFromEnvironment() throws {
        let configuration = try S3Configuration.resolve(bucket: "b", environment: Self.env)
        #expect(configuration.region == "eu-west-3")
        #expect(configuration.endpoint == S3Endpoint(scheme: "http", host: "127.0.0.1", port: 9999))
        #expect(configuration.addressing == .path, "path-style when an endpoint is given")
        #expect(configuration.credentials.sessionToken == "TOKEN")

        var env = Self.env
        env["AWS_ENDPOINT_URL_S3"] = "https://s3.example.com"
        env["AWS_REGION"] = "ap-south-1"
        let specific = try S3Configuration.resolve(bucket: "b", environment: env)
        #expect(specific.endpoint.host == "s3.example.com")
        #expect(specific.region == "ap-south-1")

        let aws = try S3Configuration.resolve(
            bucket: "b", environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"])
        #expect(aws.endpoint.host == "s3.us-east-1.amazonaws.com")
        #expect(aws.addressing == .virtualHosted)
        #expect(aws.parallelGet && aws.multipartThreshold == 16 << 20, "remote endpoints transfer in parallel parts")
        #expect(!configuration.parallelGet, "loopback endpoints use single requests")
        #expect(S3Endpoint(scheme: "http", host: "localhost").isLoopback)
        #expect(!S3Endpoint(scheme: "https", host: "s3.amazonaws.com").isLoopback)
    }

    @Test func explicitValuesWin() throws {
        let configuration = try S3Configuration.resolve(
            bucket: "b", endpoint: "http://localhost:1234", region: "us-west-2", addressing: .virtualHosted,
            environment: Self.env)
        #expect(configuration.endpoint.port == 1234)
        #expect(configuration.region == "us-west-2")
        #expect(configuration.addressing == .virtualHosted)
    }

    @Test func missingCredentialsNameTheVariables() {
        let error = #expect(throws: ObjectStoreError.self) {
            _ = try S3Configuration.resolve(bucket: "b", environment: ["AWS_SECRET_ACCESS_KEY": "SECRET-VALUE"])
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("AWS_ACCESS_KEY_ID") == true)
        #expect(error?.message.contains("SECRET-VALUE") == false)
    }

    @Test func urlOptions() throws {
        let store = try StoreFactory.s3Store(
            bucket: "bucket",
            options: ["endpoint": "http://127.0.0.1:9100", "region": "us-east-2", "addressing": "virtual"],
            environment: Self.env)
        #expect(store.configuration.endpoint.port == 9100)
        #expect(store.configuration.region == "us-east-2")
        #expect(store.configuration.addressing == .virtualHosted)
        // Loopback endpoints move large objects in single requests unless told the server is distant.
        #expect(!store.configuration.parallelGet)
        let tunnelled = try StoreFactory.s3Store(
            bucket: "bucket", options: ["endpoint": "http://127.0.0.1:9100", "transfers": "parallel"],
            environment: Self.env)
        #expect(tunnelled.configuration.parallelGet)
        #expect(tunnelled.configuration.multipartThreshold == S3Configuration.defaultMultipartThreshold)
        let single = try StoreFactory.s3Store(
            bucket: "bucket", options: ["region": "us-east-1", "transfers": "single"], environment: Self.env)
        #expect(!single.configuration.parallelGet)
        #expect(single.configuration.multipartThreshold == S3Configuration.maxSinglePut)
        #expect(throws: ObjectStoreError.self) {
            _ = try StoreFactory.s3Store(bucket: "b", options: ["transfers": "fast"], environment: Self.env)
        }
        #expect(throws: ObjectStoreError.self) {
            _ = try StoreFactory.s3Store(bucket: "b", options: ["endpiont": "x"], environment: Self.env)
        }
        #expect(throws: ObjectStoreError.self) {
            _ = try StoreFactory.s3Store(bucket: "b", options: ["endpoint": "ftp://x"], environment: Self.env)
        }
        let prefixed = try StoreFactory.open(url: "s3://bucket/some/prefix?region=us-east-1", environment: Self.env)
        #expect((prefixed as? PrefixedStore)?.prefix == "some/prefix/")
        #expect(try StoreFactory.open(url: "s3://bucket", environment: Self.env) is S3Store)
    }

    @Test func fileURLsOpenLocalFileStores() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-factory-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try StoreFactory.open(url: "file://" + dir.path) is LocalFileStore)
    }

    @Test func errorMapping() {
        let body = Data(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message>\
            <RequestId>REQ123</RequestId><StringToSign>AWS4-HMAC-SHA256...</StringToSign></Error>
            """.utf8)
        let error = S3ErrorMapping.error(
            for: CurlResponse(status: 403, headers: [:], body: body), key: "k", operation: "PUT")
        #expect(error.code == .accessDenied)
        #expect(error.s3Code == "SignatureDoesNotMatch")
        #expect(error.requestID == "REQ123")
        #expect(error.httpStatus == 403)
        #expect(!error.description.contains("StringToSign"))

        let cases: [(Int, String?, ObjectStoreError.Code)] = [
            (404, "NoSuchKey", .notFound), (404, nil, .notFound), (412, "PreconditionFailed", .preconditionFailed),
            (503, "SlowDown", .throttled), (429, nil, .throttled), (500, "InternalError", .transient),
            (502, nil, .transient), (416, "InvalidRange", .invalidRange), (400, "RequestTimeout", .transient),
            (400, "InvalidArgument", .invalidArgument), (403, "AccessDenied", .accessDenied),
            (409, "ConditionalRequestConflict", .transient), (301, "PermanentRedirect", .invalidResponse),
        ]
        for (status, code, expected) in cases {
            #expect(S3ErrorMapping.errorCode(status: status, s3Code: code) == expected, "\(status) \(code ?? "-")")
        }
        let headError = S3ErrorMapping.error(
            for: CurlResponse(status: 404, headers: ["x-amz-request-id": "R9"], body: Data()), key: "k",
            operation: "HEAD")
        #expect(headError.code == .notFound && headError.requestID == "R9")
    }

    @Test func transportFailuresAreTransientOrTruncated() {
        let reset = S3ErrorMapping.error(
            for: CurlTransportError(
                code: 56, message: "Failure when receiving data from the peer", isPartialBody: false),
            key: "k", operation: "GET")
        #expect(reset.code == .transient && reset.isRetryable)
        let partial = S3ErrorMapping.error(
            for: CurlTransportError(code: 18, message: "Transferred a partial file", isPartialBody: true), key: "k",
            operation: "GET")
        #expect(partial.code == .truncated)
    }

    @Test func contentRangeParsing() {
        #expect(S3Store.parseContentRange("bytes 0-9/100")! == (0..<10, 100))
        #expect(S3Store.parseContentRange("bytes 99-99/100")! == (99..<100, 100))
        #expect(S3Store.parseContentRange("bytes 5-4/100") == nil)
        #expect(S3Store.parseContentRange("bytes 0-100/100") == nil)
        #expect(S3Store.parseContentRange("bytes */100") == nil)
        #expect(S3Store.parseContentRange("items 0-1/2") == nil)
    }

    @Test func listResultParsing() throws {
        let xml = Data(
            """
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix>\
            <KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>\
            <NextContinuationToken>tok+/=</NextContinuationToken>\
            <Contents><Key>p/a &amp; b</Key><LastModified>2026-11-28T15:53:06.000Z</LastModified>\
            <ETag>&quot;abc&quot;</ETag><Size>12</Size></Contents>\
            <CommonPrefixes><Prefix>p/dir/</Prefix></CommonPrefixes></ListBucketResult>
            """.utf8)
        let result = try #require(S3ListResult(xml))
        #expect(result.objects.map(\.key) == ["p/a & b"])
        #expect(result.objects.first?.etag == "\"abc\"")
        #expect(result.objects.first?.size == 12)
        #expect(result.objects.first?.lastModified == Date(timeIntervalSince1970: 1_795_881_186))
        #expect(result.commonPrefixes == ["p/dir/"])
        #expect(result.isTruncated && result.nextContinuationToken == "tok+/=")
        #expect(S3ListResult(Data("<Error/>".utf8)) == nil)
        #expect(S3ListResult(Data("not xml".utf8)) == nil)
    }

    @Test func httpDates() {
        #expect(S3Dates.parseHTTP("Sat, 28 Nov 2026 15:53:06 GMT") == Date(timeIntervalSince1970: 1_795_881_186))
        #expect(S3Dates.parseHTTP("yesterday") == nil)
    }
}
