// The one owner of Cairn's key layout in the object store (../shared/DESIGN.md, "Object layout").
// No other code builds or parses these keys by hand.
import Foundation

/// The root of a Cairn store inside a bucket or folder: `{prefix}/tenant/...`.
public struct ObjectPath: Sendable, Hashable {
    /// Key prefix without leading or trailing `/` (empty for the bucket's root).
    public let prefix: String

    public init(prefix: String = "") {
        self.prefix = prefix.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    private func join(_ components: [String]) -> String {
        (prefix.isEmpty ? components : [prefix] + components).joined(separator: "/")
    }

    /// Everything of one tenant: `{prefix}/tenant/{tenant}/`.
    public func tenant(_ tenant: String) -> String {
        join(["tenant", tenant]) + "/"
    }

    /// Everything of one database: `{prefix}/tenant/{tenant}/database/{db}/`.
    public func database(tenant: String, database: String) -> String {
        join(["tenant", tenant, "database", database]) + "/"
    }

    /// Keys of one collection.
    public func collection(tenant: String, database: String, collectionID: String) -> CollectionPath {
        CollectionPath(base: join(["tenant", tenant, "database", database, "collection", collectionID]))
    }
}

/// The keys of one collection: `{prefix}/tenant/{t}/database/{d}/collection/{id}/...`.
public struct CollectionPath: Sendable, Hashable {
    /// The collection's directory, without trailing `/`.
    public let base: String

    /// Width of the zero-padded numbers in log and version keys, so that byte order is numeric order.
    public static let numberWidth = 20

    /// Prefix of every object of the collection (with trailing `/`).
    public var root: String { base + "/" }

    /// Prefix of the write-ahead log fragments.
    public var logPrefix: String { base + "/log/" }
    /// The log fragment at `offset`.
    public func log(offset: UInt64) -> String { logPrefix + Self.padded(offset) }

    /// Prefix of the version manifests.
    public var versionPrefix: String { base + "/version/" }
    /// The immutable manifest of collection version `version`.
    public func version(_ version: UInt64) -> String { versionPrefix + Self.padded(version) + ".json" }

    /// Prefix of one segment's objects.
    public func segmentPrefix(_ segmentID: String) -> String { base + "/segment/\(segmentID)/" }
    /// A blockfile block.
    public func block(segmentID: String, blockID: String) -> String { segmentPrefix(segmentID) + "block/" + blockID }
    /// A blockfile sparse-index root.
    public func root(segmentID: String, rootID: String) -> String { segmentPrefix(segmentID) + "root/" + rootID }
    /// Prefix of one HNSW index's files.
    public func hnswPrefix(segmentID: String, indexID: String) -> String {
        segmentPrefix(segmentID) + "hnsw/" + indexID + "/"
    }
    /// One file of an HNSW index.
    public func hnswFile(segmentID: String, indexID: String, file: String) -> String {
        hnswPrefix(segmentID: segmentID, indexID: indexID) + file
    }

    /// The offset of a log fragment key, or `nil` if `key` is not one.
    public func logOffset(ofKey key: String) -> UInt64? {
        Self.number(in: key, after: logPrefix, suffix: "")
    }

    /// The version number of a manifest key, or `nil` if `key` is not one.
    public func versionNumber(ofKey key: String) -> UInt64? {
        Self.number(in: key, after: versionPrefix, suffix: ".json")
    }

    static func padded(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, numberWidth - digits.count)) + digits
    }

    static func number(in key: String, after prefix: String, suffix: String) -> UInt64? {
        guard key.hasPrefix(prefix), key.hasSuffix(suffix) else { return nil }
        let body = key.dropFirst(prefix.count).dropLast(suffix.count)
        guard body.count == numberWidth, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(body)
    }
}
