import CairnJSON
// Collections: create (with get-or-create), get, list, count, rename/modify, dimension, delete — Chroma's rules.
import Foundation
import GRDB

extension CatalogDatabase {
    /// Creates a collection, or with `getOrCreate` returns the existing one of that name unchanged.
    /// A new collection starts at version 0 (no manifest yet): write manifest 1, then `commitVersion(expected: 0)`.
    /// Throws `invalidArgument` for a name or metadata Chroma refuses, `notFound` for a missing database,
    /// `alreadyExists` when the name is taken and `getOrCreate` is false.
    public func createCollection(
        tenant: String, database: String, name: String, metadata: [String: JSONValue]? = nil,
        configuration: [String: JSONValue] = [:], getOrCreate: Bool = false, id: String? = nil
    ) throws(CatalogError) -> (record: CollectionRecord, created: Bool) {
        try NameValidation.validate(collectionName: name)
        if let metadata { try CatalogError.validate(collectionMetadata: metadata) }
        let metadataText = metadata.map { JSONValue.object($0).jsonText }
        let configurationText = JSONValue.object(configuration).jsonText
        let time = Milliseconds.rounded(now())
        let record = CollectionRecord(
            id: id ?? UUID().uuidString.lowercased(), tenant: tenant, database: database, name: name,
            metadata: metadata, configuration: configuration, dimension: nil, version: 0, compactedLogOffset: 0,
            createdAt: time, updatedAt: time)
        return try write { db in
            guard try Self.databaseRow(db, tenant: tenant, name: database) != nil else {
                throw CatalogError(.notFound, "Database [\(database)] does not exist")
            }
            if let existing = try Self.collectionRow(db, tenant: tenant, database: database, name: name) {
                guard getOrCreate else { throw CatalogError(.alreadyExists, "Collection [\(name)] already exists") }
                return (existing, false)
            }
            guard try Self.collectionRow(db, id: record.id) == nil else {
                throw CatalogError(.alreadyExists, "Collection id \(record.id) already exists")
            }
            try Self.insert(db, record, metadataText: metadataText, configurationText: configurationText)
            return (record, true)
        }
    }

    /// The collection with that id; `notFound` if there is none.
    public func collection(id: String) throws(CatalogError) -> CollectionRecord {
        try read { db in
            guard let record = try Self.collectionRow(db, id: id) else {
                throw CatalogError(.notFound, "Collection [\(id)] does not exist")
            }
            return record
        }
    }

    /// The collection `name` in `tenant`/`database`; `notFound` if there is none.
    public func collection(tenant: String, database: String, name: String) throws(CatalogError) -> CollectionRecord {
        try read { db in
            guard let record = try Self.collectionRow(db, tenant: tenant, database: database, name: name) else {
                throw CatalogError(.notFound, "Collection [\(name)] does not exist")
            }
            return record
        }
    }

