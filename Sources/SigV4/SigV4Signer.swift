// Signs requests with AWS Signature Version 4: header auth (`Authorization`) and presigned URLs (query auth).
// S3's rules differ from every other service's; see `SigV4Rules`.
import Crypto
import Foundation
import Synchronization

/// Which canonicalisation rules a service uses.
public enum SigV4Rules: Sendable, Hashable {
    /// Amazon S3: the wire path is the canonical URI (keys encoded exactly once, never normalised), and
    /// `x-amz-content-sha256` is sent and signed.
    case s3
    /// Every other service: the path is normalised (`//`, `.`, `..`) and encoded a second time; no
    /// payload-hash header.
    case standard
}

/// Where the session token of temporary credentials goes (header auth).
public enum SigV4SessionTokenPlacement: Sendable, Hashable {
    /// `x-amz-security-token` is part of the signature (S3 and most services).
    case signed
    /// The header is added after signing (a few older services).
    case afterSigning
}

/// A signature error: only invalid arguments can make signing fail.
public struct SigV4Error: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { "SigV4: " + message }
}

/// The result of header auth.
public struct SigV4Signature: Sendable, Hashable {
    public let canonicalRequest: String
    public let stringToSign: String
    /// Lowercase hex HMAC-SHA256.
    public let signature: String
    /// `host;x-amz-content-sha256;x-amz-date`
    public let signedHeaders: String
    /// The `Authorization` header's value.
    public let authorization: String
    /// Every header to send: the request's own, `Host` (when the request had none), `X-Amz-Date`,
    /// `X-Amz-Security-Token`, `X-Amz-Content-SHA256` (S3) and `Authorization`.
    public let headers: [HTTPHeaderField]
}

/// The result of query auth.
public struct SigV4PresignedURL: Sendable, Hashable {
    public let url: String
    public let canonicalRequest: String
    public let stringToSign: String
    public let signature: String
}

