import CairnJSON
// The rows of the catalog as value types: tenants, databases, collections, segments and collection versions.
import Foundation

/// A tenant: the outermost namespace.
public struct TenantRecord: Sendable, Hashable {
    public var name: String
    public var createdAt: Date

    public init(name: String, createdAt: Date) {
        self.name = name
        self.createdAt = createdAt
    }
}

/// A database inside a tenant; collection names are unique per database.
public struct DatabaseRecord: Sendable, Hashable {
    /// A UUID string (Chroma gives databases ids too).
    public var id: String
    public var tenant: String
    public var name: String
    public var createdAt: Date

    public init(id: String, tenant: String, name: String, createdAt: Date) {
        self.id = id
        self.tenant = tenant
        self.name = name
        self.createdAt = createdAt
    }
}

/// A collection as the catalog knows it: identity, user-facing settings, and the committed version it points at.
public struct CollectionRecord: Sendable, Hashable {
    /// A UUID string, lower-case.
    public var id: String
    public var tenant: String
    public var database: String
    public var name: String
    /// The user's metadata, or `nil` when the collection has none.
    public var metadata: [String: JSONValue]?
    /// The collection's configuration (HNSW space and parameters…), opaque to the catalog.
    public var configuration: [String: JSONValue]
    /// The embedding dimension, fixed by the first write; `nil` until then.
    public var dimension: Int?
    /// The committed version: 0 while the collection is being created (no manifest yet), then 1, 2, …
    public var version: UInt64
    /// The last log offset whose records the committed version holds (0 when none).
    public var compactedLogOffset: UInt64
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, tenant: String, database: String, name: String, metadata: [String: JSONValue]?,
        configuration: [String: JSONValue], dimension: Int?, version: UInt64, compactedLogOffset: UInt64,
        createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.tenant = tenant
        self.database = database
        self.name = name
        self.metadata = metadata
        self.configuration = configuration
        self.dimension = dimension
        self.version = version
        self.compactedLogOffset = compactedLogOffset
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The three segments every collection has.
public enum SegmentKind: String, Sendable, Hashable, CaseIterable, Codable {
    case record
    case metadata
    case vector
}

/// One segment of a collection's committed version, with the files that version names (name → root id or HNSW
/// index id; opaque to the catalog).
public struct SegmentRecord: Sendable, Hashable {
    public var id: String
    public var collectionID: String
    public var kind: SegmentKind
    /// Which implementation serves the segment (e.g. "blockfile", "hnsw"); free text for the segment layer.
    public var scope: String
    public var files: [String: String]

    public init(id: String, collectionID: String, kind: SegmentKind, scope: String, files: [String: String]) {
        self.id = id
        self.collectionID = collectionID
        self.kind = kind
        self.scope = scope
        self.files = files
    }
}

/// A committed version of a collection and the manifest that describes it.
public struct CollectionVersionRecord: Sendable, Hashable {
    public var collectionID: String
    public var version: UInt64
    /// The manifest's object key (`CollectionPath.version(n)`).
    public var manifestKey: String
    public var compactedLogOffset: UInt64
    public var createdAt: Date
    /// Records the version holds (nil in rows a catalog recorded before it kept counts: the manifest has it).
    public var recordCount: UInt64?

    public init(
        collectionID: String, version: UInt64, manifestKey: String, compactedLogOffset: UInt64, createdAt: Date,
        recordCount: UInt64? = nil
    ) {
        self.collectionID = collectionID
        self.version = version
        self.manifestKey = manifestKey
        self.compactedLogOffset = compactedLogOffset
        self.createdAt = createdAt
        self.recordCount = recordCount
    }

    /// The row a committed manifest makes.
    public init(_ manifest: CollectionManifest, manifestKey: String) {
        self.init(
            collectionID: manifest.collectionID, version: manifest.version, manifestKey: manifestKey,
            compactedLogOffset: manifest.compactedLogOffset, createdAt: manifest.updatedAt,
            recordCount: manifest.recordCount)
    }
}

/// Times are kept as whole milliseconds since 1970 in SQLite and in manifests, so a rebuilt catalog holds the
/// same `Date`s as the original.
public enum Milliseconds {
    public static func from(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    public static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
    /// `date` rounded to what the catalog stores.
    public static func rounded(_ date: Date) -> Date { Self.date(from(date)) }
}
