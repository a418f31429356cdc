// Tenants and databases: create, get, list and delete, with Chroma's messages.
import Foundation
import GRDB

extension CatalogDatabase {
    // MARK: Tenants

    /// Creates a tenant; `alreadyExists` if there is one of that name.
    @discardableResult
    public func createTenant(_ name: String) throws(CatalogError) -> TenantRecord {
        try NameValidation.validate(tenant: name)
        let record = TenantRecord(name: name, createdAt: Milliseconds.rounded(now()))
        return try write { db in
            guard try Self.tenantRow(db, name) == nil else {
                throw CatalogError(.alreadyExists, "Tenant [\(name)] already exists")
            }
            try Self.insert(db, record)
            return record
        }
    }

    /// The tenant of that name; `notFound` if there is none.
    public func tenant(_ name: String) throws(CatalogError) -> TenantRecord {
        try read { db in
            guard let record = try Self.tenantRow(db, name) else {
                throw CatalogError(.notFound, "Tenant [\(name)] not found")
            }
            return record
        }
    }

    /// Every tenant, oldest first.
    public func listTenants() throws(CatalogError) -> [TenantRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, created_at_ms FROM tenants ORDER BY seq").map(Self.tenant(from:))
        }
    }

    /// Deletes a tenant with its databases and collections (reset); `notFound` if there is none.
    @discardableResult
    public func deleteTenant(_ name: String) throws(CatalogError) -> TenantRecord {
        try write { db in
            guard let record = try Self.tenantRow(db, name) else {
                throw CatalogError(.notFound, "Tenant [\(name)] not found")
            }
            // Foreign keys cascade to databases, and from them to collections, segments and versions.
            try db.execute(sql: "DELETE FROM tenants WHERE name = ?", arguments: [name])
            return record
        }
    }

    static func tenantRow(_ db: Database, _ name: String) throws -> TenantRecord? {
        try Row.fetchOne(db, sql: "SELECT name, created_at_ms FROM tenants WHERE name = ?", arguments: [name])
            .map(tenant(from:))
    }

    static func tenant(from row: Row) throws -> TenantRecord {
        TenantRecord(
            name: try row.decode(String.self, forColumn: "name"),
            createdAt: Milliseconds.date(try row.decode(Int64.self, forColumn: "created_at_ms")))
    }

    static func insert(_ db: Database, _ tenant: TenantRecord) throws {
        try db.execute(
            sql: "INSERT INTO tenants (name, created_at_ms) VALUES (?, ?)",
            arguments: [tenant.name, Milliseconds.from(tenant.createdAt)])
    }

    // MARK: Databases

    /// Creates a database in `tenant`; `notFound` if the tenant does not exist, `alreadyExists` if the name is
    /// taken, `invalidArgument` for a name shorter than 3 characters or one holding `/`. `id` defaults to a new UUID.
    @discardableResult
    public func createDatabase(tenant: String, name: String, id: String? = nil) throws(CatalogError)
        -> DatabaseRecord
    {
        try NameValidation.validate(database: name)
        let record = DatabaseRecord(
            id: id ?? UUID().uuidString.lowercased(), tenant: tenant, name: name,
            createdAt: Milliseconds.rounded(now()))
        return try write { db in
            guard try Self.tenantRow(db, tenant) != nil else {
                throw CatalogError(.notFound, "Tenant [\(tenant)] not found")
            }
            guard try Self.databaseRow(db, tenant: tenant, name: name) == nil else {
                throw CatalogError(.alreadyExists, "Database [\(name)] already exists")
            }
            try Self.insert(db, record)
            return record
        }
    }

    /// The database `name` of `tenant`; `notFound` if there is none.
    public func database(tenant: String, name: String) throws(CatalogError) -> DatabaseRecord {
        try read { db in
            guard let record = try Self.databaseRow(db, tenant: tenant, name: name) else {
                throw CatalogError(.notFound, "Database [\(name)] not found. Are you sure it exists?")
            }
            return record
        }
    }

    /// The databases of `tenant`, oldest first, `offset` skipped and at most `limit` of them.
    public func listDatabases(tenant: String, limit: Int? = nil, offset: Int = 0) throws(CatalogError)
        -> [DatabaseRecord]
    {
        try Self.checkPage(limit: limit, offset: offset)
        return try read { db in
            guard try Self.tenantRow(db, tenant) != nil else {
                throw CatalogError(.notFound, "Tenant [\(tenant)] not found")
            }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT id, tenant, name, created_at_ms FROM databases WHERE tenant = ?
                    ORDER BY seq LIMIT ? OFFSET ?
                    """,
                arguments: [tenant, limit ?? -1, offset]
            ).map(Self.database(from:))
        }
    }

    /// Deletes a database and every collection in it (their segments and versions too); returns the deleted
    /// database. `notFound` if there is none.
    @discardableResult
    public func deleteDatabase(tenant: String, name: String) throws(CatalogError) -> DatabaseRecord {
        try write { db in
            guard let record = try Self.databaseRow(db, tenant: tenant, name: name) else {
                throw CatalogError(.notFound, "Database [\(name)] not found")
            }
            // Foreign keys cascade to collections, and from them to segments and versions.
            try db.execute(sql: "DELETE FROM databases WHERE tenant = ? AND name = ?", arguments: [tenant, name])
            return record
        }
    }

    static func databaseRow(_ db: Database, tenant: String, name: String) throws -> DatabaseRecord? {
        try Row.fetchOne(
            db, sql: "SELECT id, tenant, name, created_at_ms FROM databases WHERE tenant = ? AND name = ?",
            arguments: [tenant, name]
        ).map(database(from:))
    }

    static func database(from row: Row) throws -> DatabaseRecord {
        DatabaseRecord(
            id: try row.decode(String.self, forColumn: "id"),
            tenant: try row.decode(String.self, forColumn: "tenant"),
            name: try row.decode(String.self, forColumn: "name"),
            createdAt: Milliseconds.date(try row.decode(Int64.self, forColumn: "created_at_ms")))
    }

    static func insert(_ db: Database, _ database: DatabaseRecord) throws {
        try db.execute(
            sql: "INSERT INTO databases (id, tenant, name, created_at_ms) VALUES (?, ?, ?, ?)",
            arguments: [database.id, database.tenant, database.name, Milliseconds.from(database.createdAt)])
    }
}
