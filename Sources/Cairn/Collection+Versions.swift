// A collection's kept versions (decision 0021): listing them, reading as of one, and making an old one current
// again. Every compaction publishes an immutable version whose manifest names its segment files; garbage collection
// keeps the newest versions and those replaced recently (`Client.Options.keepVersions`, `keepFor`), so a kept
// version can be read exactly as it was.
import Catalog
import Compaction
import Foundation
import Segments
import Synchronization

/// One kept version of a collection.
public struct CollectionVersion: Sendable, Hashable {
    public let version: UInt64
    /// When it was published.
    public let createdAt: Date
    /// Records it holds.
    public let recordCount: Int
    /// The log offset through which it holds every write.
    public let compactedLogOffset: UInt64
    /// Whether it is the collection's current version.
    public let isCurrent: Bool
}

/// Which version a read sees: a version number, or the newest kept version published at or before a time.
/// A read as of a version sees exactly the records that version holds (every write through its compacted log
/// offset; writes not yet compacted belong to no version).
public enum ReadPoint: Sendable, Hashable {
    case version(UInt64)
    case time(Date)

    /// An ISO 8601 time as users and `CollectionVersion.createdAtText` write it, with or without fractional seconds
    /// (`2026-12-06T07:00:00Z`, `2026-12-06T07:00:00.123Z`); nil when it is not one.
    public static func time(parsing text: String) -> Date? {
        (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: .iso8601))
    }
}

extension CollectionVersion {
    /// The JSON object the server's `…/versions` route and `cairn versions --json` print.
    public var json: JSONValue {
        .object([
            "version": .int(Int64(clamping: version)), "created_at": .string(createdAtText),
            "record_count": .int(Int64(recordCount)), "compacted_log_offset": .int(Int64(clamping: compactedLogOffset)),
            "current": .bool(isCurrent),
        ])
    }

    /// When it was published, in ISO 8601 with milliseconds (versions can be published within a second).
    public var createdAtText: String {
        // The formatter truncates: a time a hair below its millisecond would print as the one before, and a read
        // as of that text would see the version before. Formatted from a tenth of a millisecond past it.
        Date(timeIntervalSince1970: Milliseconds.rounded(createdAt).timeIntervalSince1970 + 0.0001)
            .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension Collection {
    /// The kept versions, oldest first.
    public func versions() async throws -> [CollectionVersion] {
        try await boundary { try await context.keptVersions(collectionID: id) }
    }

    /// Makes version `version` current again, as a new version (history is never rewritten: the versions between
    /// stay readable while kept). Writes acknowledged before the call and not in that version are left behind;
    /// writes after it apply on top. Returns the new version.
    @discardableResult
    public func restore(version: UInt64) async throws -> CollectionVersion {
        try await boundary {
            let target = try await context.keptManifest(collectionID: id, at: .version(version))
            // Everything in the log now is superseded by the restored version: the new version is compacted
            // through the log's end (a write racing the restore lands after it and applies on top).
            let logEnd = try await runtime.wal.latestOffset()
            let replaced = Mutex<CollectionManifest?>(nil)
            let committed = try await context.catalog.serviceCall {
                try await $0.publish(collectionID: id) { next, _ throws(CatalogError) in
                    replaced.withLock { $0 = next }
                    next.holdRecords(of: target, compactedThrough: max(next.compactedLogOffset, logEnd))
                }
            }
            await runtime.hooks?.reached(.restoreCommitted)
            // Garbage collection deletes a version's manifest before its files and looks for newer manifests in
            // between: while the restored manifest is still there, no collection run can delete what the new
            // version names. If it is gone, one may be doing so: the version before the restore comes back.
            let targetKey = context.catalog.manifests.key(of: target)
            if try await !context.store.exists(targetKey), let previous = replaced.withLock({ $0 }) {
                _ = try await context.catalog.serviceCall {
                    try await $0.publish(collectionID: id) { next, _ throws(CatalogError) in
                        next.holdRecords(of: previous, compactedThrough: previous.compactedLogOffset)
                    }
                }
                try await runtime.install()
                throw CairnError(
                    .conflict,
                    "version \(version) of collection [\(name)] was garbage-collected while it was being restored; "
                        + "the collection is as it was before")
            }
            try await runtime.install()
            // (The version row's time is the manifest's, which the committed record took.)
            return CollectionVersion(
                version: committed.version, createdAt: committed.updatedAt, recordCount: Int(target.recordCount),
                compactedLogOffset: committed.compactedLogOffset, isCurrent: true)
        }
    }

    /// A reader over what `point` names: the current state (snapshot and log tail) when nil, otherwise a kept
    /// version's segments alone.
    func reader(at point: ReadPoint?) async throws -> CollectionReader {
        guard let point else { return try await reader() }
        let manifest = try await context.keptManifest(collectionID: id, at: point)
        guard let segments = CollectionSegments(manifest: manifest) else {
            throw CairnError(.corrupt, "version \(manifest.version) of collection [\(name)] lacks a segment")
        }
        let snapshot = try await runtime.snapshot(version: manifest.version, segments: segments)
        return CollectionReader(
            // (The dimension is fixed by the first write: a manifest published before the catalog knew it has none.)
            snapshot: snapshot, tail: .empty, dimension: try manifest.dimension ?? currentDimension(),
            provider: context.provider,
            configuration: configuration)
    }
}

extension ClientContext {
    /// The collection's kept versions, oldest first (the catalog's rows; a row without a record count reads it from
    /// the manifest).
    func keptVersions(collectionID: String) async throws -> [CollectionVersion] {
        let (record, rows) = try versionRows(collectionID: collectionID)
        var versions: [CollectionVersion] = []
        for row in rows {
            var count = row.recordCount
            if count == nil {
                count = try await catalog.serviceCall { try await $0.manifests.read(key: row.manifestKey) }.recordCount
            }
            versions.append(
                CollectionVersion(
                    version: row.version, createdAt: row.createdAt, recordCount: Int(clamping: count ?? 0),
                    compactedLogOffset: row.compactedLogOffset, isCurrent: row.version == record.version))
        }
        return versions
    }

    /// The manifest of the kept version `point` names; `notFound` naming the kept versions when there is none.
    func keptManifest(collectionID: String, at point: ReadPoint) async throws -> CollectionManifest {
        let (record, rows) = try versionRows(collectionID: collectionID)
        let row: CollectionVersionRecord?
        switch point {
        case .version(let version): row = rows.first { $0.version == version }
        case .time(let time):
            // Compared in whole milliseconds, as the catalog keeps times (a time read back from a listing is equal).
            row = rows.last { Milliseconds.from($0.createdAt) <= Milliseconds.from(time) }
        }
        guard let row else {
            let kept = rows.map { String($0.version) }.joined(separator: ", ")
            let wanted: String
            switch point {
            case .version(let version): wanted = "version \(version)"
            case .time(let time): wanted = "a version published at or before \(time.ISO8601Format())"
            }
            throw CairnError(
                .notFound, "Collection [\(record.name)] does not keep \(wanted) (kept versions: \(kept))")
        }
        return try await catalog.serviceCall { try await $0.manifests.read(key: row.manifestKey) }
    }

    /// The collection and the version rows the catalog keeps for it, read together.
    private func versionRows(collectionID: String) throws -> (CollectionRecord, [CollectionVersionRecord]) {
        try catalog.call { database in
            (try database.collection(id: collectionID), try database.versions(collectionID: collectionID))
        }
    }
}
