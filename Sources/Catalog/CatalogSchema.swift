// The catalog's SQLite schema as GRDB migrations. A migration, once released, is never edited: changes are new
// migrations appended here, and a catalog that holds a migration this build does not know is refused.
import GRDB

enum CatalogSchema {
    /// The identifiers of every migration this build knows, oldest first; the last is the schema version.
    static let migrations = ["v1", "v2-version-record-count"]

    /// Chroma's default tenant and database, present in every catalog from the start.
    static let defaultTenant = "default_tenant"
    static let defaultDatabase = "default_database"
    /// Chroma gives the default database the nil UUID.
    static let defaultDatabaseID = "00000000-0000-0000-0000-000000000000"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE tenants (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        created_at_ms INTEGER NOT NULL
                    );
                    CREATE TABLE databases (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        tenant TEXT NOT NULL REFERENCES tenants(name) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        created_at_ms INTEGER NOT NULL,
                        UNIQUE (tenant, name)
                    );
                    CREATE TABLE collections (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        tenant TEXT NOT NULL,
                        database TEXT NOT NULL,
                        name TEXT NOT NULL,
                        metadata TEXT,
                        configuration TEXT NOT NULL,
                        dimension INTEGER CHECK (dimension IS NULL OR dimension > 0),
                        version INTEGER NOT NULL CHECK (version >= 0),
                        compacted_log_offset INTEGER NOT NULL CHECK (compacted_log_offset >= 0),
                        created_at_ms INTEGER NOT NULL,
                        updated_at_ms INTEGER NOT NULL,
                        UNIQUE (tenant, database, name),
                        FOREIGN KEY (tenant, database) REFERENCES databases(tenant, name) ON DELETE CASCADE
                    );
                    CREATE TABLE segments (
                        id TEXT PRIMARY KEY NOT NULL,
                        collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL CHECK (kind IN ('record', 'metadata', 'vector')),
                        scope TEXT NOT NULL,
                        files TEXT NOT NULL
                    );
                    CREATE INDEX segments_by_collection ON segments(collection_id);
                    CREATE TABLE collection_versions (
                        collection_id TEXT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        manifest_key TEXT NOT NULL,
                        compacted_log_offset INTEGER NOT NULL,
                        created_at_ms INTEGER NOT NULL,
                        PRIMARY KEY (collection_id, version)
                    );
                    """)
            try db.execute(
                sql: "INSERT INTO tenants (name, created_at_ms) VALUES (?, 0)", arguments: [defaultTenant])
            try db.execute(
                sql: "INSERT INTO databases (id, tenant, name, created_at_ms) VALUES (?, ?, ?, 0)",
                arguments: [defaultDatabaseID, defaultTenant, defaultDatabase])
        }
        // Each version's record count, so a collection's versions are listed without reading their manifests
        // (NULL for rows written before: readers then read the manifest).
        migrator.registerMigration("v2-version-record-count") { db in
            try db.execute(sql: "ALTER TABLE collection_versions ADD COLUMN record_count INTEGER")
        }
        return migrator
    }
}
