// Where an S3Store sends requests and with which credentials: explicit values, or the standard AWS_*
// environment variables (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION / AWS_DEFAULT_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
import Foundation
import ObjectStore
import SigV4

/// Path-style (`http://host/bucket/key`) or virtual-hosted (`https://bucket.host/key`) URLs.
public enum S3Addressing: String, Sendable, Hashable {
    case path
    case virtualHosted = "virtual"
}

/// An endpoint: scheme, host and optional port (`http://127.0.0.1:9000`).
public struct S3Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: Int?

    public init(scheme: String, host: String, port: Int? = nil) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses `http[s]://host[:port][/]`. Throws `invalidArgument` for anything else.
    public init(parsing text: String) throws(ObjectStoreError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.path.isEmpty || components.path == "/", components.query == nil
        else {
            throw ObjectStoreError(
                .invalidArgument, message: "S3 endpoint '\(text)' must look like http[s]://host[:port]")
        }
        self.init(scheme: scheme, host: host, port: components.port)
    }

    /// AWS's endpoint for `region`.
    public static func aws(region: String) -> S3Endpoint {
        S3Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com")
    }

    public var description: String { "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") }

    /// Whether the endpoint is this machine (127.0.0.0/8, ::1, localhost).
    public var isLoopback: Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return name == "localhost" || name.hasSuffix(".localhost") || name.hasPrefix("127.") || name == "::1"
    }
}

public struct S3Configuration: Sendable {
    public var bucket: String
    public var region: String
    public var endpoint: S3Endpoint
    public var addressing: S3Addressing
    public var credentials: SigV4Credentials
    /// Whether PUT bodies are hashed into the signature (`false`: `UNSIGNED-PAYLOAD`, only sensible over TLS).
    public var signPayload: Bool = true
    public var timeouts = CurlTimeouts()
    /// Concurrent transfers (worker threads, each with its own kept-alive connection).
    public var maxConnections = 16
    /// `put` uses a multipart upload (parts in parallel) above this size.
    public var multipartThreshold = Self.defaultMultipartThreshold
    /// Part size of multipart uploads and of parallel ranged GETs (S3 needs at least 5 MiB per part).
    public var partSize = 8 * 1024 * 1024
    /// Parts in flight at once for one large upload or download.
    public var partConcurrency = 8
    /// A whole-object `get` is split into parallel ranged GETs when the object is larger than `partSize`.
    public var parallelGet = true

    public init(
        bucket: String, region: String, endpoint: S3Endpoint? = nil, addressing: S3Addressing? = nil,
        credentials: SigV4Credentials
    ) {
        self.bucket = bucket
        self.region = region
        self.endpoint = endpoint ?? .aws(region: region)
        // A custom endpoint (a local server) almost never resolves bucket subdomains; dotted bucket names
        // break TLS wildcard certificates.
        self.addressing = addressing ?? ((endpoint != nil || bucket.contains(".")) ? .path : .virtualHosted)
        self.credentials = credentials
        if self.endpoint.isLoopback {
            // Client and server share the machine's CPUs and there is no network latency to hide: parallel
            // parts only add work (hashing, copying, the server's part bookkeeping). Measured with
            // Benchmarks/run-s3.sh; see docs/decisions/0003-s3-transfers.md.
            useParallelTransfers(false)
        }
    }

    /// Large objects as parallel parts and ranges (the default for remote endpoints), or as single requests
    /// (the default on loopback).
    public mutating func useParallelTransfers(_ parallel: Bool) {
        multipartThreshold = parallel ? Self.defaultMultipartThreshold : Self.maxSinglePut
        parallelGet = parallel
    }

    /// S3's largest single PUT (5 GiB).
    public static let maxSinglePut = 5 * 1024 * 1024 * 1024
    /// Above this size `put` uses a multipart upload, unless the endpoint is loopback.
    public static let defaultMultipartThreshold = 16 * 1024 * 1024

    /// A configuration from explicit values where given and the standard environment variables otherwise.
    /// Throws `invalidArgument` naming what is missing (never a value of a secret).
    public static func resolve(
        bucket: String, endpoint: String? = nil, region: String? = nil, addressing: S3Addressing? = nil,
        credentials: SigV4Credentials? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ObjectStoreError) -> S3Configuration {
        func env(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        guard !bucket.isEmpty else { throw ObjectStoreError(.invalidArgument, message: "no S3 bucket given") }
        let endpointText = endpoint ?? env("AWS_ENDPOINT_URL_S3") ?? env("AWS_ENDPOINT_URL")
        let parsedEndpoint = try endpointText.map { text throws(ObjectStoreError) in try S3Endpoint(parsing: text) }
        let region = region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ?? "us-east-1"
        let resolvedCredentials: SigV4Credentials
        if let credentials {
            resolvedCredentials = credentials
        } else {
            guard let keyID = env("AWS_ACCESS_KEY_ID"), let secret = env("AWS_SECRET_ACCESS_KEY") else {
                throw ObjectStoreError(
                    .invalidArgument,
                    message: "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
            resolvedCredentials = SigV4Credentials(
                accessKeyID: keyID, secretAccessKey: secret, sessionToken: env("AWS_SESSION_TOKEN"))
        }
        return S3Configuration(
            bucket: bucket, region: region, endpoint: parsedEndpoint, addressing: addressing,
            credentials: resolvedCredentials)
    }
}
