import CairnJSON
// The immutable JSON document at `CollectionPath.version(n)`: everything needed to serve collection version n and
// to rebuild its catalog row from the bucket alone. Written once (ifNoneMatch), never modified.
import Foundation

/// One segment as a manifest names it.
public struct SegmentManifest: Sendable, Hashable {
    public var id: String
    public var kind: SegmentKind
    /// Which implementation serves the segment (free text for the segment layer).
    public var scope: String
    /// Name → root id / HNSW index id; opaque to the catalog.
    public var files: [String: String]

    public init(id: String, kind: SegmentKind, scope: String = "", files: [String: String] = [:]) {
        self.id = id
        self.kind = kind
        self.scope = scope
        self.files = files
    }
}

public struct CollectionManifest: Sendable, Hashable {
    /// The newest format this build reads; readers refuse anything newer. A manifest is written in the oldest format
    /// that holds it: 2 for a fork's (its lineage, and files named in other collections: decision 0021), 3 for a
    /// version whose vector segment keeps its vectors in the record segment (decision 0025: a reader of format 2
    /// would look for an HNSW file, find none, and answer queries from the log tail alone), 4 for one whose vector
    /// segment is a SPANN index (decision 0029: likewise).
    public static let currentFormatVersion = 4

    /// The vector segment's file that says its vectors are the record segment's (Segments'
    /// `VectorSegmentFiles.vectorsInRecords`; the catalog treats files as opaque but for the format they need).
    public static let vectorsInRecordsFile = "vectors_in_records"
    /// The vector segment's file that says it is a SPANN index (Segments' `VectorSegmentFiles.spannCentroids`).
    public static let spannFile = "spann_centroids"

    /// The format asked for (written as at least what the content needs, `requiredFormatVersion`).
    public var formatVersion: Int
    public var collectionID: String
    public var tenant: String
    public var database: String
    public var name: String
    public var metadata: [String: JSONValue]?
    public var configuration: [String: JSONValue]
    public var dimension: Int?
    /// This manifest's version number (1 for a new collection).
    public var version: UInt64
    /// The version this one was derived from; `nil` for version 1.
    public var parentVersion: UInt64?
    /// The last log offset whose records this version's segments hold.
    public var compactedLogOffset: UInt64
    /// The largest offset id given to a record so far (the next record gets `maxOffsetID + 1`).
    public var maxOffsetID: UInt64
    /// Records in the compacted segments.
    public var recordCount: UInt64
    /// When the collection was created.
    public var createdAt: Date
    /// When this version was written.
    public var updatedAt: Date
    /// A tombstone: the collection was deleted in this version.
    public var deleted: Bool
    public var segments: [SegmentManifest]
    /// For a fork: the collections it descends from, its parent first (their folders hold files it names).
    public var lineage: [String] = []
    /// For a fork: the parent's version it was forked from.
    public var forkedFromVersion: UInt64?

    /// The oldest format that holds this manifest.
    public var requiredFormatVersion: Int {
        let vector = segments.first { $0.kind == .vector }?.files ?? [:]
        if vector[Self.spannFile] != nil { return 4 }
        if vector[Self.vectorsInRecordsFile] != nil { return 3 }
        let namesOtherFolders = segments.contains { $0.files.values.contains { $0.contains("/") } }
        return lineage.isEmpty && !namesOtherFolders ? 1 : 2
    }

    public init(
        collectionID: String, tenant: String, database: String, name: String, metadata: [String: JSONValue]?,
        configuration: [String: JSONValue], dimension: Int?, version: UInt64, parentVersion: UInt64?,
        compactedLogOffset: UInt64 = 0, maxOffsetID: UInt64 = 0, recordCount: UInt64 = 0, createdAt: Date,
        updatedAt: Date, deleted: Bool = false, segments: [SegmentManifest],
        formatVersion: Int = 1
    ) {
        self.formatVersion = formatVersion
        self.collectionID = collectionID
        self.tenant = tenant
        self.database = database
        self.name = name
        self.metadata = metadata
        self.configuration = configuration
        self.dimension = dimension
        self.version = version
        self.parentVersion = parentVersion
        self.compactedLogOffset = compactedLogOffset
        self.maxOffsetID = maxOffsetID
        self.recordCount = recordCount
        self.createdAt = Milliseconds.rounded(createdAt)
        self.updatedAt = Milliseconds.rounded(updatedAt)
        self.deleted = deleted
        self.segments = segments
    }

