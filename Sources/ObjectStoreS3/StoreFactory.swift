// Opens the store a URL names: `s3://bucket[/prefix][?endpoint=…&region=…&addressing=path|virtual]` or
// `file:///dir`. A key prefix in the URL scopes the store to it (PrefixedStore).
import Foundation
import ObjectStore

public enum StoreFactory {
    /// Settings that override the URL's query and the environment (command-line flags).
    public struct Overrides: Sendable {
        public var endpoint: String?
        public var region: String?
        public var addressing: S3Addressing?

        public init(endpoint: String? = nil, region: String? = nil, addressing: S3Addressing? = nil) {
            self.endpoint = endpoint
            self.region = region
            self.addressing = addressing
        }
    }

    /// The store `url` names, scoped to the URL's key prefix when it has one.
    public static func open(
        url: String, overrides: Overrides = Overrides(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> any ObjectStore {
        switch try StoreLocation(parsing: url) {
        case .file(let path):
            return try openFile(path: path)
        case .s3(let bucket, let key, let options):
            let store = try s3Store(bucket: bucket, options: options, overrides: overrides, environment: environment)
            return key.isEmpty ? store : PrefixedStore(base: store, prefix: key)
        }
    }

    /// The S3Store of an `s3://` URL (ignoring its key), for callers that need S3-only features.
    public static func s3Store(
        bucket: String, options: [String: String], overrides: Overrides = Overrides(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> S3Store {
        let known: Set<String> = ["endpoint", "region", "addressing", "transfers"]
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) }) {
            throw ObjectStoreError(
                .invalidArgument,
                message: "unknown S3 URL option '\(unknown)' (known: endpoint, region, addressing, transfers)")
        }
        var addressing = overrides.addressing
        if addressing == nil, let text = options["addressing"] {
            guard let parsed = S3Addressing(rawValue: text == "virtual-hosted" ? "virtual" : text) else {
                throw ObjectStoreError(
                    .invalidArgument, message: "addressing must be 'path' or 'virtual', not '\(text)'")
            }
            addressing = parsed
        }
        var configuration = try S3Configuration.resolve(
            bucket: bucket, endpoint: overrides.endpoint ?? options["endpoint"],
            region: overrides.region ?? options["region"], addressing: addressing, environment: environment)
        if let text = options["transfers"] {
            // The default follows the endpoint (single requests on loopback); a loopback address that is really
            // a tunnel or proxy to a distant server wants parallel ones.
            switch text {
            case "parallel": configuration.useParallelTransfers(true)
            case "single": configuration.useParallelTransfers(false)
            default:
                throw ObjectStoreError(
                    .invalidArgument, message: "transfers must be 'parallel' or 'single', not '\(text)'")
            }
        }
        return try S3Store(configuration: configuration)
    }

    static func openFile(path: String) throws -> any ObjectStore {
        try LocalFileStore(root: URL(fileURLWithPath: path, isDirectory: true))
    }
}
