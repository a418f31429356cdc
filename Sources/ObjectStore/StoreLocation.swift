// Parses the URLs that select a store: `file:///dir[/key]` and
// `s3://bucket[/prefix][?endpoint=http://127.0.0.1:9000&region=us-east-1&addressing=path]`.
import Foundation

public enum StoreLocation: Sendable, Hashable {
    /// A path in the local file system: a store's folder, or a folder and a key inside it; which of
    /// the two is for the caller to say (`cairn store` treats the last component as the key).
    case file(path: String)
    /// An S3 bucket, a key (or key prefix) inside it, and options from the URL's query.
    case s3(bucket: String, key: String, options: [String: String])

    /// Parses `url`. Throws `invalidArgument` naming what is wrong.
    public init(parsing url: String) throws(ObjectStoreError) {
        if url.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count))
            guard path.hasPrefix("/") else {
                throw ObjectStoreError(
                    .invalidArgument, message: "file URL '\(url)' must have an absolute path (file:///dir)")
            }
            let decoded = path.removingPercentEncoding ?? path
            self = .file(path: decoded)
        } else if url.hasPrefix("s3://") {
            let rest = url.dropFirst("s3://".count)
            let (location, query) = Self.splitQuery(String(rest))
            let parts = location.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let bucket = parts.first, !bucket.isEmpty else {
                throw ObjectStoreError(.invalidArgument, message: "S3 URL '\(url)' names no bucket (s3://bucket/key)")
            }
            let key = parts.count > 1 ? String(parts[1]) : ""
            self = .s3(bucket: String(bucket), key: key.removingPercentEncoding ?? key, options: query)
        } else {
            throw ObjectStoreError(
                .invalidArgument, message: "unsupported store URL '\(url)': use file:///dir or s3://bucket/prefix")
        }
    }

    private static func splitQuery(_ text: String) -> (String, [String: String]) {
        guard let mark = text.firstIndex(of: "?") else { return (text, [:]) }
        var options: [String: String] = [:]
        for pair in text[text.index(after: mark)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(kv[0]).removingPercentEncoding ?? String(kv[0])
            let value = kv.count > 1 ? (String(kv[1]).removingPercentEncoding ?? String(kv[1])) : ""
            options[name] = value
        }
        return (String(text[..<mark]), options)
    }
}
