// S3Store: the ObjectStore of an S3 bucket, over libcurl with our own SigV4 signer. Every request is
// signed here and performed on CurlWorkerPool's threads; responses are checked (status, length, range)
// before any byte is returned, and failures become typed ObjectStoreErrors.
import Foundation
import ObjectStore
import SigV4
import Synchronization

public final class S3Store: ObjectStore {
    public let configuration: S3Configuration
    let signer: SigV4Signer
    let pool: CurlWorkerPool
    private let sentRequests = Atomic<Int>(0)

    public init(configuration: S3Configuration) {
        self.configuration = configuration
        signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region, service: "s3")
        pool = CurlWorkerPool(maxThreads: configuration.maxConnections, timeouts: configuration.timeouts)
    }

    /// A store for `bucket`, everything else from explicit values or the standard AWS_* variables.
    public convenience init(
        bucket: String, endpoint: String? = nil, region: String? = nil, addressing: S3Addressing? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.init(
            configuration: try S3Configuration.resolve(
                bucket: bucket, endpoint: endpoint, region: region, addressing: addressing, environment: environment))
    }

    deinit { pool.shutdown() }

    /// HTTP requests sent so far (every attempt counts; S3Store itself never retries).
    public var requestCount: Int { sentRequests.load(ordering: .relaxed) }

    // MARK: Requests

    /// The signed request for `key` (nil: the bucket itself).
    func signedRequest(
        method: String, key: String?, query: [SigV4QueryItem] = [], headers: [HTTPHeaderField] = [], body: Data? = nil,
        expectedBodySize: Int? = nil
    ) -> CurlRequest {
        let request = sigV4Request(method: method, key: key, query: query, headers: headers, body: body)
        let signed = signer.sign(request)
        return CurlRequest(
            method: method, url: request.url, headers: signed.headers, body: body, expectedBodySize: expectedBodySize)
    }

    func sigV4Request(method: String, key: String?, query: [SigV4QueryItem], headers: [HTTPHeaderField], body: Data?)
        -> SigV4Request
    {
        let endpoint = configuration.endpoint
        let pathStyle = configuration.addressing == .path
        let payload: SigV4PayloadHash
        if let body, !body.isEmpty {
            payload = configuration.signPayload ? .sha256(of: body) : .unsigned
        } else {
            payload = .emptyBody
        }
        return SigV4Request(
            method: method, scheme: endpoint.scheme,
            host: pathStyle ? endpoint.host : "\(configuration.bucket).\(endpoint.host)", port: endpoint.port,
            path: SigV4Encoding.s3Path(bucket: pathStyle ? configuration.bucket : nil, key: key), query: query,
            headers: headers, payloadHash: payload)
    }

    /// Sends `request`; a transport failure becomes `transient` (or `truncated` for a broken body).
    func send(_ request: CurlRequest, key: String?, operation: String) async throws -> CurlResponse {
        sentRequests.add(1, ordering: .relaxed)
        do {
            return try await pool.perform(request)
        } catch let failure as CurlTransportError {
            throw S3ErrorMapping.error(for: failure, key: key, operation: operation)
        }
    }

    static func validate(_ key: String) throws(ObjectStoreError) {
        guard !key.isEmpty, key.utf8.count <= 1024 else {
            throw ObjectStoreError(.invalidArgument, key: key, message: "keys must be 1 to 1,024 bytes of UTF-8")
        }
    }

    private static func conditionHeaders(_ condition: PutCondition) -> [HTTPHeaderField] {
        switch condition {
        case .none: return []
        case .ifNoneMatch: return [HTTPHeaderField("If-None-Match", "*")]
        case .ifMatch(let etag): return [HTTPHeaderField("If-Match", etag)]
        }
    }

    // MARK: Reads

    public func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        try Self.validate(key)
        if let range { return try await getOnce(key, range: range) }
        guard configuration.parallelGet else { return try await getOnce(key, range: nil) }
        // The first part tells the size: small objects cost one request, large ones continue in parallel.
        let first: ObjectData
        do {
            first = try await getOnce(key, range: .slice(offset: 0, length: configuration.partSize))
        } catch let error as ObjectStoreError where error.code == .invalidRange {
            return try await getOnce(key, range: nil)  // an empty object has no byte 0
        }
        if first.range.count == first.info.size { return first }
        return try await getRemainingInParallel(
            key, first: first, partSize: configuration.partSize, concurrency: configuration.partConcurrency)
    }

    /// One GET, checked: the body must be exactly as long as Content-Length, and a 206 must carry the
    /// Content-Range that was asked for, of exactly the bytes that arrived.
    func getOnce(_ key: String, range: ByteRange?) async throws -> ObjectData {
        let headers = range.map { [HTTPHeaderField("Range", $0.httpHeaderValue)] } ?? []
        var expected: Int?
        if case .slice(_, let length) = range { expected = length }
        let response = try await send(
            signedRequest(method: "GET", key: key, headers: headers, expectedBodySize: expected), key: key,
            operation: "GET")
        guard response.status == 200 || response.status == 206 else {
            throw S3ErrorMapping.error(for: response, key: key, operation: "GET")
        }
        let body = response.body
        if let declared = response.header("content-length").flatMap({ Int($0) }), declared != body.count {
            throw ObjectStoreError(
                .truncated, key: key, message: "Content-Length is \(declared) but \(body.count) bytes arrived",
                httpStatus: response.status, requestID: response.header("x-amz-request-id"))
        }
        let etag = response.header("etag") ?? ""
        let modified = response.header("last-modified").flatMap(S3Dates.parseHTTP)
        if response.status == 200 {
            let info = ObjectInfo(key: key, size: body.count, etag: etag, lastModified: modified)
            guard let range else { return ObjectData(data: body, info: info, range: 0..<body.count) }
            // A server that ignores Range sends the whole object: cut the range out here.
            guard let resolved = range.resolve(size: body.count) else {
                throw ObjectStoreError(
                    .invalidRange, key: key, message: "range \(range) is outside an object of \(body.count) bytes")
            }
            return ObjectData(data: body.subdata(in: resolved), info: info, range: resolved)
        }
        guard let contentRange = response.header("content-range"), let parsed = Self.parseContentRange(contentRange)
        else {
            throw ObjectStoreError(
                .invalidResponse, key: key, message: "HTTP 206 without a valid Content-Range", httpStatus: 206,
                requestID: response.header("x-amz-request-id"))
        }
        guard parsed.range.count == body.count else {
            throw ObjectStoreError(
                .truncated, key: key,
                message: "Content-Range \(contentRange) names \(parsed.range.count) bytes but \(body.count) arrived",
                httpStatus: 206, requestID: response.header("x-amz-request-id"))
        }
        guard let range, let wanted = range.resolve(size: parsed.size), wanted == parsed.range else {
            throw ObjectStoreError(
                .invalidResponse, key: key,
                message:
                    "asked for \(range.map(\.description) ?? "the whole object") and got Content-Range \(contentRange)",
                httpStatus: 206, requestID: response.header("x-amz-request-id"))
        }
        let info = ObjectInfo(key: key, size: parsed.size, etag: etag, lastModified: modified)
        return ObjectData(data: body, info: info, range: parsed.range)
    }

    /// `bytes 0-9/100` → (0..<10, 100)
    static func parseContentRange(_ text: String) -> (range: Range<Int>, size: Int)? {
        guard text.hasPrefix("bytes ") else { return nil }
        let rest = text.dropFirst(6)
        let halves = rest.split(separator: "/", maxSplits: 1)
        guard halves.count == 2, let size = Int(halves[1]) else { return nil }
        let bounds = halves[0].split(separator: "-", maxSplits: 1)
        guard bounds.count == 2, let first = Int(bounds[0]), let last = Int(bounds[1]), first <= last, last < size
        else { return nil }
        return (first..<(last + 1), size)
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        try Self.validate(key)
        let response = try await send(signedRequest(method: "HEAD", key: key), key: key, operation: "HEAD")
        guard response.status == 200 else { throw S3ErrorMapping.error(for: response, key: key, operation: "HEAD") }
        guard let size = response.header("content-length").flatMap({ Int($0) }) else {
            throw ObjectStoreError(
                .invalidResponse, key: key, message: "HEAD answered without Content-Length", httpStatus: 200,
                requestID: response.header("x-amz-request-id"))
        }
        return ObjectInfo(
            key: key, size: size, etag: response.header("etag") ?? "",
            lastModified: response.header("last-modified").flatMap(S3Dates.parseHTTP))
    }

    // MARK: Writes

    @discardableResult
    public func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        try Self.validate(key)
        if data.count > configuration.multipartThreshold {
            return try await putMultipart(
                key, data: data, condition: condition,
                options: TransferOptions(partSize: configuration.partSize, concurrency: configuration.partConcurrency))
        }
        let response = try await send(
            signedRequest(method: "PUT", key: key, headers: Self.conditionHeaders(condition), body: data), key: key,
            operation: "PUT")
        guard response.status == 200 else { throw S3ErrorMapping.error(for: response, key: key, operation: "PUT") }
        guard let etag = response.header("etag") else {
            throw ObjectStoreError(
                .invalidResponse, key: key, message: "PUT answered without an ETag", httpStatus: 200,
                requestID: response.header("x-amz-request-id"))
        }
        return ObjectInfo(key: key, size: data.count, etag: etag, lastModified: Date())
    }

    public func delete(_ key: String) async throws {
        try Self.validate(key)
        let response = try await send(signedRequest(method: "DELETE", key: key), key: key, operation: "DELETE")
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw S3ErrorMapping.error(for: response, key: key, operation: "DELETE")
        }
    }

    // MARK: Listing

    public func list(prefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws
        -> ObjectListPage
    {
        var query = [SigV4QueryItem("list-type", "2"), SigV4QueryItem("max-keys", String(max(1, min(maxKeys, 1000))))]
        if !prefix.isEmpty { query.append(SigV4QueryItem("prefix", prefix)) }
        if let delimiter, !delimiter.isEmpty { query.append(SigV4QueryItem("delimiter", delimiter)) }
        if let continuation { query.append(SigV4QueryItem("continuation-token", continuation)) }
        let response = try await send(
            signedRequest(method: "GET", key: nil, query: query), key: prefix, operation: "ListObjectsV2")
        guard response.status == 200 else {
            throw S3ErrorMapping.error(for: response, key: prefix, operation: "ListObjectsV2")
        }
        guard let result = S3ListResult(response.body) else {
            throw ObjectStoreError(
                .invalidResponse, key: prefix, message: "ListObjectsV2 answered with unreadable XML", httpStatus: 200,
                requestID: response.header("x-amz-request-id"))
        }
        if result.isTruncated && result.nextContinuationToken == nil {
            throw ObjectStoreError(
                .invalidResponse, key: prefix, message: "a truncated listing without a continuation token",
                httpStatus: 200, requestID: response.header("x-amz-request-id"))
        }
        return ObjectListPage(
            objects: result.objects, commonPrefixes: result.commonPrefixes,
            continuation: result.isTruncated ? result.nextContinuationToken : nil)
    }

    // MARK: Multipart uploads

    public func createMultipartUpload(_ key: String) async throws -> String {
        try Self.validate(key)
        let response = try await send(
            signedRequest(method: "POST", key: key, query: [SigV4QueryItem("uploads", nil)], body: Data()), key: key,
            operation: "CreateMultipartUpload")
        guard response.status == 200 else {
            throw S3ErrorMapping.error(for: response, key: key, operation: "CreateMultipartUpload")
        }
        guard let root = S3XMLNode.parse(response.body), let uploadID = root.text("UploadId"), !uploadID.isEmpty else {
            throw ObjectStoreError(
                .invalidResponse, key: key, message: "CreateMultipartUpload answered without an UploadId",
                httpStatus: 200, requestID: response.header("x-amz-request-id"))
        }
        return uploadID
    }

    public func uploadPart(_ key: String, uploadID: String, partNumber: Int, data: Data) async throws -> UploadedPart {
        try Self.validate(key)
        guard (1...10_000).contains(partNumber) else {
            throw ObjectStoreError(
                .invalidArgument, key: key, message: "part number \(partNumber) is outside 1...10000")
        }
        let query = [SigV4QueryItem("partNumber", String(partNumber)), SigV4QueryItem("uploadId", uploadID)]
        let response = try await send(
            signedRequest(method: "PUT", key: key, query: query, body: data), key: key, operation: "UploadPart")
        guard response.status == 200 else {
            throw S3ErrorMapping.error(for: response, key: key, operation: "UploadPart")
        }
        guard let etag = response.header("etag") else {
            throw ObjectStoreError(
                .invalidResponse, key: key, message: "UploadPart answered without an ETag", httpStatus: 200,
                requestID: response.header("x-amz-request-id"))
        }
        return UploadedPart(partNumber: partNumber, etag: etag, size: data.count)
    }

    @discardableResult
    public func completeMultipartUpload(
        _ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition
    ) async throws -> ObjectInfo {
        try Self.validate(key)
        guard !parts.isEmpty else {
            throw ObjectStoreError(.invalidArgument, key: key, message: "a multipart upload needs at least one part")
        }
        for (previous, next) in zip(parts, parts.dropFirst()) where previous.partNumber >= next.partNumber {
            throw ObjectStoreError(.invalidArgument, key: key, message: "parts must be in ascending part-number order")
        }
        let response = try await send(
            signedRequest(
                method: "POST", key: key, query: [SigV4QueryItem("uploadId", uploadID)],
                headers: Self.conditionHeaders(condition), body: S3XMLWriter.completeMultipartUpload(parts)),
            key: key, operation: "CompleteMultipartUpload")
        // S3 can answer 200 and still fail: the error is then in the body.
        guard response.status == 200, let root = S3XMLNode.parse(response.body), root.name != "Error" else {
            throw S3ErrorMapping.error(for: response, key: key, operation: "CompleteMultipartUpload")
        }
        let etag = root.text("ETag") ?? response.header("etag") ?? ""
        return ObjectInfo(key: key, size: parts.reduce(0) { $0 + $1.size }, etag: etag, lastModified: Date())
    }

    public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        try Self.validate(key)
        let response = try await send(
            signedRequest(method: "DELETE", key: key, query: [SigV4QueryItem("uploadId", uploadID)]), key: key,
            operation: "AbortMultipartUpload")
        guard response.status == 204 || response.status == 200 || response.status == 404 else {
            throw S3ErrorMapping.error(for: response, key: key, operation: "AbortMultipartUpload")
        }
    }

    // MARK: Presigned URLs

    /// A URL that lets anyone holding it `method` (GET or PUT) the object for `expires` seconds.
    public func presignedURL(for key: String, method: String = "GET", expires: Int = 3600, date: Date = Date())
        throws -> String
    {
        try Self.validate(key)
        let request = sigV4Request(method: method, key: key, query: [], headers: [], body: nil)
        do {
            return try signer.presign(request, expires: expires, date: date).url
        } catch {
            throw ObjectStoreError(.invalidArgument, key: key, message: error.message)
        }
    }
}