    /// The first manifest of a collection the catalog has just created (version 1, parent none).
    public init(creating record: CollectionRecord, segments: [SegmentManifest]) {
        self.init(
            collectionID: record.id, tenant: record.tenant, database: record.database, name: record.name,
            metadata: record.metadata, configuration: record.configuration, dimension: record.dimension, version: 1,
            parentVersion: nil, compactedLogOffset: record.compactedLogOffset, createdAt: record.createdAt,
            updatedAt: record.updatedAt, segments: segments)
    }

    /// The next version: same content, `version + 1`, this one as parent, written at `time`. Change what the new
    /// version changes on the result.
    public func successor(at time: Date) -> CollectionManifest {
        var next = self
        next.parentVersion = version
        next.version = version + 1
        next.updatedAt = Milliseconds.rounded(time)
        return next
    }

    /// Takes `source`'s records as this version's (its segments and record count), compacted through `offset`. The
    /// largest offset id given out stays the larger of the two: offset ids are never reused.
    public mutating func holdRecords(of source: CollectionManifest, compactedThrough offset: UInt64) {
        segments = source.segments
        recordCount = source.recordCount
        maxOffsetID = max(maxOffsetID, source.maxOffsetID)
        compactedLogOffset = offset
    }

    /// A tombstone following this version.
    public func tombstone(at time: Date) -> CollectionManifest {
        var next = successor(at: time)
        next.deleted = true
        return next
    }
}

// MARK: - JSON

extension CollectionManifest {
    /// The manifest as compact JSON text (UTF-8, keys sorted: equal manifests are equal bytes).
    public func encoded() throws(CatalogError) -> Data {
        Data(jsonValue.jsonText.utf8)
    }

    /// Reads a manifest; throws `unsupportedVersion` for a newer format and `corrupt` for anything malformed.
    public init(decoding data: Data) throws(CatalogError) {
        try self.init(json: try JSONValue.catalogParse(data, what: "manifest"))
    }

