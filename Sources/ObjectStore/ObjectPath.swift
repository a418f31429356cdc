// The one owner of Cairn's key layout in the object store (docs/architecture.md, "Object layout").
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

    /// Prefix under which every tenant's folder lies: `{prefix}/tenant/` (listed with delimiter `/` to find tenants).
    public var tenantsPrefix: String { join(["tenant"]) + "/" }

    /// Prefix of a tenant's database folders: `{prefix}/tenant/{tenant}/database/`.
    public func databasesPrefix(tenant: String) -> String { join(["tenant", tenant, "database"]) + "/" }

    /// Prefix of a database's collection folders: `{prefix}/tenant/{tenant}/database/{db}/collection/`.
    public func collectionsPrefix(tenant: String, database: String) -> String {
        join(["tenant", tenant, "database", database, "collection"]) + "/"
    }

    /// The marker that records a tenant in the bucket (so a rebuilt catalog has it): `.../tenant/{t}/tenant.json`.
    public func tenantMarker(tenant: String) -> String { join(["tenant", tenant, "tenant.json"]) }

    /// The marker that records a database in the bucket: `.../tenant/{t}/database/{db}/database.json`. Deleting
    /// it is what deletes the database as far as a rebuild is concerned.
    public func databaseMarker(tenant: String, database: String) -> String {
        join(["tenant", tenant, "database", database, "database.json"])
    }

    /// The claim on a collection name in a database, held by the collection that has it, so that two nodes can
    /// never both create (or rename to) one name: `.../database/{db}/names/{name}.json`. Names longer than 200
    /// bytes are shortened to 150 bytes, `~` and a 64-bit FNV-1a hash of the whole name (the claim holds the name).
    public func collectionNameClaim(tenant: String, database: String, name: String) -> String {
        var component = name
        if name.utf8.count > 200 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            component = String(name.prefix(150)) + "~" + String(hash, radix: 16)
        }
        return join(["tenant", tenant, "database", database, "names", component + ".json"])
    }

    /// Whether `key` is one of the objects written once and never changed while they exist — version manifests,
    /// blocks, roots and HNSW files — and so may be cached anywhere for as long as one likes.
    public static func isWrittenOnce(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard let collection = parts.lastIndex(of: "collection"), collection + 1 < parts.count else { return false }
        let path = CollectionPath(base: parts[...(collection + 1)].joined(separator: "/"))
        guard let kind = path.kind(ofKey: key) else { return false }
        return kind != .log
    }

    /// Keys of one collection.
    public func collection(tenant: String, database: String, collectionID: String) -> CollectionPath {
        CollectionPath(base: join(["tenant", tenant, "database", database, "collection", collectionID]))
    }
}

/// An object of another collection's segment, as a fork names it in its manifests and roots:
/// `{collection id}/{segment id}/{object id}`, within the same database (decision 0021). A bare id (no `/`) names an
/// object of the segment that names it. Ids are UUID-like: anything else with a `/` is not a reference and resolves as
/// the bare id it is (and is then not found).
public enum QualifiedID {
    public static func parse(_ id: String) -> (collectionID: String, segmentID: String, objectID: String)? {
        guard id.contains("/") else { return nil }
        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy(isIDComponent) else { return nil }
        return (String(parts[0]), String(parts[1]), String(parts[2]))
    }

    public static func make(collectionID: String, segmentID: String, objectID: String) -> String {
        collectionID + "/" + segmentID + "/" + objectID
    }

    private static func isIDComponent(_ part: Substring) -> Bool {
        !part.isEmpty && part.count <= 64 && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
}

/// What an object under a collection's folder is, by the layout above.
public enum CollectionObjectKind: String, Sendable, Hashable, CaseIterable {
    case manifest
    case root
    case block
    case hnsw
    case log
    /// `forks/{child id}.json`: a collection forked from this one (or from a fork of it) may name its files.
    case forkMarker = "fork_marker"
}

/// The keys of one collection: `{prefix}/tenant/{t}/database/{d}/collection/{id}/...`.
public struct CollectionPath: Sendable, Hashable {
    /// The collection's directory, without trailing `/`.
    public let base: String

    /// Width of the zero-padded numbers in log and version keys, so that byte order is numeric order.
    public static let numberWidth = 20

    /// Prefix of every object of the collection (with trailing `/`).
    public var root: String { base + "/" }

    /// The collection's id (its folder's name).
    public var collectionID: String { String(base.split(separator: "/").last ?? "") }

    /// Another collection of the same database.
    public func sibling(_ collectionID: String) -> CollectionPath {
        var parts = base.split(separator: "/", omittingEmptySubsequences: false)
        parts[parts.count - 1] = Substring(collectionID)
        return CollectionPath(base: parts.joined(separator: "/"))
    }

    /// Where an object that segment `segmentID` names as `id` lives: this collection's segment for a bare id, the
    /// named collection's and segment's for a qualified one (`QualifiedID`).
    public func resolve(segmentID: String, id: String) -> (collection: CollectionPath, segmentID: String, id: String) {
        guard let qualified = QualifiedID.parse(id) else { return (self, segmentID, id) }
        return (sibling(qualified.collectionID), qualified.segmentID, qualified.objectID)
    }

