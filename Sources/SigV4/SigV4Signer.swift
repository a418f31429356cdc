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
    let canonicalRequestBytes: [UInt8]
    let stringToSignBytes: [UInt8]
    /// Lowercase hex HMAC-SHA256.
    public let signature: String
    /// `host;x-amz-content-sha256;x-amz-date`
    public let signedHeaders: String
    /// The `Authorization` header's value.
    public let authorization: String
    /// Every header to send: the request's own, `host` (when the request had none), `x-amz-date`,
    /// `x-amz-security-token`, `x-amz-content-sha256` (S3) and `authorization`.
    public let headers: [HTTPHeaderField]

    /// Built on demand: signing itself only needs the bytes.
    public var canonicalRequest: String { String(decoding: canonicalRequestBytes, as: UTF8.self) }
    public var stringToSign: String { String(decoding: stringToSignBytes, as: UTF8.self) }
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
    ]  // kept in step with isUnsigned(_:)

    public let credentials: SigV4Credentials
    public let region: String
    public let service: String
    public let rules: SigV4Rules
    public let sessionTokenPlacement: SigV4SessionTokenPlacement

    /// The signing key of one date, as a keyed HMAC ready to take a string to sign, and its scope.
    private struct CachedKey {
        var dateStamp: Substring
        var scope: String
        var mac: SigV4KeyedMAC
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
        let key = cachedKey(timestamp)
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaderBytes(headers)
        var canonical = SigV4Bytes(capacity: 256 + canonicalHeaders.bytes.count + request.path.utf8.count)
        appendCanonicalRequest(
            to: &canonical, method: request.method, path: request.path,
            query: SigV4Encoding.canonicalQuery(request.query), canonicalHeaders: canonicalHeaders,
            signedHeaders: signedHeaders, payloadHash: request.payloadHash.value)
        let toSign = Self.stringToSign(canonical, amzDate: timestamp.amzDate, scope: key.scope)
        var signature = SigV4Bytes(capacity: 64)
        signature.appendHex(key.mac.authenticate(toSign.bytes))
        var authorization = SigV4Bytes(capacity: 160 + signedHeaders.bytes.count)
        authorization.append(Self.algorithm)
        authorization.append(" Credential=")
        authorization.append(credentials.accessKeyID)
        authorization.append(byte: UInt8(ascii: "/"))
        authorization.append(key.scope)
        authorization.append(", SignedHeaders=")
        authorization.append(signedHeaders)
        authorization.append(", Signature=")
        authorization.append(signature)
        let authorizationText = authorization.string
        if let token = credentials.sessionToken, sessionTokenPlacement == .afterSigning {
            headers.append(HTTPHeaderField("x-amz-security-token", token))
        }
        headers.append(HTTPHeaderField("authorization", authorizationText))
        return SigV4Signature(
            canonicalRequestBytes: canonical.bytes, stringToSignBytes: toSign.bytes, signature: signature.string,
            signedHeaders: signedHeaders.string, authorization: authorizationText, headers: headers)
    }

    private func appendCanonicalRequest(
        to output: inout SigV4Bytes, method: String, path: String, query: String, canonicalHeaders: SigV4Bytes,
        signedHeaders: SigV4Bytes, payloadHash: String
    ) {
        let newline = UInt8(ascii: "\n")
        output.append(method)
        output.append(byte: newline)
        if rules == .s3 {
            output.append(path.isEmpty ? "/" : path)
        } else {
            output.append(SigV4Encoding.standardCanonicalURI(path))
        }
        output.append(byte: newline)
        output.append(query)
        output.append(byte: newline)
        output.append(canonicalHeaders)
        output.append(byte: newline)
        output.append(signedHeaders)
        output.append(byte: newline)
        output.append(payloadHash)
    }

    private static func stringToSign(_ canonical: SigV4Bytes, amzDate: String, scope: String) -> SigV4Bytes {
        var output = SigV4Bytes(capacity: 160)
        output.append(algorithm)
        output.append(byte: UInt8(ascii: "\n"))
        output.append(amzDate)
        output.append(byte: UInt8(ascii: "\n"))
        output.append(scope)
        output.append(byte: UInt8(ascii: "\n"))
        output.appendHex(canonical.sha256())
        return output
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
            switch Self.asciiLowercased(header.name) {
            case "authorization", "x-amz-date": continue
            case "x-amz-content-sha256" where rules == .s3: continue
            case "x-amz-security-token" where credentials.sessionToken != nil: continue
            case "host": hasHost = true
            default: break
            }
            headers.append(header)
        }
        if !hasHost { headers.insert(HTTPHeaderField("host", request.hostHeader), at: 0) }
        headers.append(HTTPHeaderField("x-amz-date", timestamp.amzDate))
        if let token = credentials.sessionToken, sessionTokenPlacement == .signed {
            headers.append(HTTPHeaderField("x-amz-security-token", token))
        }
        if rules == .s3 { headers.append(HTTPHeaderField("x-amz-content-sha256", request.payloadHash.value)) }
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
            switch Self.asciiLowercased(header.name) {
            case "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256": continue
            case "host": hasHost = true
            default: break
            }
            headers.append(header)
        }
        if !hasHost { headers.insert(HTTPHeaderField("host", request.hostHeader), at: 0) }
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(headers)
        var query = request.query
        query.append(SigV4QueryItem("X-Amz-Algorithm", Self.algorithm))
        query.append(SigV4QueryItem("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(timestamp))"))
        query.append(SigV4QueryItem("X-Amz-Date", timestamp.amzDate))
        query.append(SigV4QueryItem("X-Amz-Expires", String(expires)))
        query.append(SigV4QueryItem("X-Amz-SignedHeaders", signedHeaders))
        if let token = credentials.sessionToken { query.append(SigV4QueryItem("X-Amz-Security-Token", token)) }
        let payload = rules == .s3 ? SigV4PayloadHash.unsigned.value : request.payloadHash.value
        let key = cachedKey(timestamp)
        var canonicalBytes = SigV4Bytes(capacity: 512)
        var headerBytes = SigV4Bytes(capacity: canonicalHeaders.utf8.count)
        headerBytes.append(canonicalHeaders)
        var signedBytes = SigV4Bytes(capacity: signedHeaders.utf8.count)
        signedBytes.append(signedHeaders)
        appendCanonicalRequest(
            to: &canonicalBytes, method: request.method, path: request.path,
            query: SigV4Encoding.canonicalQuery(query), canonicalHeaders: headerBytes, signedHeaders: signedBytes,
            payloadHash: payload)
        let toSignBytes = Self.stringToSign(canonicalBytes, amzDate: timestamp.amzDate, scope: key.scope)
        var signatureBytes = SigV4Bytes(capacity: 64)
        signatureBytes.appendHex(key.mac.authenticate(toSignBytes.bytes))
        let canonical = canonicalBytes.string
        let toSign = toSignBytes.string
        let signature = signatureBytes.string
        query.append(SigV4QueryItem("X-Amz-Signature", signature))
        let url = "\(request.scheme)://\(request.authority)\(request.path)?\(SigV4Encoding.wireQuery(query))"
        return SigV4PresignedURL(url: url, canonicalRequest: canonical, stringToSign: toSign, signature: signature)
    }

    // MARK: The steps, exposed for tests

    /// `DATE/REGION/SERVICE/aws4_request`
    public func scope(_ timestamp: SigV4Timestamp) -> String {
        cachedKey(timestamp).scope
    }

    public func canonicalRequest(
        method: String, path: String, query: String, canonicalHeaders: String, signedHeaders: String,
        payloadHash: String
    ) -> String {
        let uri = rules == .s3 ? (path.isEmpty ? "/" : path) : SigV4Encoding.standardCanonicalURI(path)
        var text = ""
        text.reserveCapacity(
            method.utf8.count + uri.utf8.count + query.utf8.count + canonicalHeaders.utf8.count
                + signedHeaders.utf8.count + payloadHash.utf8.count + 8)
        text += method
        text += "\n"
        text += uri
        text += "\n"
        text += query
        text += "\n"
        text += canonicalHeaders
        text += "\n"
        text += signedHeaders
        text += "\n"
        text += payloadHash
        return text
    }

    public func stringToSign(canonicalRequest: String, timestamp: SigV4Timestamp) -> String {
        let scope = cachedKey(timestamp).scope
        var text = ""
        text.reserveCapacity(Self.algorithm.utf8.count + scope.utf8.count + 16 + 64 + 3)
        text += Self.algorithm
        text += "\n"
        text += timestamp.amzDate
        text += "\n"
        text += scope
        text += "\n"
        text += SigV4Hashing.sha256Hex(canonicalRequest)
        return text
    }

    /// The hex signature of `stringToSign` with the (cached) signing key of `timestamp`'s date.
    public func signature(stringToSign: String, timestamp: SigV4Timestamp) -> String {
        var hex = SigV4Bytes(capacity: 64)
        hex.appendHex(cachedKey(timestamp).mac.authenticate(Array(stringToSign.utf8)))
        return hex.string
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`,
    /// derived once per date (the region and service are the signer's).
    private func cachedKey(_ timestamp: SigV4Timestamp) -> CachedKey {
        let dateStamp = timestamp.dateStamp
        if let cached = cachedKey.withLock({ $0 }), cached.dateStamp == dateStamp { return cached }
        let secret = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        let dateKey = SymmetricKey(data: SigV4Hashing.hmac(secret, String(dateStamp)))
        let regionKey = SymmetricKey(data: SigV4Hashing.hmac(dateKey, region))
        let serviceKey = SymmetricKey(data: SigV4Hashing.hmac(regionKey, service))
        let signingKey = SymmetricKey(data: SigV4Hashing.hmac(serviceKey, "aws4_request"))
        let entry = CachedKey(
            dateStamp: dateStamp, scope: "\(dateStamp)/\(region)/\(service)/aws4_request",
            mac: SigV4KeyedMAC(key: signingKey))
        cachedKey.withLock { $0 = entry }
        return entry
    }

    /// `name` in ASCII lower case; the same string, without copying, when it already is.
    static func asciiLowercased(_ name: String) -> String {
        guard name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return name }
        return String(
            decoding: name.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 },
            as: UTF8.self)
    }

    static func isUnsigned(_ lowercasedName: String) -> Bool {
        switch lowercasedName {
        case "authorization", "user-agent", "expect", "transfer-encoding", "x-amzn-trace-id": return true
        default: return false
        }
    }

    /// Canonical headers (`name:value\n` per name, lowercase, sorted; values trimmed, inner runs of
    /// whitespace collapsed, duplicates comma-joined in order) and the signed-header list.
    static func canonicalHeaders(_ headers: [HTTPHeaderField]) -> (canonical: String, signed: String) {
        let (canonical, signed) = canonicalHeaderBytes(headers)
        return (canonical.string, signed.string)
    }

    static func canonicalHeaderBytes(_ headers: [HTTPHeaderField]) -> (canonical: SigV4Bytes, signed: SigV4Bytes) {
        var entries: [(name: String, index: Int, value: String)] = []
        entries.reserveCapacity(headers.count)
        var length = 0
        for (index, header) in headers.enumerated() {
            let name = asciiLowercased(header.name)
            if isUnsigned(name) { continue }
            let value = normalizedValue(header.value)
            length += name.utf8.count + value.utf8.count + 2
            entries.append((name, index, value))
        }
        // Sorted by name; duplicate names keep their original order.
        entries.sort { $0.name != $1.name ? $0.name < $1.name : $0.index < $1.index }
        var canonical = SigV4Bytes(capacity: length)
        var signed = SigV4Bytes(capacity: length)
        var previous: String?
        for entry in entries {
            if entry.name == previous {
                canonical.bytes.removeLast()  // the "\n"
                canonical.append(byte: UInt8(ascii: ","))
                canonical.append(entry.value)
                canonical.append(byte: UInt8(ascii: "\n"))
                continue
            }
            if previous != nil { signed.append(byte: UInt8(ascii: ";")) }
            signed.append(entry.name)
            canonical.append(entry.name)
            canonical.append(byte: UInt8(ascii: ":"))
            canonical.append(entry.value)
            canonical.append(byte: UInt8(ascii: "\n"))
            previous = entry.name
        }
        return (canonical, signed)
    }

    static func normalizedValue(_ value: String) -> String {
        let bytes = value.utf8
        let clean =
            bytes.withContiguousStorageIfAvailable { buffer -> Bool in
                for byte in buffer where byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { return false }
                return true
            } ?? false
        if clean { return value }
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