/// Signs requests for one service in one region with one set of credentials. Thread-safe; the derived
/// signing key is cached per date, region and service.
public final class SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// The longest validity of a presigned URL (7 days).
    public static let maxPresignExpiry = 604_800
    /// Headers never signed: proxies and HTTP stacks add or rewrite them (botocore's list).
    public static let unsignedHeaderNames: Set<String> = [
        "authorization", "user-agent", "expect", "transfer-encoding", "x-amzn-trace-id",
    ]

    public let credentials: SigV4Credentials
    public let region: String
    public let service: String
    public let rules: SigV4Rules
    public let sessionTokenPlacement: SigV4SessionTokenPlacement

    private struct CachedKey {
        var scope: String
        var key: SymmetricKey
    }

    private let cachedKey = Mutex<CachedKey?>(nil)

    /// `rules` defaults to `.s3` for service `s3` and `.standard` otherwise.
    public init(
        credentials: SigV4Credentials, region: String, service: String, rules: SigV4Rules? = nil,
        sessionTokenPlacement: SigV4SessionTokenPlacement = .signed
    ) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.rules = rules ?? (service == "s3" ? .s3 : .standard)
        self.sessionTokenPlacement = sessionTokenPlacement
    }

    // MARK: Header auth

    /// Signs `request` at `date` (now by default) and returns the headers to send.
    public func sign(_ request: SigV4Request, date: Date = Date()) -> SigV4Signature {
        sign(request, timestamp: SigV4Timestamp(date))
    }

    public func sign(_ request: SigV4Request, timestamp: SigV4Timestamp) -> SigV4Signature {
        var headers = preparedHeaders(request, timestamp: timestamp)
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        let canonical = canonicalRequest(
            method: request.method, path: request.path, query: SigV4Encoding.canonicalQuery(request.query),
            canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders,
            payloadHash: request.payloadHash.value)
        let toSign = stringToSign(canonicalRequest: canonical, timestamp: timestamp)
        let signature = self.signature(stringToSign: toSign, timestamp: timestamp)
        let authorization =
            "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(timestamp)), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        if let token = credentials.sessionToken, sessionTokenPlacement == .afterSigning {
            headers.append(HTTPHeaderField("X-Amz-Security-Token", token))
        }
        headers.append(HTTPHeaderField("Authorization", authorization))
        return SigV4Signature(
            canonicalRequest: canonical, stringToSign: toSign, signature: signature, signedHeaders: signedHeaders,
            authorization: authorization, headers: headers)
    }

    /// The canonical request of header auth for `request` (for tests and debugging).
    public func canonicalRequest(for request: SigV4Request, timestamp: SigV4Timestamp) -> String {
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(preparedHeaders(request, timestamp: timestamp))
        return canonicalRequest(
            method: request.method, path: request.path, query: SigV4Encoding.canonicalQuery(request.query),
            canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders,
            payloadHash: request.payloadHash.value)
    }

    /// The request's headers without those the signer owns, plus `Host`, `X-Amz-Date`, the token and (S3)
    /// the payload hash.
    private func preparedHeaders(_ request: SigV4Request, timestamp: SigV4Timestamp) -> [HTTPHeaderField] {
        var headers: [HTTPHeaderField] = []
        headers.reserveCapacity(request.headers.count + 5)
        var hasHost = false
        for header in request.headers {
            switch header.name.lowercased() {
            case "authorization", "x-amz-date": continue
            case "x-amz-content-sha256" where rules == .s3: continue
            case "x-amz-security-token" where credentials.sessionToken != nil: continue
            case "host": hasHost = true
            default: break
            }
            headers.append(header)
        }
        if !hasHost { headers.insert(HTTPHeaderField("Host", request.hostHeader), at: 0) }
        headers.append(HTTPHeaderField("X-Amz-Date", timestamp.amzDate))
        if let token = credentials.sessionToken, sessionTokenPlacement == .signed {
            headers.append(HTTPHeaderField("X-Amz-Security-Token", token))
        }
        if rules == .s3 { headers.append(HTTPHeaderField("X-Amz-Content-SHA256", request.payloadHash.value)) }
        return headers
    }

    // MARK: Query auth

    /// A presigned URL for `request`, valid `expires` seconds (1...604,800) from `date`. S3 URLs sign
    /// `UNSIGNED-PAYLOAD`: whoever uses the URL sends the body.
    public func presign(_ request: SigV4Request, expires: Int, date: Date = Date()) throws(SigV4Error)
        -> SigV4PresignedURL
    {
        try presign(request, expires: expires, timestamp: SigV4Timestamp(date))
    }

    public func presign(_ request: SigV4Request, expires: Int, timestamp: SigV4Timestamp) throws(SigV4Error)
        -> SigV4PresignedURL
    {
        guard (1...Self.maxPresignExpiry).contains(expires) else {
            throw SigV4Error(message: "presigned URL expiry \(expires) s is outside 1...\(Self.maxPresignExpiry)")
        }
        var headers: [HTTPHeaderField] = []
        var hasHost = false
        for header in request.headers {
            switch header.name.lowercased() {
            case "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256": continue
            case "host": hasHost = true
            default: break
            }
            headers.append(header)
        }
        if !hasHost { headers.insert(HTTPHeaderField("Host", request.hostHeader), at: 0) }
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        var query = request.query
        query.append(SigV4QueryItem("X-Amz-Algorithm", Self.algorithm))
        query.append(SigV4QueryItem("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(timestamp))"))
        query.append(SigV4QueryItem("X-Amz-Date", timestamp.amzDate))
        query.append(SigV4QueryItem("X-Amz-Expires", String(expires)))
        query.append(SigV4QueryItem("X-Amz-SignedHeaders", signedHeaders))
        if let token = credentials.sessionToken { query.append(SigV4QueryItem("X-Amz-Security-Token", token)) }
        let payload = rules == .s3 ? SigV4PayloadHash.unsigned.value : request.payloadHash.value
        let canonical = canonicalRequest(
            method: request.method, path: request.path, query: SigV4Encoding.canonicalQuery(query),
            canonicalHeaders: canonicalHeaders, signedHeaders: signedHeaders, payloadHash: payload)
        let toSign = stringToSign(canonicalRequest: canonical, timestamp: timestamp)
        let signature = self.signature(stringToSign: toSign, timestamp: timestamp)
        query.append(SigV4QueryItem("X-Amz-Signature", signature))
        let url = "\(request.scheme)://\(request.authority)\(request.path)?\(SigV4Encoding.wireQuery(query))"
        return SigV4PresignedURL(url: url, canonicalRequest: canonical, stringToSign: toSign, signature: signature)
    }

    // MARK: The steps, exposed for tests

    /// `DATE/REGION/SERVICE/aws4_request`
    public func scope(_ timestamp: SigV4Timestamp) -> String {
        "\(timestamp.dateStamp)/\(region)/\(service)/aws4_request"
    }

    public func canonicalRequest(
        method: String, path: String, query: String, canonicalHeaders: String, signedHeaders: String,
        payloadHash: String
    ) -> String {
        let uri = rules == .s3 ? (path.isEmpty ? "/" : path) : SigV4Encoding.standardCanonicalURI(path)
        return "\(method)\n\(uri)\n\(query)\n\(canonicalHeaders)\n\(signedHeaders)\n\(payloadHash)"
    }

    public func stringToSign(canonicalRequest: String, timestamp: SigV4Timestamp) -> String {
        "\(Self.algorithm)\n\(timestamp.amzDate)\n\(scope(timestamp))\n\(SigV4Hashing.sha256Hex(canonicalRequest))"
    }

    /// The hex signature of `stringToSign` with the (cached) signing key of `timestamp`'s date.
    public func signature(stringToSign: String, timestamp: SigV4Timestamp) -> String {
        SigV4Hashing.hex(SigV4Hashing.hmac(signingKey(timestamp), stringToSign))
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`,
    /// derived once per date (the region and service are the signer's).
    func signingKey(_ timestamp: SigV4Timestamp) -> SymmetricKey {
        let scope = scope(timestamp)
        if let cached = cachedKey.withLock({ $0 }), cached.scope == scope { return cached.key }
        let secret = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        let dateKey = SymmetricKey(data: SigV4Hashing.hmac(secret, String(timestamp.dateStamp)))
        let regionKey = SymmetricKey(data: SigV4Hashing.hmac(dateKey, region))
        let serviceKey = SymmetricKey(data: SigV4Hashing.hmac(regionKey, service))
        let signingKey = SymmetricKey(data: SigV4Hashing.hmac(serviceKey, "aws4_request"))
        cachedKey.withLock { $0 = CachedKey(scope: scope, key: signingKey) }
        return signingKey
    }

    /// Canonical headers (`name:value\n` per name, lowercase, sorted; values trimmed, inner runs of
    /// whitespace collapsed, duplicates comma-joined in order) and the signed-header list.
    static func canonicalHeaders(_ headers: [HTTPHeaderField]) -> (canonical: String, signed: String) {
        var entries: [(name: String, value: String)] = []
        entries.reserveCapacity(headers.count)
        for header in headers {
            let name = header.name.lowercased()
            if unsignedHeaderNames.contains(name) { continue }
            entries.append((name, normalizedValue(header.value)))
        }
        // A stable sort keeps duplicate names in their original order.
        let order = entries.indices.sorted { lhs, rhs in
            let a = entries[lhs].name.utf8
            let b = entries[rhs].name.utf8
            if a.elementsEqual(b) { return lhs < rhs }
            return a.lexicographicallyPrecedes(b)
        }
        var canonical = ""
        var signed = ""
        var previous: String?
        for index in order {
            let entry = entries[index]
            if entry.name == previous {
                canonical.removeLast()  // the "\n"
                canonical += "," + entry.value + "\n"
                continue
            }
            if previous != nil { signed += ";" }
            signed += entry.name
            canonical += entry.name + ":" + entry.value + "\n"
            previous = entry.name
        }
        return (canonical, signed)
    }

    static func normalizedValue(_ value: String) -> String {
        let bytes = value.utf8
        if !bytes.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return value }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var pendingSpace = false
        for byte in bytes {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                pendingSpace = !output.isEmpty
                continue
            }
            if pendingSpace { output.append(UInt8(ascii: " ")) }
            pendingSpace = false
            output.append(byte)
        }
        return String(decoding: output, as: UTF8.self)
    }
}
