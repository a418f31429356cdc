// S3Store against the local signature-checking server: large objects through put/get, access errors
// without retries, presigned URLs, conditional multipart completion, and what requests it sends.
import Foundation
import ObjectStore
import ObjectStoreS3
import StorageTesting
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite(.enabled(if: S3TestEnvironment.isAvailable, "needs the local S3 server (make test starts it)"))
struct S3StoreTests {
    @Test func largePutUsesMultipartAndGetReadsInParallel() async throws {
        // Loopback endpoints default to single requests; this checks the parallel paths used elsewhere.
        let store = try S3TestSupport.store {
            $0.multipartThreshold = 16 << 20
            $0.parallelGet = true
        }
        let scope = try S3TestSupport.scope("large")
        let data = S3TestSupport.randomData(40 << 20, seed: 40)
        let key = scope + "forty-mib"
        let before = store.requestCount
        let written = try await store.put(key, data: data)
        #expect(written.size == data.count)
        // create + 5 parts of 8 MiB + complete
        #expect(store.requestCount - before == 7)
        let middle = store.requestCount
        let read = try await store.get(key)
        #expect(read.data == data)
        #expect(read.range == 0..<data.count)
        #expect(read.info.size == data.count)
        #expect(store.requestCount - middle == 5, "one ranged GET per 8 MiB")
        let head = try await store.head(key)
        #expect(head.etag == read.info.etag)
        try await store.delete(key)
    }

    @Test func smallAndEmptyObjectsCostOneGet() async throws {
        let store = try S3TestSupport.store { $0.parallelGet = true }
        let scope = try S3TestSupport.scope("small")
        try await store.put(scope + "one", data: Data([42]))
        var before = store.requestCount
        #expect(try await store.get(scope + "one").data == Data([42]))
        #expect(store.requestCount - before == 1)
        try await store.put(scope + "empty", data: Data())
        before = store.requestCount
        let empty = try await store.get(scope + "empty")
        #expect(empty.data.isEmpty && empty.info.size == 0 && empty.range == 0..<0)
        #expect(store.requestCount - before <= 2)
        try await store.delete(scope + "one")
        try await store.delete(scope + "empty")
    }

    @Test func wrongSecretIsAccessDeniedAtOnce() async throws {
        let wrongSecret = "definitely-not-the-secret-\(UUID().uuidString)"
        let store = try S3TestSupport.store { $0.credentials.secretAccessKey = wrongSecret }
        let key = try S3TestSupport.scope("denied") + "object"
        let error = await #expect(throws: ObjectStoreError.self) { try await store.put(key, data: Data("x".utf8)) }
        #expect(error?.code == .accessDenied)
        #expect(error?.httpStatus == 403)
        #expect(error?.s3Code == "SignatureDoesNotMatch")
        #expect(error?.key == key)
        #expect(store.requestCount == 1, "one request, no retries")
        let text = "\(String(describing: error)) \(error?.message ?? "")"
        #expect(!text.contains(wrongSecret))
        #expect(!text.contains("Signature="))
        let readError = await #expect(throws: ObjectStoreError.self) { _ = try await store.get(key) }
        #expect(readError?.code == .accessDenied)
        #expect(store.requestCount == 2)
    }

    @Test func unknownAccessKeyIsAccessDenied() async throws {
        let store = try S3TestSupport.store { $0.credentials.accessKeyID = "AKIANOSUCHKEY0000000" }
        let error = await #expect(throws: ObjectStoreError.self) {
            _ = try await store.list(prefix: "x", delimiter: nil, continuation: nil, maxKeys: 1)
        }
        #expect(error?.code == .accessDenied)
    }

    @Test func presignedGetWorksWithURLSessionAndCurl() async throws {
        let store = try S3TestSupport.store()
        let key = try S3TestSupport.scope("presigned") + "a file+name ü.txt"
        let body = Data("presigned body".utf8)
        try await store.put(key, data: body)
        let url = try store.presignedURL(for: key, expires: 300)
        #expect(url.contains("X-Amz-Signature="))
        #expect(!url.contains(store.configuration.credentials.secretAccessKey))

        let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: url)))
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(data == body)

        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sS", "-f", url]
        let pipe = Pipe()
        curl.standardOutput = pipe
        try curl.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        #expect(curl.terminationStatus == 0)
        #expect(output == body)

        // A tampered signature is refused.
        let tampered = url.replacingOccurrences(of: "X-Amz-Expires=300", with: "X-Amz-Expires=301")
        let (_, refused) = try await URLSession.shared.data(from: try #require(URL(string: tampered)))
        #expect((refused as? HTTPURLResponse)?.statusCode == 403)
        try await store.delete(key)
    }

    @Test func conditionalPutsAndMultipartCompletion() async throws {
        let store = try S3TestSupport.store()
        let key = try S3TestSupport.scope("conditional") + "object"
        let first = try await store.put(key, data: Data("one".utf8), condition: .ifNoneMatch)
        let error = await #expect(throws: ObjectStoreError.self) {
            try await store.put(
                key, data: Data("two".utf8), condition: .ifMatch(etag: "\"0123456789abcdef0123456789abcdef\""))
        }
        #expect(error?.code == .preconditionFailed)
        #expect(error?.httpStatus == 412)
        #expect(try await store.get(key).info.etag == first.etag)

        // A multipart upload published with ifNoneMatch over an existing key fails and changes nothing.
        let upload = try await store.createMultipartUpload(key)
        let part = try await store.uploadPart(key, uploadID: upload, partNumber: 1, data: Data("three".utf8))
        let multipartError = await #expect(throws: ObjectStoreError.self) {
            try await store.completeMultipartUpload(key, uploadID: upload, parts: [part], condition: .ifNoneMatch)
        }
        #expect(multipartError?.code == .preconditionFailed)
        try? await store.abortMultipartUpload(key, uploadID: upload)
        #expect(try await store.get(key).data == Data("one".utf8))
        try await store.delete(key)
    }

    @Test func loopbackEndpointsUseSingleRequests() async throws {
        let store = try S3TestSupport.store()
        #expect(store.configuration.endpoint.isLoopback)
        let key = try S3TestSupport.scope("single") + "twenty-mib"
        let data = S3TestSupport.randomData(20 << 20, seed: 20)
        let before = store.requestCount
        try await store.put(key, data: data)
        #expect(try await store.get(key).data == data)
        #expect(store.requestCount - before == 2)
        try await store.delete(key)
    }

    @Test func missingObjectsAreNotFoundWithStatus() async throws {
        let store = try S3TestSupport.store()
        let key = try S3TestSupport.scope("missing") + "nothing here"
        let error = await #expect(throws: ObjectStoreError.self) { _ = try await store.get(key) }
        #expect(error?.code == .notFound)
        #expect(error?.httpStatus == 404)
        #expect(error?.key == key)
        try await store.delete(key)  // deleting a missing key succeeds
    }

    @Test func virtualHostedAddressingSignsTheBucketHost() async throws {
        // Virtual-hosted requests go to bucket.host; the local server is reached through a resolver-free
        // name only path-style, so this checks the URL S3Store builds instead of sending it.
        let store = try S3TestSupport.store { $0.addressing = .virtualHosted }
        let url = try store.presignedURL(for: "k/ü", expires: 60)
        #expect(
            url.hasPrefix(
                "\(store.configuration.endpoint.scheme)://\(store.configuration.bucket).\(store.configuration.endpoint.host)"
            ))
        #expect(url.contains("/k/%C3%BC?"))
    }
}
