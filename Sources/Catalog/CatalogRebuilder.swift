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
    /// Collections whose latest manifest is a tombstone (not restored; removed from the catalog if present).
    public var tombstoned = 0
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

    /// Rebuilds `catalog` from the store under `prefix`.
    public static func rebuild(from store: any ObjectStore, prefix: ObjectPath, into catalog: CatalogDatabase)
        async throws(CatalogError) -> RebuildReport
    {
        try await CatalogRebuilder(store: store, prefix: prefix).rebuild(into: catalog)
    }

    /// Walks tenants → databases (with markers) → collections, restoring each into `catalog`.
    public func rebuild(into catalog: CatalogDatabase) async throws(CatalogError) -> RebuildReport {
        var report = RebuildReport()
        for tenant in try await manifests.tenantNames() {
            let databaseNames = try await manifests.databaseNames(tenant: tenant)
            var databases: [DatabaseRecord] = []
            for name in databaseNames {
                if let marker = try await manifests.databaseMarker(tenant: tenant, database: name) {
                    guard marker.tenant == tenant, marker.name == name else {
                        throw CatalogError(
                            .corrupt, "the marker of database \(tenant)/\(name) names \(marker.tenant)/\(marker.name)")
                    }
                    databases.append(marker)
                } else {
                    report.unmarkedDatabases.append("\(tenant)/\(name)")
                }
            }
            let tenantMarker = try await manifests.tenantMarker(tenant)
            guard tenantMarker != nil || !databases.isEmpty else { continue }
            report.tenants += 1
            let tenantRecord =
                tenantMarker ?? TenantRecord(name: tenant, createdAt: databases.map(\.createdAt).min() ?? Date())
            if try catalog.restore(tenantRecord) { report.tenantsCreated += 1 }
            for database in databases.sorted(by: { ($0.createdAt, $0.name) < ($1.createdAt, $1.name) }) {
                report.databases += 1
                if try catalog.restore(database) { report.databasesCreated += 1 }
                try await restoreCollections(of: database, into: catalog, report: &report)
            }
        }
        return report
    }

    private func restoreCollections(
        of database: DatabaseRecord, into catalog: CatalogDatabase, report: inout RebuildReport
    ) async throws(CatalogError) {
        var found: [(latest: CollectionManifest, key: String, history: [CollectionVersionRecord])] = []
        for id in try await manifests.collectionIDs(tenant: database.tenant, database: database.name) {
            let versions = try await manifests.versions(tenant: database.tenant, database: database.name, collectionID: id)
            guard !versions.isEmpty else {
                report.uncommitted.append("\(database.tenant)/\(database.name)/\(id)")
                continue
            }
            var history: [CollectionVersionRecord] = []
            var latest: (CollectionManifest, String)?
            for version in versions {
                let key = manifests.key(tenant: database.tenant, database: database.name, collectionID: id, version: version)
                let manifest = try await manifests.read(key: key)
                report.versions += 1
                guard manifest.collectionID == id, manifest.version == version, manifest.tenant == database.tenant,
                    manifest.database == database.name
                else {
                    throw CatalogError(.corrupt, "\(key) describes another collection or version")
                }
                history.append(
                    CollectionVersionRecord(
                        collectionID: id, version: version, manifestKey: key,
                        compactedLogOffset: manifest.compactedLogOffset, createdAt: manifest.updatedAt))
                latest = (manifest, key)
            }
            guard let (manifest, key) = latest else { continue }
            if manifest.deleted {
                report.tombstoned += 1
                try catalog.restore(manifest, manifestKey: key)
                continue
            }
            found.append((manifest, key, history))
        }
        // Creation order is list order in the catalog; restore oldest first.
        found.sort { ($0.latest.createdAt, $0.latest.collectionID) < ($1.latest.createdAt, $1.latest.collectionID) }
        for (manifest, key, history) in found {
            report.collections += 1
            switch try catalog.restore(manifest, manifestKey: key, history: history) {
            case .created: report.collectionsCreated += 1
            case .updated: report.collectionsUpdated += 1
            case .unchanged, .removed: report.collectionsUnchanged += 1
            }
        }
    }
}