    /// Prefix of the write-ahead log fragments.
    public var logPrefix: String { base + "/log/" }
    /// The log fragment at `offset`.
    public func log(offset: UInt64) -> String { logPrefix + Self.padded(offset) }

    /// Prefix of the markers of the collections forked from this one, directly or from its forks (decision 0021).
    public var forksPrefix: String { base + "/forks/" }
    /// The marker of descendant `childID`: garbage collection of this collection keeps what the child names.
    public func forkMarker(_ childID: String) -> String { forksPrefix + childID + ".json" }
    /// The descendant a fork marker key names, or `nil` if `key` is not one.
    public func forkChild(ofKey key: String) -> String? {
        guard key.hasPrefix(forksPrefix), key.hasSuffix(".json") else { return nil }
        let id = key.dropFirst(forksPrefix.count).dropLast(5)
        return id.isEmpty || id.contains("/") ? nil : String(id)
    }

    /// Prefix of the version manifests.
    public var versionPrefix: String { base + "/version/" }
    /// The immutable manifest of collection version `version`.
    public func version(_ version: UInt64) -> String { versionPrefix + Self.padded(version) + ".json" }

    /// Keys of one segment.
    public func segment(_ segmentID: String) -> SegmentPath { SegmentPath(base: base + "/segment/" + segmentID) }
    /// Prefix of one segment's objects.
    public func segmentPrefix(_ segmentID: String) -> String { segment(segmentID).root }
    /// A blockfile block.
    public func block(segmentID: String, blockID: String) -> String { segment(segmentID).block(blockID) }
    /// A blockfile sparse-index root.
    public func root(segmentID: String, rootID: String) -> String { segment(segmentID).root(rootID) }
    /// Prefix of one HNSW index's files.
    public func hnswPrefix(segmentID: String, indexID: String) -> String {
        segment(segmentID).hnswPrefix(indexID)
    }
    /// One file of an HNSW index.
    public func hnswFile(segmentID: String, indexID: String, file: String) -> String {
        hnswPrefix(segmentID: segmentID, indexID: indexID) + file
    }

    /// The offset of a log fragment key, or `nil` if `key` is not one.
    public func logOffset(ofKey key: String) -> UInt64? {
        Self.number(in: key, after: logPrefix, suffix: "")
    }

    /// What `key` is in this collection's folder, or `nil` if it is not part of the layout.
    public func kind(ofKey key: String) -> CollectionObjectKind? {
        if versionNumber(ofKey: key) != nil { return .manifest }
        if logOffset(ofKey: key) != nil { return .log }
        if forkChild(ofKey: key) != nil { return .forkMarker }
        let segments = base + "/segment/"
        guard key.hasPrefix(segments) else { return nil }
        let rest = key.dropFirst(segments.count).split(separator: "/")
        guard rest.count >= 3 else { return nil }
        switch rest[1] {
        case "root": return .root
        case "block": return .block
        case "hnsw": return .hnsw
        default: return nil
        }
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

/// The keys of one segment: `.../collection/{id}/segment/{segment_id}/...`.
public struct SegmentPath: Sendable, Hashable {
    /// The segment's directory, without trailing `/`.
    public let base: String

    /// The segment at `key`, a key or prefix ending in `segment/{segment_id}` (with or without a trailing `/`),
    /// as tools take it from a user; `nil` if `key` does not name a segment.
    public init?(parsing key: String) {
        let trimmed = key.hasSuffix("/") ? String(key.dropLast()) : key
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[parts.count - 2] == "segment", !parts[parts.count - 1].isEmpty else { return nil }
        base = trimmed
    }

    init(base: String) { self.base = base }

    /// Prefix of every object of the segment (with trailing `/`).
    public var root: String { base + "/" }
    /// The segment's id (its last path component).
    public var segmentID: String { String(base.split(separator: "/").last ?? "") }
    /// The collection folder the segment is in.
    public var collection: CollectionPath {
        CollectionPath(
            base: base.split(separator: "/", omittingEmptySubsequences: false).dropLast(2).joined(separator: "/"))
    }

    /// The segment holding the object this segment names `id`, and the object's own id there (`QualifiedID`).
    public func resolving(_ id: String) -> (segment: SegmentPath, id: String) {
        guard QualifiedID.parse(id) != nil else { return (self, id) }
        let (collection, segmentID, objectID) = self.collection.resolve(segmentID: segmentID, id: id)
        return (collection.segment(segmentID), objectID)
    }

    /// How another segment names this segment's object `id` (a qualified id stays as it is).
    public func qualified(_ id: String) -> String {
        guard QualifiedID.parse(id) == nil else { return id }
        return QualifiedID.make(collectionID: collection.collectionID, segmentID: segmentID, objectID: id)
    }

    /// A blockfile block (a qualified id: in the segment it names).
    public func block(_ blockID: String) -> String {
        let (segment, id) = resolving(blockID)
        return segment.base + "/block/" + id
    }
    /// A blockfile sparse-index root (a qualified id: in the segment it names).
    public func root(_ rootID: String) -> String {
        let (segment, id) = resolving(rootID)
        return segment.base + "/root/" + id
    }
    /// Prefix of the blockfile roots.
    public var rootPrefix: String { base + "/root/" }
    /// Prefix of one HNSW index's files.
    public func hnswPrefix(_ indexID: String) -> String { base + "/hnsw/" + indexID + "/" }
}
