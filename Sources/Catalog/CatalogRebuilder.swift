// Rebuilds the catalog from the bucket alone: tenants and databases from their markers, each collection from its
// latest manifest (tombstones skipped), with the version history its manifests record. Idempotent.
import Foundation
import ObjectStore

/// What a rebuild found and did.
public struct RebuildReport: Sendable, Hashable, CustomStringConvertible {
    /// Tenants and databases seen in the bucket (with markers), and how many of them were new to the catalog.
    public var tenants = 0
    public var databases = 0
    public var tenantsCreated = 0
    public var databasesCreated = 0
    /// Live collections (latest manifest not a tombstone), and what happened to their rows.
    public var collections = 0
    public var collectionsCreated = 0
    public var collectionsUpdated = 0
    public var collectionsUnchanged = 0
    /// Collections whose latest manifest is a tombstone (not restored; removed from the catalog if present), and
    /// their ids (a tombstone is final: a later incremental rebuild can skip them).
    public var tombstoned = 0
    public var tombstonedIDs: Set<String> = []
    /// Manifests read (all versions of every collection).
    public var versions = 0
    /// Collection folders with no manifest (created but never committed), as `tenant/database/id`.
    public var uncommitted: [String] = []
    /// Database folders without a marker (deleted databases), as `tenant/database`; their collections are skipped.
    public var unmarkedDatabases: [String] = []

    public init() {}