    var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "format_version": .int(Int64(max(formatVersion, requiredFormatVersion))),
            "collection_id": .string(collectionID),
            "tenant": .string(tenant),
            "database": .string(database),
            "name": .string(name),
            "metadata": metadata.map { .object($0) } ?? .null,
            "configuration": .object(configuration),
            "dimension": dimension.map { .int(Int64($0)) } ?? .null,
            "version": .int(Int64(clamping: version)),
            "parent_version": parentVersion.map { .int(Int64(clamping: $0)) } ?? .null,
            "compacted_log_offset": .int(Int64(clamping: compactedLogOffset)),
            "max_offset_id": .int(Int64(clamping: maxOffsetID)),
            "record_count": .int(Int64(clamping: recordCount)),
            "created_at_ms": .int(Milliseconds.from(createdAt)),
            "updated_at_ms": .int(Milliseconds.from(updatedAt)),
            "deleted": .bool(deleted),
        ]
        if !lineage.isEmpty {
            object["lineage"] = .array(lineage.map { .string($0) })
            object["forked_from_version"] = forkedFromVersion.map { .int(Int64(clamping: $0)) } ?? .null
        }
        object["segments"] = .array(
            segments.map { segment in
                .object([
                    "id": .string(segment.id),
                    "kind": .string(segment.kind.rawValue),
                    "scope": .string(segment.scope),
                    "files": .object(segment.files.mapValues { .string($0) }),
                ])
            })
        return .object(object)
    }

    init(json: JSONValue) throws(CatalogError) {
        guard let object = json.objectValue else { throw CatalogError(.corrupt, "a manifest must be a JSON object") }
        var fields = ManifestFields(object: object, what: "manifest")
        let format = try fields.int("format_version")
        guard format >= 1 else { throw CatalogError(.corrupt, "manifest format_version \(format) is not valid") }
        guard format <= Int64(Self.currentFormatVersion) else {
            throw CatalogError(
                .unsupportedVersion,
                "manifest format_version \(format) is newer than this build reads (\(Self.currentFormatVersion))")
        }
        formatVersion = Int(format)
        collectionID = try fields.string("collection_id")
        fields.what = "manifest of collection \(collectionID)"
        tenant = try fields.string("tenant")
        database = try fields.string("database")
        name = try fields.string("name")
        metadata = try fields.optionalObject("metadata")
        configuration = try fields.optionalObject("configuration") ?? [:]
        dimension = try fields.optionalInt("dimension").map { Int($0) }
        version = try fields.unsigned("version")
        parentVersion = try fields.optionalInt("parent_version").map { value throws(CatalogError) in
            guard value >= 0 else { throw CatalogError(.corrupt, "\(fields.what): parent_version is negative") }
            return UInt64(value)
        }
        compactedLogOffset = try fields.unsigned("compacted_log_offset")
        maxOffsetID = try fields.unsigned("max_offset_id")
        recordCount = try fields.unsigned("record_count")
        createdAt = Milliseconds.date(try fields.int("created_at_ms"))
        updatedAt = Milliseconds.date(try fields.int("updated_at_ms"))
        deleted = try fields.bool("deleted")
        guard case .array(let segmentValues) = object["segments"] else {
            throw CatalogError(.corrupt, "\(fields.what): segments must be an array")
        }
        var segments: [SegmentManifest] = []
        for value in segmentValues {
            guard let segmentObject = value.objectValue else {
                throw CatalogError(.corrupt, "\(fields.what): a segment must be an object")
            }
            var segment = ManifestFields(object: segmentObject, what: "segment in \(fields.what)")
            let id = try segment.string("id")
            segment.what = "segment \(id) in \(fields.what)"
            let kindName = try segment.string("kind")
            guard let kind = SegmentKind(rawValue: kindName) else {
                throw CatalogError(.corrupt, "\(segment.what): unknown kind \"\(kindName)\"")
            }
            var files: [String: String] = [:]
            for (file, target) in try segment.optionalObject("files") ?? [:] {
                guard case .string(let text) = target else {
                    throw CatalogError(.corrupt, "\(segment.what): file \(file) must name a string")
                }
                files[file] = text
            }
            segments.append(
                SegmentManifest(id: id, kind: kind, scope: (try? segment.string("scope")) ?? "", files: files))
        }
        self.segments = segments
        if case .array(let ancestors)? = object["lineage"] {
            lineage = try ancestors.map { value throws(CatalogError) in
                guard case .string(let id) = value else {
                    throw CatalogError(.corrupt, "\(fields.what): lineage must be a list of collection ids")
                }
                return id
            }
        }
        forkedFromVersion = try fields.optionalInt("forked_from_version").map { UInt64(max($0, 0)) }
        // Read back as written: the format the content needs is implied (equal manifests stay equal).
        if formatVersion == requiredFormatVersion { formatVersion = 1 }
    }
}

extension CollectionManifest: Codable {
    // Foundation's coders see the same snake_case shape; they cannot keep `1.0` apart from `1` in metadata, so
    // the store reads and writes manifests with `encoded()` / `init(decoding:)`.
    public init(from decoder: any Decoder) throws {
        try self.init(json: try JSONValue(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try jsonValue.encode(to: encoder)
    }
}

/// Typed access to the members of a JSON object, with errors naming the document and the field.
struct ManifestFields {
    let object: [String: JSONValue]
    var what: String

    func missing(_ key: String, _ expected: String) -> CatalogError {
        CatalogError(.corrupt, "\(what): \(key) must be \(expected)")
    }

    func string(_ key: String) throws(CatalogError) -> String {
        guard case .string(let value) = object[key] else { throw missing(key, "a string") }
        return value
    }

    func int(_ key: String) throws(CatalogError) -> Int64 {
        guard case .int(let value) = object[key] else { throw missing(key, "an integer") }
        return value
    }

    func unsigned(_ key: String) throws(CatalogError) -> UInt64 {
        let value = try int(key)
        guard value >= 0 else { throw missing(key, "a non-negative integer") }
        return UInt64(value)
    }

    func optionalInt(_ key: String) throws(CatalogError) -> Int64? {
        switch object[key] {
        case nil, .null?: return nil
        case .int(let value)?: return value
        default: throw missing(key, "an integer or null")
        }
    }

    func bool(_ key: String) throws(CatalogError) -> Bool {
        guard case .bool(let value) = object[key] else { throw missing(key, "true or false") }
        return value
    }

    func optionalObject(_ key: String) throws(CatalogError) -> [String: JSONValue]? {
        switch object[key] {
        case nil, .null?: return nil
        case .object(let value)?: return value
        default: throw missing(key, "an object or null")
        }
    }
}
