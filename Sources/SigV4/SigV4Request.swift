// The request a SigV4Signer signs: method, where it goes, its query, headers and payload hash.
import Foundation

/// One header field, in the order and spelling the caller gives it.
public struct HTTPHeaderField: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One query parameter, *decoded*: the signer encodes it. A `nil` value is a bare sub-resource (`?uploads`),
/// sent without `=` and signed as `uploads=`.
public struct SigV4QueryItem: Sendable, Hashable {
    public var name: String
    public var value: String?

    public init(_ name: String, _ value: String?) {
        self.name = name
        self.value = value
    }
}

/// The value that goes into the canonical request's last line (and, for S3, `x-amz-content-sha256`).
public struct SigV4PayloadHash: Sendable, Hashable {
    public let value: String

    public init(hexDigest: String) { value = hexDigest }

    /// The SHA-256 of an empty body.
    public static let emptyBody = SigV4PayloadHash(
        hexDigest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    /// The body is not covered by the signature (S3 allows it; presigned URLs always use it).
    public static let unsigned = SigV4PayloadHash(hexDigest: "UNSIGNED-PAYLOAD")
    /// An aws-chunked upload: the seed signature covers this marker, chunk signatures the data.
    public static let streaming = SigV4PayloadHash(hexDigest: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")

    /// The lowercase hex SHA-256 of `body`.
    public static func sha256(of body: some DataProtocol) -> SigV4PayloadHash {
        SigV4PayloadHash(hexDigest: SigV4Hashing.sha256Hex(body))
    }
}

/// A request to sign. `path` is the path as it goes on the wire (percent-encoded); for S3 build it with
/// `SigV4Encoding.s3Path(bucket:key:)` or `SigV4Encoding.encodeS3Key(_:)`, which encode a key exactly once.
public struct SigV4Request: Sendable, Hashable {
    public var method: String
    /// `http` or `https`: decides which port is the default one, left out of the `host` header.
    public var scheme: String
    public var host: String
    public var port: Int?
    public var path: String
    public var query: [SigV4QueryItem]
    public var headers: [HTTPHeaderField]
    public var payloadHash: SigV4PayloadHash

    public init(
        method: String, scheme: String = "https", host: String, port: Int? = nil, path: String,
        query: [SigV4QueryItem] = [], headers: [HTTPHeaderField] = [], payloadHash: SigV4PayloadHash = .emptyBody
    ) {
        self.method = method
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    /// The `host` header: the port is kept unless it is the scheme's default.
    public var hostHeader: String {
        guard let port else { return host }
        let defaultPort = scheme.lowercased() == "http" ? 80 : 443
        return port == defaultPort ? host : "\(host):\(port)"
    }

    /// The query string as sent: items in the given order, AWS-URI-encoded, bare items without `=`.
    public var encodedQuery: String {
        SigV4Encoding.wireQuery(query)
    }

    /// The authority of the URL: the port is kept as given, even the default one (only the `host`
    /// header leaves it out).
    public var authority: String { port.map { "\(host):\($0)" } ?? host }

    /// The full URL as sent.
    public var url: String {
        let query = encodedQuery
        return "\(scheme)://\(authority)\(path)" + (query.isEmpty ? "" : "?" + query)
    }
}