    /// The collections of a database in creation order, `offset` skipped and at most `limit` of them.
    public func listCollections(tenant: String, database: String, limit: Int? = nil, offset: Int = 0)
        throws(CatalogError) -> [CollectionRecord]
    {
        try Self.checkPage(limit: limit, offset: offset)
        return try read { db in
            guard try Self.databaseRow(db, tenant: tenant, name: database) != nil else {
                throw CatalogError(.notFound, "Database [\(database)] not found. Are you sure it exists?")
            }
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM collections WHERE tenant = ? AND database = ? ORDER BY seq LIMIT ? OFFSET ?",
                arguments: [tenant, database, limit ?? -1, offset]
            ).map(Self.collection(from:))
        }
    }

    /// How many collections a database holds.
    public func countCollections(tenant: String, database: String) throws(CatalogError) -> Int {
        try read { db in
            guard try Self.databaseRow(db, tenant: tenant, name: database) != nil else {
                throw CatalogError(.notFound, "Database [\(database)] not found. Are you sure it exists?")
            }
            return try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM collections WHERE tenant = ? AND database = ?",
                arguments: [tenant, database]) ?? 0
        }
    }

    /// Renames a collection and/or replaces its metadata (`nil` leaves a field as it is; empty metadata clears
    /// it). `alreadyExists` if the new name is taken in the database.
    @discardableResult
    public func updateCollection(id: String, name: String? = nil, metadata: [String: JSONValue]? = nil)
        throws(CatalogError) -> CollectionRecord
    {
        if let name { try NameValidation.validate(collectionName: name) }
        if let metadata, !metadata.isEmpty { try CatalogError.validate(collectionMetadata: metadata) }
        let time = Milliseconds.rounded(now())
        return try write { db in
            guard var record = try Self.collectionRow(db, id: id) else {
                throw CatalogError(.notFound, "Collection [\(id)] does not exist")
            }
            if let name, name != record.name {
                guard try Self.collectionRow(db, tenant: record.tenant, database: record.database, name: name) == nil
                else { throw CatalogError(.alreadyExists, "Collection [\(name)] already exists") }
                record.name = name
            }
            if let metadata { record.metadata = metadata.isEmpty ? nil : metadata }
            record.updatedAt = time
            let metadataText = record.metadata.map { JSONValue.object($0).jsonText }
            try db.execute(
                sql: "UPDATE collections SET name = ?, metadata = ?, updated_at_ms = ? WHERE id = ?",
                arguments: [record.name, metadataText, Milliseconds.from(time), id])
            return record
        }
    }

    /// Fixes the collection's embedding dimension on first write. Succeeds when it is unset or already equal;
    /// `conflict` naming both dimensions otherwise.
    @discardableResult
    public func setDimension(id: String, _ dimension: Int) throws(CatalogError) -> CollectionRecord {
        guard dimension > 0 else {
            throw CatalogError(.invalidArgument, "Expected a positive embedding dimension, got \(dimension)")
        }
        return try write { db in
            guard var record = try Self.collectionRow(db, id: id) else {
                throw CatalogError(.notFound, "Collection [\(id)] does not exist")
            }
            if let current = record.dimension {
                guard current == dimension else {
                    throw CatalogError(
                        .conflict, "Collection expecting embedding with dimension of \(current), got \(dimension)")
                }
                return record
            }
            try db.execute(sql: "UPDATE collections SET dimension = ? WHERE id = ?", arguments: [dimension, id])
            record.dimension = dimension
            return record
        }
    }

    /// Deletes a collection with its segments and versions; returns what was deleted. `notFound` if none.
    @discardableResult
    public func deleteCollection(id: String) throws(CatalogError) -> CollectionRecord {
        try write { db in
            guard let record = try Self.collectionRow(db, id: id) else {
                throw CatalogError(.notFound, "Collection [\(id)] does not exist")
            }
            try db.execute(sql: "DELETE FROM collections WHERE id = ?", arguments: [id])
            return record
        }
    }

    /// The segments of the collection's committed version, ordered record, metadata, vector.
    public func segments(collectionID: String) throws(CatalogError) -> [SegmentRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM segments WHERE collection_id = ?", arguments: [collectionID])
                .map(Self.segment(from:))
                .sorted {
                    (SegmentKind.allCases.firstIndex(of: $0.kind) ?? 0, $0.id)
                        < (SegmentKind.allCases.firstIndex(of: $1.kind) ?? 0, $1.id)
                }
        }
    }

    // MARK: Rows

    static func collectionRow(_ db: Database, id: String) throws -> CollectionRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM collections WHERE id = ?", arguments: [id]).map(collection(from:))
    }

    static func collectionRow(_ db: Database, tenant: String, database: String, name: String) throws
        -> CollectionRecord?
    {
        try Row.fetchOne(
            db, sql: "SELECT * FROM collections WHERE tenant = ? AND database = ? AND name = ?",
            arguments: [tenant, database, name]
        ).map(collection(from:))
    }

    static func collection(from row: Row) throws -> CollectionRecord {
        let id = try row.decode(String.self, forColumn: "id")
        func object(_ column: String) throws -> [String: JSONValue]? {
            guard let text = try row.decode(String?.self, forColumn: column) else { return nil }
            guard
                let members = try JSONValue.catalogParse(Array(text.utf8), what: "collection \(id) \(column)")
                    .objectValue
            else {
                throw CatalogError(.corrupt, "collection \(id): \(column) is not a JSON object")
            }
            return members
        }
        let version = try row.decode(Int64.self, forColumn: "version")
        let offset = try row.decode(Int64.self, forColumn: "compacted_log_offset")
        guard version >= 0, offset >= 0 else {
            throw CatalogError(.corrupt, "collection \(id): negative version or log offset")
        }
        return CollectionRecord(
            id: id, tenant: try row.decode(String.self, forColumn: "tenant"),
            database: try row.decode(String.self, forColumn: "database"),
            name: try row.decode(String.self, forColumn: "name"), metadata: try object("metadata"),
            configuration: try object("configuration") ?? [:],
            dimension: try row.decode(Int?.self, forColumn: "dimension"), version: UInt64(version),
            compactedLogOffset: UInt64(offset),
            createdAt: Milliseconds.date(try row.decode(Int64.self, forColumn: "created_at_ms")),
            updatedAt: Milliseconds.date(try row.decode(Int64.self, forColumn: "updated_at_ms")))
    }

    static func insert(_ db: Database, _ record: CollectionRecord, metadataText: String?, configurationText: String)
        throws
    {
        try db.execute(
            sql: """
                INSERT INTO collections (id, tenant, database, name, metadata, configuration, dimension, version,
                    compacted_log_offset, created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.id, record.tenant, record.database, record.name, metadataText, configurationText,
                record.dimension, Int64(clamping: record.version), Int64(clamping: record.compactedLogOffset),
                Milliseconds.from(record.createdAt), Milliseconds.from(record.updatedAt),
            ])
    }

    static func segment(from row: Row) throws -> SegmentRecord {
        let id = try row.decode(String.self, forColumn: "id")
        let kindName = try row.decode(String.self, forColumn: "kind")
        guard let kind = SegmentKind(rawValue: kindName) else {
            throw CatalogError(.corrupt, "segment \(id): unknown kind \(kindName)")
        }
        var files: [String: String] = [:]
        let text = try row.decode(String.self, forColumn: "files")
        guard let members = try JSONValue.catalogParse(Array(text.utf8), what: "segment \(id) files").objectValue
        else {
            throw CatalogError(.corrupt, "segment \(id): files is not a JSON object")
        }
        for (name, value) in members {
            guard case .string(let target) = value else {
                throw CatalogError(.corrupt, "segment \(id): file \(name) is not a string")
            }
            files[name] = target
        }
        return SegmentRecord(
            id: id, collectionID: try row.decode(String.self, forColumn: "collection_id"), kind: kind,
            scope: try row.decode(String.self, forColumn: "scope"), files: files)
    }
}
