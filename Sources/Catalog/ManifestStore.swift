import CairnJSON
// Reads and writes collection manifests and the tenant/database markers in the object store, at the keys
// `ObjectPath` owns. A manifest is written once with ifNoneMatch: a second writer of the same version loses.
import Foundation
import ObjectStore

public struct ManifestStore: Sendable {
    /// Format of the tenant and database markers; readers refuse anything newer.
    public static let markerFormatVersion = 1
    /// Most versions one collection may list (a bound on a rebuild's work; GC keeps far fewer).
    public static let maxVersionsPerCollection = 100_000

    public let store: any ObjectStore
    public let path: ObjectPath

    public init(store: any ObjectStore, path: ObjectPath) {
        self.store = store
        self.path = path
    }

    /// The key of a collection's manifest `version`.
    public func key(tenant: String, database: String, collectionID: String, version: UInt64) -> String {
        path.collection(tenant: tenant, database: database, collectionID: collectionID).version(version)
    }

    /// The key `manifest` is written at.
    public func key(of manifest: CollectionManifest) -> String {
        key(
            tenant: manifest.tenant, database: manifest.database, collectionID: manifest.collectionID,
            version: manifest.version)
    }

    // MARK: Manifests

    /// Writes `manifest` at its version's key if no object is there; `conflict` if one is (another writer took
    /// that version). Returns the key.
    @discardableResult
    public func write(_ manifest: CollectionManifest) async throws(CatalogError) -> String {
        let key = key(of: manifest)
        let data = try manifest.encoded()
        do {
            try await store.put(key, data: data, condition: .ifNoneMatch)
        } catch let error as ObjectStoreError where error.code == .preconditionFailed {
            throw CatalogError(
                .conflict,
                "manifest version \(manifest.version) of collection \(manifest.collectionID) exists already: "
                    + "another writer took that version")
        } catch {
            throw Self.storageError(error, key: key)
        }
        return key
    }

    /// Reads the manifest at `key`; `notFound` if there is none.
    public func read(key: String) async throws(CatalogError) -> CollectionManifest {
        let data: Data
        do {
            let object = try await store.get(key)
            try object.checkComplete()
            data = object.data
        } catch let error as ObjectStoreError where error.code == .notFound {
            throw CatalogError(.notFound, "no manifest at \(key)")
        } catch {
            throw Self.storageError(error, key: key)
        }
        do throws(CatalogError) {
            return try CollectionManifest(decoding: data)
        } catch {
            throw CatalogError(error.code, "\(key): \(error.message)")
        }
    }

    /// Reads manifest `version` of a collection; `notFound` if there is none.
    public func read(tenant: String, database: String, collectionID: String, version: UInt64)
        async throws(CatalogError) -> CollectionManifest
    {
        try await read(key: key(tenant: tenant, database: database, collectionID: collectionID, version: version))
    }

    /// The version numbers a collection has manifests for, ascending.
    public func versions(tenant: String, database: String, collectionID: String) async throws(CatalogError)
        -> [UInt64]
    {
        let collection = path.collection(tenant: tenant, database: database, collectionID: collectionID)
        let objects: [ObjectInfo]
        do {
            objects = try await store.listAll(prefix: collection.versionPrefix, limit: Self.maxVersionsPerCollection)
        } catch {
            throw Self.storageError(error, key: collection.versionPrefix)
        }
        return objects.compactMap { collection.versionNumber(ofKey: $0.key) }.sorted()
    }

    /// The newest manifest of a collection, or `nil` if it has none.
    public func latest(tenant: String, database: String, collectionID: String) async throws(CatalogError)
        -> CollectionManifest?
    {
        guard let version = try await versions(tenant: tenant, database: database, collectionID: collectionID).last
        else { return nil }
        return try await read(tenant: tenant, database: database, collectionID: collectionID, version: version)
    }

    // MARK: Collection name claims

    /// Who holds a collection name in the bucket, and the claim's version tag (for replacing a stale one).
    public struct NameClaim: Sendable, Hashable {
        public var collectionID: String
        public var name: String
        public var createdAt: Date
        public var etag: String
    }

    /// Claims `name` for `collectionID` (create-only). Returns nil when the claim is this collection's now, or the
    /// claim another collection holds.
    public func claimName(tenant: String, database: String, name: String, collectionID: String, now: Date)
        async throws(CatalogError) -> NameClaim?
    {
        let key = path.collectionNameClaim(tenant: tenant, database: database, name: name)
        do {
            try await store.put(
                key, data: Self.claimData(name: name, collectionID: collectionID, now: now), condition: .ifNoneMatch)
            return nil
        } catch let error as ObjectStoreError where error.code == .preconditionFailed {
            guard let existing = try await nameClaim(tenant: tenant, database: database, name: name) else {
                return try await claimName(
                    tenant: tenant, database: database, name: name, collectionID: collectionID, now: now)
            }
            return existing.collectionID == collectionID ? nil : existing
        } catch {
            throw Self.storageError(error, key: key)
        }
    }