    public var description: String {
        var lines = [
            "tenants: \(tenants) (\(tenantsCreated) new)",
            "databases: \(databases) (\(databasesCreated) new)",
            "collections: \(collections) (\(collectionsCreated) new, \(collectionsUpdated) updated, "
                + "\(collectionsUnchanged) unchanged)",
            "tombstoned collections skipped: \(tombstoned)",
            "manifests read: \(versions)",
        ]
        if !uncommitted.isEmpty { lines.append("collection folders without a manifest: \(uncommitted.count)") }
        if !unmarkedDatabases.isEmpty {
            lines.append("database folders without a marker (skipped): \(unmarkedDatabases.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}

public struct CatalogRebuilder: Sendable {
    public let manifests: ManifestStore

    public init(store: any ObjectStore, prefix: ObjectPath) {
        manifests = ManifestStore(store: store, path: prefix)
    }

    /// Rebuilds `catalog` from the store under `prefix`; `reporter` hears the collection folders read of those
    /// listed so far (the total grows as each database is listed).
    public static func rebuild(
        from store: any ObjectStore, prefix: ObjectPath, into catalog: CatalogDatabase,
        reporter: ProgressReporter? = nil
    ) async throws(CatalogError) -> RebuildReport {
        try await CatalogRebuilder(store: store, prefix: prefix).rebuild(into: catalog, reporter: reporter)
    }

    /// Collection folders read of those listed so far, for a `ProgressReporter`.
    private struct FolderCount {
        var read = 0
        var listed = 0
        let reporter: ProgressReporter?

        func report() {
            reporter?(JobProgress("rebuilding the catalog", unit: "collections", done: read, total: listed))
        }
    }

    /// Walks tenants → databases (with markers) → collections, restoring each into `catalog`. A full rebuild reads
    /// every version manifest (the whole history); an `incremental` one (a node catching up with the bucket) reads
    /// only the manifests newer than the catalog's version of each collection, and of a collection new to the
    /// catalog only its latest: with nothing new it lists, but reads no manifest. Collections in `deleted` (ids
    /// an earlier rebuild reported tombstoned) are skipped without a request.
    public func rebuild(
        into catalog: CatalogDatabase, incremental: Bool = false, deleted: Set<String> = [],
        reporter: ProgressReporter? = nil
    ) async throws(CatalogError) -> RebuildReport {
        var report = RebuildReport()
        var folders = FolderCount(reporter: reporter)
        var tenants: [(tenant: TenantRecord, databases: [DatabaseRecord])] = []
        for tenant in try await manifests.tenantNames() {
            var databases: [DatabaseRecord] = []
            for name in try await manifests.databaseNames(tenant: tenant) {
                if let marker = try await manifests.databaseMarker(tenant: tenant, database: name)
                    ?? Self.implicitDefault(tenant: tenant, database: name)
                {
                    guard marker.tenant == tenant, marker.name == name else {
                        throw CatalogError(
                            .corrupt, "the marker of database \(tenant)/\(name) names \(marker.tenant)/\(marker.name)")
                    }
                    databases.append(marker)
                } else {
                    report.unmarkedDatabases.append("\(tenant)/\(name)")
                }
            }
            let marker =
                try await manifests.tenantMarker(tenant)
                ?? (tenant == CatalogDatabase.defaultTenant
                    ? TenantRecord(name: tenant, createdAt: Date(timeIntervalSince1970: 0)) : nil)
            guard marker != nil || !databases.isEmpty else { continue }
            let record = marker ?? TenantRecord(name: tenant, createdAt: databases.map(\.createdAt).min() ?? Date())
            tenants.append((record, databases))
        }
        // Tenants and databases list in creation order: restore them oldest first.
        tenants.sort { ($0.tenant.createdAt, $0.tenant.name) < ($1.tenant.createdAt, $1.tenant.name) }
        for (tenant, databases) in tenants {
            report.tenants += 1
            if try await catalog.perform({ try $0.restore(tenant) }) { report.tenantsCreated += 1 }
            for database in databases.sorted(by: { ($0.createdAt, $0.name) < ($1.createdAt, $1.name) }) {
                report.databases += 1
                if try await catalog.perform({ try $0.restore(database) }) { report.databasesCreated += 1 }
                try await restoreCollections(
                    of: database, into: catalog, incremental: incremental, deleted: deleted, report: &report,
                    folders: &folders)
            }
        }
        return report
    }

    /// Chroma's default database exists in every catalog from the start, so it needs no marker in the bucket.
    static func implicitDefault(tenant: String, database: String) -> DatabaseRecord? {
        guard tenant == CatalogDatabase.defaultTenant, database == CatalogDatabase.defaultDatabase else { return nil }
        return DatabaseRecord(
            id: CatalogSchema.defaultDatabaseID, tenant: tenant, name: database,
            createdAt: Date(timeIntervalSince1970: 0))
    }

    /// What one collection folder holds that a rebuild needs.
    private enum FolderContents: Sendable {
        /// No manifest: a creation that never committed.
        case uncommitted
        /// Nothing newer than the catalog's version (incremental rebuilds).
        case unchanged
        /// The manifests read, oldest first, with their keys.
        case manifests([(manifest: CollectionManifest, key: String)])
    }

    /// Folders are listed and read this many at a time: on a bucket each is a round trip or two.
    static let folderConcurrency = 16

    private func restoreCollections(
        of database: DatabaseRecord, into catalog: CatalogDatabase, incremental: Bool, deleted: Set<String>,
        report: inout RebuildReport, folders: inout FolderCount
    ) async throws(CatalogError) {
        let ids = try await manifests.collectionIDs(tenant: database.tenant, database: database.name)
            .filter { !deleted.contains($0) }
        folders.listed += ids.count
        folders.report()
        // The catalog's version of each collection, read up front (SQLite, no request).
        let known: [UInt64?] = ids.map { id in incremental ? (try? catalog.collection(id: id).version) : nil }
        var contents = [FolderContents?](repeating: nil, count: ids.count)
        let readFolder: @Sendable (Int) async throws(CatalogError) -> FolderContents = { index in
            try await read(ids[index], of: database, known: known[index], incremental: incremental)
        }
        try await withBoundedParallelism(count: ids.count, limit: Self.folderConcurrency, readFolder) {
            (index, folder) throws(CatalogError) in
            contents[index] = folder
            folders.read += 1
            folders.report()
        }
        var found: [(latest: CollectionManifest, key: String, history: [CollectionVersionRecord])] = []
        for (id, folder) in zip(ids, contents) {
            guard let folder else { continue }
            switch folder {
            case .uncommitted:
                report.uncommitted.append("\(database.tenant)/\(database.name)/\(id)")
            case .unchanged:
                report.collections += 1
                report.collectionsUnchanged += 1
            case .manifests(let read):
                report.versions += read.count
                guard let (manifest, key) = read.last else { continue }
                if manifest.deleted {
                    report.tombstoned += 1
                    report.tombstonedIDs.insert(id)
                    try await catalog.perform { try $0.restore(manifest, manifestKey: key) }
                    continue
                }
                let history = read.map { CollectionVersionRecord($0.manifest, manifestKey: $0.key) }
                found.append((manifest, key, history))
            }
        }
        // Creation order is list order in the catalog; restore oldest first.
        found.sort { ($0.latest.createdAt, $0.latest.collectionID) < ($1.latest.createdAt, $1.latest.collectionID) }
        for (manifest, key, history) in found {
            report.collections += 1
            switch try await catalog.perform({ try $0.restore(manifest, manifestKey: key, history: history) }) {
            case .created: report.collectionsCreated += 1
            case .updated: report.collectionsUpdated += 1
            case .unchanged, .removed: report.collectionsUnchanged += 1
            }
        }
    }

    /// Lists a collection folder's versions and reads the manifests the rebuild needs: all of them, or (incremental)
    /// those newer than `known`, or the latest alone when the catalog does not have the collection.
    private func read(_ id: String, of database: DatabaseRecord, known: UInt64?, incremental: Bool)
        async throws(CatalogError) -> FolderContents
    {
        let versions = try await manifests.versions(tenant: database.tenant, database: database.name, collectionID: id)
        guard let newest = versions.last else { return .uncommitted }
        var toRead = versions
        if incremental {
            toRead = known.map { known in versions.filter { $0 > known } } ?? [newest]
            if toRead.isEmpty { return .unchanged }
        }
        var read: [(manifest: CollectionManifest, key: String)] = []
        for version in toRead {
            let key = manifests.key(
                tenant: database.tenant, database: database.name, collectionID: id, version: version)
            let manifest = try await manifests.read(key: key)
            guard manifest.collectionID == id, manifest.version == version, manifest.tenant == database.tenant,
                manifest.database == database.name
            else {
                throw CatalogError(.corrupt, "\(key) describes another collection or version")
            }
            read.append((manifest, key))
        }
        return .manifests(read)
    }
}
