import CairnJSON
// Collection versions: the compare-and-swap that publishes a manifest the store already holds, and the restore
// path the rebuilder uses to project manifests back into rows.
import Foundation
import GRDB

/// What `restore` did with one collection.
public enum RestoreOutcome: Sendable, Hashable {
    /// The collection was not in the catalog and now is.
    case created
    /// The catalog held an older version; it now holds the manifest's.
    case updated
    /// The catalog already held this version or a newer one.
    case unchanged
    /// The manifest is a tombstone: the collection is not (or no longer) in the catalog.
    case removed
}

extension CatalogDatabase {
    /// The collection's committed version (0 while it is being created).
    public func currentVersion(collectionID: String) throws(CatalogError) -> UInt64 {
        try collection(id: collectionID).version
    }

    /// Every committed version the catalog recorded for the collection, oldest first.
    public func versions(collectionID: String) throws(CatalogError) -> [CollectionVersionRecord] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM collection_versions WHERE collection_id = ? ORDER BY version",
                arguments: [collectionID]
            ).map(Self.version(from:))
        }
    }

    /// Forgets the version rows of `versions` (their manifests were garbage-collected); the committed version's
    /// row is never removed. Returns how many rows went.
    @discardableResult
    public func forgetVersions(collectionID: String, _ versions: [UInt64]) throws(CatalogError) -> Int {
        guard !versions.isEmpty else { return 0 }
        return try write { db in
            let current = try Self.collectionRow(db, id: collectionID)?.version
            var removed = 0
            for version in versions where version != current {
                try db.execute(
                    sql: "DELETE FROM collection_versions WHERE collection_id = ? AND version = ?",
                    arguments: [collectionID, Int64(clamping: version)])
                removed += db.changesCount
            }
            return removed
        }
    }

    /// Publishes `manifest` (already written at `manifestKey`) as the collection's committed version — only if
    /// the committed version is still `expected`; otherwise `conflict` and nothing changes. On success the row
    /// takes the manifest's name, metadata, configuration, dimension (kept if the manifest has none), version and
    /// compacted log offset, its segments are replaced by the manifest's, and a version row is recorded. A
    /// tombstone manifest deletes the collection. Returns the collection as committed (for a tombstone: as it was
    /// before deletion, with the tombstone's version).
    @discardableResult
    public func commitVersion(
        collectionID: String, expected: UInt64, manifest: CollectionManifest, manifestKey: String
    ) throws(CatalogError) -> CollectionRecord {
        guard manifest.collectionID == collectionID else {
            throw CatalogError(
                .invalidArgument,
                "manifest of collection \(manifest.collectionID) cannot be committed to collection \(collectionID)")
        }
        guard manifest.version > expected else {
            throw CatalogError(
                .invalidArgument,
                "manifest version \(manifest.version) of collection \(collectionID) does not follow version \(expected)"
            )
        }
        return try write { db in
            guard let current = try Self.collectionRow(db, id: collectionID) else {
                throw CatalogError(.notFound, "Collection [\(collectionID)] does not exist")
            }
            guard current.version == expected else {
                throw CatalogError(
                    .conflict,
                    "collection \(collectionID) is at version \(current.version), not \(expected): another writer "
                        + "committed first")
            }
            return try Self.apply(db, manifest, manifestKey: manifestKey, over: current)
        }
    }

    /// Makes the catalog hold `latest` for its collection (rebuild): creates the row, brings an older one up to
    /// date, leaves a newer one alone, or removes the collection for a tombstone. `history` (the version rows to
    /// record, `latest`'s included or not) is inserted where missing. The tenant and database must exist.
    @discardableResult
    public func restore(_ latest: CollectionManifest, manifestKey: String, history: [CollectionVersionRecord] = [])
        throws(CatalogError) -> RestoreOutcome
    {
        try write { db in
            let existing = try Self.collectionRow(db, id: latest.collectionID)
            if latest.deleted {
                if existing != nil {
                    try db.execute(sql: "DELETE FROM collections WHERE id = ?", arguments: [latest.collectionID])
                }
                return .removed
            }
            let outcome: RestoreOutcome
            if let existing {
                if existing.version >= latest.version {
                    outcome = .unchanged
                } else {
                    _ = try Self.apply(db, latest, manifestKey: manifestKey, over: existing)
                    outcome = .updated
                }
            } else {
                guard try Self.databaseRow(db, tenant: latest.tenant, name: latest.database) != nil else {
                    throw CatalogError(
                        .notFound, "Database [\(latest.database)] not found (tenant \(latest.tenant))")
                }
                let record = CollectionRecord(
                    id: latest.collectionID, tenant: latest.tenant, database: latest.database, name: latest.name,
                    metadata: nil, configuration: [:], dimension: nil, version: 0, compactedLogOffset: 0,
                    createdAt: latest.createdAt, updatedAt: latest.createdAt)
                if let other = try Self.collectionRow(
                    db, tenant: latest.tenant, database: latest.database, name: latest.name)
                {
                    throw CatalogError(
                        .conflict,
                        "collections \(other.id) and \(latest.collectionID) are both named \(latest.name) in "
                            + "\(latest.tenant)/\(latest.database)")
                }
                try Self.insert(db, record, metadataText: nil, configurationText: "{}")
                _ = try Self.apply(db, latest, manifestKey: manifestKey, over: record)
                outcome = .created
            }
            for version in history where version.collectionID == latest.collectionID {
                try Self.insert(db, version, replacing: false)
            }
            return outcome
        }
    }

    /// Restores a tenant if it is missing; returns whether it was created.
    @discardableResult
    public func restore(_ tenant: TenantRecord) throws(CatalogError) -> Bool {
        try write { db in
            guard try Self.tenantRow(db, tenant.name) == nil else { return false }
            try Self.insert(db, tenant)
            return true
        }
    }

    /// Restores a database (and its tenant) if it is missing; returns whether it was created.
    @discardableResult
    public func restore(_ database: DatabaseRecord) throws(CatalogError) -> Bool {
        try write { db in
            if try Self.tenantRow(db, database.tenant) == nil {
                try Self.insert(db, TenantRecord(name: database.tenant, createdAt: database.createdAt))
            }
            guard try Self.databaseRow(db, tenant: database.tenant, name: database.name) == nil else { return false }
            try Self.insert(db, database)
            return true
        }
    }

    /// Writes the manifest's state over `current` inside a write transaction.
    static func apply(
        _ db: Database, _ manifest: CollectionManifest, manifestKey: String, over current: CollectionRecord
    )
        throws -> CollectionRecord
    {
        var record = current
        record.version = manifest.version
        if manifest.deleted {
            try db.execute(sql: "DELETE FROM collections WHERE id = ?", arguments: [current.id])
            return record
        }
        if manifest.name != current.name {
            if try collectionRow(db, tenant: current.tenant, database: current.database, name: manifest.name) != nil {
                throw CatalogError(.alreadyExists, "Collection [\(manifest.name)] already exists")
            }
        }
        if let dimension = manifest.dimension, let existing = current.dimension, dimension != existing {
            throw CatalogError(
                .conflict, "Collection expecting embedding with dimension of \(existing), got \(dimension)")
        }
        record.name = manifest.name
        record.metadata = manifest.metadata.flatMap { $0.isEmpty ? nil : $0 }
        record.configuration = manifest.configuration
        record.dimension = manifest.dimension ?? current.dimension
        record.compactedLogOffset = manifest.compactedLogOffset
        record.updatedAt = manifest.updatedAt
        try db.execute(
            sql: """
                UPDATE collections SET name = ?, metadata = ?, configuration = ?, dimension = ?, version = ?,
                    compacted_log_offset = ?, updated_at_ms = ? WHERE id = ?
                """,
            arguments: [
                record.name, record.metadata.map { JSONValue.object($0).jsonText },
                JSONValue.object(record.configuration).jsonText, record.dimension,
                Int64(clamping: record.version), Int64(clamping: record.compactedLogOffset),
                Milliseconds.from(record.updatedAt), record.id,
            ])
        try db.execute(sql: "DELETE FROM segments WHERE collection_id = ?", arguments: [record.id])
        for segment in manifest.segments {
            if let owner = try String.fetchOne(
                db, sql: "SELECT collection_id FROM segments WHERE id = ?", arguments: [segment.id])
            {
                throw CatalogError(.conflict, "segment \(segment.id) already belongs to collection \(owner)")
            }
            try db.execute(
                sql: "INSERT INTO segments (id, collection_id, kind, scope, files) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    segment.id, record.id, segment.kind.rawValue, segment.scope,
                    JSONValue.object(segment.files.mapValues { .string($0) }).jsonText,
                ])
        }
        try insert(db, CollectionVersionRecord(manifest, manifestKey: manifestKey), replacing: true)
        return record
    }

    static func insert(_ db: Database, _ version: CollectionVersionRecord, replacing: Bool) throws {
        try db.execute(
            sql: """
                INSERT OR \(replacing ? "REPLACE" : "IGNORE") INTO collection_versions
                    (collection_id, version, manifest_key, compacted_log_offset, created_at_ms, record_count)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                version.collectionID, Int64(clamping: version.version), version.manifestKey,
                Int64(clamping: version.compactedLogOffset), Milliseconds.from(version.createdAt),
                version.recordCount.map { Int64(clamping: $0) },
            ])
    }

    static func version(from row: Row) throws -> CollectionVersionRecord {
        let collectionID = try row.decode(String.self, forColumn: "collection_id")
        let version = try row.decode(Int64.self, forColumn: "version")
        let offset = try row.decode(Int64.self, forColumn: "compacted_log_offset")
        guard version >= 0, offset >= 0 else {
            throw CatalogError(.corrupt, "collection \(collectionID): a version row holds a negative number")
        }
        return CollectionVersionRecord(
            collectionID: collectionID, version: UInt64(version),
            manifestKey: try row.decode(String.self, forColumn: "manifest_key"), compactedLogOffset: UInt64(offset),
            createdAt: Milliseconds.date(try row.decode(Int64.self, forColumn: "created_at_ms")),
            recordCount: try row.decode(Int64?.self, forColumn: "record_count").map { UInt64(max($0, 0)) })
    }
}