    /// Replaces a stale claim (its collection was deleted, renamed away, or never created) if it is still `stale`;
    /// false when someone changed it first.
    public func replaceNameClaim(_ stale: NameClaim, tenant: String, database: String, collectionID: String, now: Date)
        async throws(CatalogError) -> Bool
    {
        let key = path.collectionNameClaim(tenant: tenant, database: database, name: stale.name)
        do {
            try await store.put(
                key, data: Self.claimData(name: stale.name, collectionID: collectionID, now: now),
                condition: .ifMatch(etag: stale.etag))
            return true
        } catch let error as ObjectStoreError where error.code == .preconditionFailed || error.code == .notFound {
            return false
        } catch {
            throw Self.storageError(error, key: key)
        }
    }

    /// The claim on `name`, if any.
    public func nameClaim(tenant: String, database: String, name: String) async throws(CatalogError) -> NameClaim? {
        let key = path.collectionNameClaim(tenant: tenant, database: database, name: name)
        guard let (fields, etag) = try await readMarkerObject(key) else { return nil }
        let claimed = try fields.string("name")
        guard claimed == name else { throw CatalogError(.corrupt, "\(key) claims \(claimed), not \(name)") }
        return NameClaim(
            collectionID: try fields.string("collection_id"), name: claimed,
            createdAt: Milliseconds.date(try fields.int("created_at_ms")), etag: etag)
    }

    /// Gives up `name` if `collectionID` holds it (best effort: a leftover claim of a deleted or renamed collection
    /// is recognised as stale and replaced by the next claimant).
    public func releaseName(tenant: String, database: String, name: String, collectionID: String) async {
        guard let claim = try? await nameClaim(tenant: tenant, database: database, name: name),
            claim.collectionID == collectionID
        else { return }
        try? await store.delete(path.collectionNameClaim(tenant: tenant, database: database, name: name))
    }

    static func claimData(name: String, collectionID: String, now: Date) -> Data {
        let value: JSONValue = .object([
            "format_version": .int(Int64(markerFormatVersion)), "name": .string(name),
            "collection_id": .string(collectionID), "created_at_ms": .int(Milliseconds.from(now)),
        ])
        return Data(value.jsonText.utf8)
    }

    // MARK: Tenant and database markers

    /// Records a tenant in the bucket (idempotent: an existing marker is kept).
    public func writeMarker(_ tenant: TenantRecord) async throws(CatalogError) {
        let value: JSONValue = .object([
            "format_version": .int(Int64(Self.markerFormatVersion)), "name": .string(tenant.name),
            "created_at_ms": .int(Milliseconds.from(tenant.createdAt)),
        ])
        try await putMarker(path.tenantMarker(tenant: tenant.name), value, keepExisting: true)
    }

    /// Records a database in the bucket (replacing a stale marker of an earlier database of that name).
    public func writeMarker(_ database: DatabaseRecord) async throws(CatalogError) {
        let value: JSONValue = .object([
            "format_version": .int(Int64(Self.markerFormatVersion)), "id": .string(database.id),
            "tenant": .string(database.tenant), "name": .string(database.name),
            "created_at_ms": .int(Milliseconds.from(database.createdAt)),
        ])
        try await putMarker(
            path.databaseMarker(tenant: database.tenant, database: database.name), value,
            keepExisting: false)
    }

    /// Records in the folder of `ancestorID` that `childID` descends from it (and may name its files): written before
    /// the child's first manifest, so that garbage collection of the ancestor finds the child (decision 0021).
    public func writeForkMarker(tenant: String, database: String, ancestorID: String, childID: String, now: Date)
        async throws(CatalogError)
    {
        let value: JSONValue = .object([
            "format_version": .int(Int64(Self.markerFormatVersion)), "collection_id": .string(childID),
            "created_at_ms": .int(Milliseconds.from(now)),
        ])
        try await putMarker(
            path.collection(tenant: tenant, database: database, collectionID: ancestorID).forkMarker(childID), value,
            keepExisting: true)
    }

    /// The collections a fork marker in the folder of `collectionID` names (its descendants, live or not).
    public func forkChildren(tenant: String, database: String, collectionID: String) async throws(CatalogError)
        -> [String]
    {
        let folder = path.collection(tenant: tenant, database: database, collectionID: collectionID)
        do {
            return try await store.listAll(prefix: folder.forksPrefix).compactMap { folder.forkChild(ofKey: $0.key) }
        } catch {
            throw Self.storageError(error, key: folder.forksPrefix)
        }
    }

    /// Removes a database's marker: from then on a rebuild ignores the database and its collections.
    public func deleteMarker(tenant: String, database: String) async throws(CatalogError) {
        let key = path.databaseMarker(tenant: tenant, database: database)
        do {
            try await store.delete(key)
        } catch {
            throw Self.storageError(error, key: key)
        }
    }

    /// Removes a tenant's marker (reset): a rebuild then ignores the tenant unless a database marker names it.
    public func deleteMarker(tenant: String) async throws(CatalogError) {
        let key = path.tenantMarker(tenant: tenant)
        do {
            try await store.delete(key)
        } catch {
            throw Self.storageError(error, key: key)
        }
    }

    /// The tenant marker, or `nil` if there is none.
    public func tenantMarker(_ tenant: String) async throws(CatalogError) -> TenantRecord? {
        let key = path.tenantMarker(tenant: tenant)
        guard let fields = try await readMarker(key) else { return nil }
        return TenantRecord(
            name: try fields.string("name"), createdAt: Milliseconds.date(try fields.int("created_at_ms")))
    }

    /// The database marker, or `nil` if there is none.
    public func databaseMarker(tenant: String, database: String) async throws(CatalogError) -> DatabaseRecord? {
        let key = path.databaseMarker(tenant: tenant, database: database)
        guard let fields = try await readMarker(key) else { return nil }
        return DatabaseRecord(
            id: try fields.string("id"), tenant: try fields.string("tenant"), name: try fields.string("name"),
            createdAt: Milliseconds.date(try fields.int("created_at_ms")))
    }

    // MARK: Listing folders

    /// The tenants that have a folder in the bucket.
    public func tenantNames() async throws(CatalogError) -> [String] {
        try await folders(under: path.tenantsPrefix)
    }

    /// The databases of `tenant` that have a folder in the bucket.
    public func databaseNames(tenant: String) async throws(CatalogError) -> [String] {
        try await folders(under: path.databasesPrefix(tenant: tenant))
    }

    /// The ids of the collections with a folder under `tenant`/`database`.
    public func collectionIDs(tenant: String, database: String) async throws(CatalogError) -> [String] {
        try await folders(under: path.collectionsPrefix(tenant: tenant, database: database))
    }

    // MARK: Helpers

    /// The names of the "folders" directly under `prefix` (common prefixes with delimiter `/`).
    private func folders(under prefix: String) async throws(CatalogError) -> [String] {
        var names: [String] = []
        var continuation: String?
        do {
            repeat {
                let page = try await store.list(
                    prefix: prefix, delimiter: "/", continuation: continuation, maxKeys: 1000)
                for common in page.commonPrefixes where common.hasPrefix(prefix) && common.hasSuffix("/") {
                    let name = String(common.dropFirst(prefix.count).dropLast())
                    if !name.isEmpty { names.append(name) }
                }
                continuation = page.continuation
            } while continuation != nil
        } catch {
            throw Self.storageError(error, key: prefix)
        }
        return names
    }

    private func putMarker(_ key: String, _ value: JSONValue, keepExisting: Bool) async throws(CatalogError) {
        let data = Data(value.jsonText.utf8)
        do {
            try await store.put(key, data: data, condition: keepExisting ? .ifNoneMatch : .none)
        } catch let error as ObjectStoreError where keepExisting && error.code == .preconditionFailed {
            return
        } catch {
            throw Self.storageError(error, key: key)
        }
    }

    private func readMarker(_ key: String) async throws(CatalogError) -> ManifestFields? {
        try await readMarkerObject(key)?.fields
    }

    /// A marker's fields and its version tag (for a conditional replace); nil when there is none.
    private func readMarkerObject(_ key: String) async throws(CatalogError) -> (fields: ManifestFields, etag: String)? {
        let object: ObjectData
        do {
            object = try await store.get(key)
            try object.checkComplete()
        } catch let error as ObjectStoreError where error.code == .notFound {
            return nil
        } catch {
            throw Self.storageError(error, key: key)
        }
        let value = try JSONValue.catalogParse(object.data, what: key)
        guard let members = value.objectValue else { throw CatalogError(.corrupt, "\(key) is not a JSON object") }
        let fields = ManifestFields(object: members, what: key)
        let format = try fields.int("format_version")
        guard format >= 1, format <= Int64(Self.markerFormatVersion) else {
            throw CatalogError(
                format > Int64(Self.markerFormatVersion) ? .unsupportedVersion : .corrupt,
                "\(key): marker format_version \(format) is not one this build reads (\(Self.markerFormatVersion))")
        }
        return (fields, object.info.etag)
    }

    static func storageError(_ error: any Error, key: String) -> CatalogError {
        if let error = error as? CatalogError { return error }
        if let error = error as? ObjectStoreError {
            return CatalogError(.storage, "object store failed at \(key): \(error.description)")
        }
        return CatalogError(.storage, "object store failed at \(key): \(error)")
    }
}
