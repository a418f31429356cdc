import CairnJSON
// The catalog changes the Cairn layer makes, each in the durable order: write the manifest (or marker) to the
// object store, then compare-and-swap the catalog to it. One place owns that order so every caller gets it right.
import Foundation
import ObjectStore

public struct CatalogService: Sendable {
    public let database: CatalogDatabase
    public let manifests: ManifestStore
    let now: @Sendable () -> Date

    public init(database: CatalogDatabase, manifests: ManifestStore, now: @escaping @Sendable () -> Date = { Date() }) {
        self.database = database
        self.manifests = manifests
        self.now = now
    }

    // MARK: Tenants and databases

    /// Creates a tenant (row, then its marker in the bucket).
    @discardableResult
    public func createTenant(_ name: String) async throws(CatalogError) -> TenantRecord {
        let record = try await database.perform { try $0.createTenant(name) }
        try await manifests.writeMarker(record)
        return record
    }

    /// Creates a database: the row (which decides uniqueness), then its marker. If the marker cannot be written
    /// the row is removed again, so the database exists in both places or in neither (but for a crash between
    /// the two, which loses an empty database on rebuild).
    @discardableResult
    public func createDatabase(tenant: String, name: String) async throws(CatalogError) -> DatabaseRecord {
        let record = try await database.perform { try $0.createDatabase(tenant: tenant, name: name) }
        do {
            try await manifests.writeMarker(
                TenantRecord(name: tenant, createdAt: try database.tenant(tenant).createdAt))
            try await manifests.writeMarker(record)
        } catch {
            _ = try? await database.perform { try $0.deleteDatabase(tenant: tenant, name: name) }
            throw error
        }
        return record
    }

    /// Deletes a database: a tombstone version for each collection (each committed on its own), then the marker,
    /// then the row. A crash part-way leaves a database with fewer collections, never a half-deleted collection.
    @discardableResult
    public func deleteDatabase(tenant: String, name: String) async throws(CatalogError) -> DatabaseRecord {
        _ = try database.database(tenant: tenant, name: name)
        for collection in try database.listCollections(tenant: tenant, database: name) {
            _ = try await deleteCollection(id: collection.id)
        }
        try await manifests.deleteMarker(tenant: tenant, database: name)
        return try await database.perform { try $0.deleteDatabase(tenant: tenant, name: name) }
    }

    /// Chroma's reset: every collection of every tenant gets its tombstone version (garbage collection removes
    /// their objects), every database and tenant goes, and the default tenant and database are made again.
    /// Returns the ids of the collections removed.
    @discardableResult
    public func reset() async throws(CatalogError) -> [String] {
        var removed: [String] = []
        for tenant in try database.listTenants() {
            for db in try database.listDatabases(tenant: tenant.name) {
                removed += try database.listCollections(tenant: tenant.name, database: db.name).map(\.id)
                _ = try await deleteDatabase(tenant: tenant.name, name: db.name)
            }
            if tenant.name != CatalogDatabase.defaultTenant {
                try await manifests.deleteMarker(tenant: tenant.name)
                let name = tenant.name
                try await database.perform { try $0.deleteTenant(name) }
            }
        }
        try await createDatabase(tenant: CatalogDatabase.defaultTenant, name: CatalogDatabase.defaultDatabase)
        return removed
    }

    // MARK: Collections

    /// Creates a collection (or returns the existing one with `getOrCreate`): reserves the row at version 0,
    /// writes manifest 1 with `segments`, then commits it. `created` is false when an existing one was returned.
    public func createCollection(
        tenant: String, database databaseName: String, name: String, metadata: [String: JSONValue]? = nil,
        configuration: [String: JSONValue] = [:], getOrCreate: Bool = false,
        segments: @Sendable (String) -> [SegmentManifest] = CatalogService.defaultSegments
    ) async throws(CatalogError) -> (record: CollectionRecord, created: Bool) {
        let reserve = { @Sendable () async throws(CatalogError) in
            try await database.perform {
                try $0.createCollection(
                    tenant: tenant, database: databaseName, name: name, metadata: metadata,
                    configuration: configuration, getOrCreate: getOrCreate)
            }
        }
        let (reserved, created): (CollectionRecord, Bool)
        do {
            (reserved, created) = try await reserve()
        } catch  where error.code == .alreadyExists {
            // This catalog may be behind: another node renamed or deleted the collection that had the name.
            let local = try database.collection(tenant: tenant, database: databaseName, name: name)
            try await catchUp(collectionID: local.id)
            (reserved, created) = try await reserve()
        }
        guard created else {
            // Found mid-creation (another task reserved it and has not committed yet, or crashed): finish it.
            return (reserved.version > 0 ? reserved : try await finishCreation(reserved, segments: segments), false)
        }
        do throws(CatalogError) {
            // Another node may hold the name (this catalog has not seen its collection yet): then that collection
            // is the one, for get-or-create, and the name is taken otherwise.
            if let other = try await claimName(
                name, tenant: tenant, database: databaseName, collectionID: reserved.id)
            {
                _ = try? await database.perform { try $0.deleteCollection(id: reserved.id) }
                guard getOrCreate else { throw CatalogError(.alreadyExists, "Collection [\(name)] already exists") }
                return (try await adopt(collectionID: other, tenant: tenant, database: databaseName), false)
            }
            return (try await publishFirstVersion(reserved, segments: segments), true)
        } catch  where error.code == .alreadyExists {
            throw error
        } catch {
            // Never published: the reservation goes, so the name is free again, and so does a manifest that may
            // have been written (a rebuild must not bring back a collection nobody was told about).
            if (try? database.currentVersion(collectionID: reserved.id)) == 0 {
                _ = try? await database.perform { try $0.deleteCollection(id: reserved.id) }
                await discard(
                    manifests.key(
                        tenant: reserved.tenant, database: reserved.database, collectionID: reserved.id, version: 1))
            }
            throw error
        }
    }

    /// Publishes version 1 of a collection reserved at version 0: claims its name in the bucket, writes its
    /// manifest (or, if another task wrote one first, takes that one) and commits it. Safe to call from several tasks: one manifest wins the
    /// key, one commit wins the compare-and-swap, and every caller returns the committed collection.
    public func finishCreation(
        _ reserved: CollectionRecord,
        segments: @Sendable (String) -> [SegmentManifest] = CatalogService.defaultSegments
    ) async throws(CatalogError) -> CollectionRecord {
        if try await claimName(
            reserved.name, tenant: reserved.tenant, database: reserved.database, collectionID: reserved.id) != nil
        {
            throw CatalogError(.alreadyExists, "Collection [\(reserved.name)] already exists")
        }
        return try await publishFirstVersion(reserved, segments: segments)
    }

    /// Writes manifest 1 of a reserved collection whose name claim is held, and commits it.
    private func publishFirstVersion(
        _ reserved: CollectionRecord, segments: @Sendable (String) -> [SegmentManifest]
    ) async throws(CatalogError) -> CollectionRecord {
        var manifest = CollectionManifest(creating: reserved, segments: segments(reserved.id))
        let key = manifests.key(of: manifest)
        do {
            try await manifests.write(manifest)
        } catch  where error.code == .conflict {
            manifest = try await manifests.read(key: key)
        }
        do {
            let committing = manifest
            return try await database.perform {
                try $0.commitVersion(collectionID: reserved.id, expected: 0, manifest: committing, manifestKey: key)
            }
        } catch  where error.code == .conflict {
            let current = try database.collection(id: reserved.id)
            guard current.version > 0 else { throw error }
            return current
        }
    }

    /// One segment of each kind with fresh ids and no files: what a new collection starts with.
    public static func defaultSegments(collectionID: String) -> [SegmentManifest] {
        SegmentKind.allCases.map { SegmentManifest(id: UUID().uuidString.lowercased(), kind: $0) }
    }

    /// A change of a collection's stored configuration, applied to the current one inside the publish (so two
    /// concurrent changes never lose one another).
    public typealias ConfigurationChange = @Sendable ([String: JSONValue]) throws(CatalogError) -> [String: JSONValue]

    /// Renames a collection, replaces its metadata (empty metadata clears it) and/or changes its configuration,
    /// through a new version.
    @discardableResult
    public func modifyCollection(
        id: String, name: String? = nil, metadata: [String: JSONValue]? = nil,
        configuration: ConfigurationChange? = nil
    ) async throws(CatalogError) -> CollectionRecord {
        if let name { try NameValidation.validate(collectionName: name) }
        if let metadata, !metadata.isEmpty { try CatalogError.validate(collectionMetadata: metadata) }
        let before = try database.collection(id: id)
        guard let name, name != before.name else {
            return try await modify(id: id, name: nil, metadata: metadata, configuration: configuration)
        }
        if try await claimName(name, tenant: before.tenant, database: before.database, collectionID: id) != nil {
            throw CatalogError(.alreadyExists, "Collection [\(name)] already exists")
        }
        if let local = try? database.collection(tenant: before.tenant, database: before.database, name: name),
            local.id != id
        {
            try await catchUp(collectionID: local.id)  // the bucket says it no longer has the name
        }
        let renamed: CollectionRecord
        do {
            renamed = try await modify(id: id, name: name, metadata: metadata, configuration: configuration)
        } catch {
            await manifests.releaseName(tenant: before.tenant, database: before.database, name: name, collectionID: id)
            throw error
        }
        await manifests.releaseName(
            tenant: before.tenant, database: before.database, name: before.name, collectionID: id)
        return renamed
    }

    private func modify(
        id: String, name: String?, metadata: [String: JSONValue]?, configuration: ConfigurationChange?
    ) async throws(CatalogError) -> CollectionRecord {
        try await publish(collectionID: id) { current, record throws(CatalogError) in
            if let name, name != record.name {
                // Checked before the manifest is written, so a taken name never leaves a manifest behind.
                if let other = try? database.collection(tenant: record.tenant, database: record.database, name: name),
                    other.id != id
                {
                    throw CatalogError(.alreadyExists, "Collection [\(name)] already exists")
                }
                current.name = name
            }
            if let metadata { current.metadata = metadata.isEmpty ? nil : metadata }
            if let configuration { current.configuration = try configuration(current.configuration) }
        }
    }

    /// Fixes the embedding dimension (first write). When it changes, a new version records it so a rebuild
    /// keeps it; `conflict` naming both dimensions when a different one is set.
    @discardableResult
    public func setDimension(id: String, _ dimension: Int) async throws(CatalogError) -> CollectionRecord {
        let record = try database.collection(id: id)
        if let current = record.dimension {
            guard current == dimension else {
                throw CatalogError(
                    .conflict, "Collection expecting embedding with dimension of \(current), got \(dimension)")
            }
            return record
        }
        _ = try await database.perform { try $0.setDimension(id: id, dimension) }
        return try await publish(collectionID: id) { manifest, _ in manifest.dimension = dimension }
    }

    /// Deletes a collection through a tombstone version; returns the collection as it was.
    @discardableResult
    public func deleteCollection(id: String) async throws(CatalogError) -> CollectionRecord {
        let before = try database.collection(id: id)
        _ = try await publish(collectionID: id) { manifest, _ in manifest.deleted = true }
        await manifests.releaseName(
            tenant: before.tenant, database: before.database, name: before.name, collectionID: id)
        return before
    }

    // MARK: Other nodes

    /// Brings the catalog's row of a collection up to the newest version published in the bucket, by this process
    /// or any other on the same store (another node's compaction, rename or delete): one GET of the next version's
    /// manifest key when there is none. A manifest found there is complete (it is written after every file it
    /// names), so adopting it is what a roll-forward would do.
    public func catchUp(collectionID: String) async throws(CatalogError) {
        for _ in 0..<64 {
            let record = try database.collection(id: collectionID)
            guard record.version > 0 else { return }
            let key = manifests.key(
                tenant: record.tenant, database: record.database, collectionID: record.id, version: record.version + 1)
            let next: CollectionManifest
            do {
                next = try await manifests.read(key: key)
            } catch  where error.code == .notFound {
                return
            }
            guard try await database.perform({ try $0.restore(next, manifestKey: key) }) != .unchanged else { return }
            if next.deleted { return }
        }
    }

    // MARK: Names across nodes

    /// A claim younger than this whose collection has no manifest yet is a creation in progress elsewhere.
    static let pendingClaimAge: TimeInterval = 300

    /// Claims `name` in the bucket for `collectionID`. Returns the id of another live collection that holds it;
    /// nil once the claim is this collection's (a stale claim — deleted, renamed away, or abandoned mid-creation —
    /// is replaced).
    public func claimName(_ name: String, tenant: String, database: String, collectionID: String)
        async throws(CatalogError) -> String?
    {
        for _ in 0..<Self.maxAttempts {
            guard
                let held = try await manifests.claimName(
                    tenant: tenant, database: database, name: name, collectionID: collectionID, now: now())
            else { return nil }
            if let latest = try await manifests.latest(
                tenant: tenant, database: database, collectionID: held.collectionID)
            {
                if !latest.deleted && latest.name == name { return held.collectionID }
            } else if now().timeIntervalSince(held.createdAt) < Self.pendingClaimAge {
                return held.collectionID
            }
            if try await manifests.replaceNameClaim(
                held, tenant: tenant, database: database, collectionID: collectionID, now: now())
            {
                return nil
            }
        }
        throw CatalogError(.conflict, "the name \(name) kept changing hands")
    }

    /// Takes a collection another node created into this catalog (from its newest manifest).
    func adopt(collectionID: String, tenant: String, database databaseName: String) async throws(CatalogError)
        -> CollectionRecord
    {
        guard
            let latest = try await manifests.latest(tenant: tenant, database: databaseName, collectionID: collectionID),
            !latest.deleted
        else {
            throw CatalogError(.conflict, "collection \(collectionID) holds the name but is still being created")
        }
        let key = manifests.key(of: latest)
        try await database.perform { try $0.restore(latest, manifestKey: key) }
        return try database.collection(id: collectionID)
    }

    /// Publishes the successor of the collection's committed manifest, as changed by `change`: write it
    /// (ifNoneMatch), then commit it with compare-and-swap. Retries a few times when another writer got there
    /// first; a manifest found at the next version that the catalog never committed (a writer that crashed
    /// between the two steps) is rolled forward before retrying.
    @discardableResult
    public func publish(
        collectionID: String,
        _ change: (inout CollectionManifest, CollectionRecord) throws(CatalogError) -> Void
    ) async throws(CatalogError) -> CollectionRecord {
        var lastError = CatalogError(
            .conflict, "collection \(collectionID) kept changing under \(Self.maxAttempts) attempts")
        for _ in 0..<Self.maxAttempts {
            let record = try database.collection(id: collectionID)
            guard record.version > 0 else {
                throw CatalogError(.conflict, "Collection [\(record.name)] is still being created")
            }
            let current = try await manifests.read(
                tenant: record.tenant, database: record.database, collectionID: collectionID, version: record.version)
            var next = current.successor(at: now())
            next.dimension = next.dimension ?? record.dimension
            try change(&next, record)
            var mayExist = false
            switch try await writeAndCommit(next, over: record, manifestMayExist: &mayExist, discardUncommittable: true)
            {
            case .committed(let committed): return committed
            case .versionTaken(let error): lastError = error
            }
        }
        throw lastError
    }

    /// Publishes `next`, built from the committed version `record` names (a compaction's new segments cannot be
    /// rebased onto another version), in the one publish order: `conflict` when another writer took the version.
    /// `manifestMayExist` is set while `next` may be on the store (so a caller knows whether what the manifest
    /// names may still be published, by a roll-forward, and must stay).
    @discardableResult
    public func publish(
        _ next: CollectionManifest, over record: CollectionRecord, manifestMayExist: inout Bool
    ) async throws(CatalogError) -> CollectionRecord {
        // The manifest stays even when the catalog cannot take it: another node may already have read it, so what
        // it names is left for garbage collection.
        switch try await writeAndCommit(
            next, over: record, manifestMayExist: &manifestMayExist, discardUncommittable: false)
        {
        case .committed(let committed): return committed
        case .versionTaken(let error): throw error
        }
    }

    enum PublishOutcome {
        /// `next` is the committed version (committed here, or rolled forward by another process).
        case committed(CollectionRecord)
        /// Another writer's manifest holds the version (rolled forward if it was left uncommitted).
        case versionTaken(CatalogError)
    }

    /// The crash-safe publish order, the only implementation of it: the manifest create-only, then the catalog's
    /// compare-and-swap from `record.version`. A manifest of ours rolled forward by another process counts as
    /// committed; with `discardUncommittable`, one the catalog did not take while it stayed at `record.version` is
    /// removed so its version number stays free.
    private func writeAndCommit(
        _ next: CollectionManifest, over record: CollectionRecord, manifestMayExist: inout Bool,
        discardUncommittable: Bool
    ) async throws(CatalogError) -> PublishOutcome {
        let key = manifests.key(of: next)
        manifestMayExist = true
        do {
            _ = try await manifests.write(next)
        } catch  where error.code == .conflict {
            // The key is taken: by our own earlier attempt (a retried create), or by another writer.
            if (try? await manifests.read(key: key)) != next {
                manifestMayExist = false
                try await rollForward(record)
                return .versionTaken(error)
            }
        }
        do {
            return .committed(
                try await database.perform {
                    try $0.commitVersion(
                        collectionID: record.id, expected: record.version, manifest: next, manifestKey: key)
                })
        } catch {
            let committed = try? database.currentVersion(collectionID: record.id)
            if let committed, committed >= next.version, (try? await manifests.read(key: key)) == next {
                return .committed(try database.collection(id: record.id))
            }
            if discardUncommittable, committed == record.version {
                await discard(key)
                manifestMayExist = false
            }
            throw error.code == .conflict
                ? CatalogError(.conflict, "version \(next.version) of \(record.id) was published by another writer")
                : error
        }
    }

    /// Commits a manifest that exists at `record.version + 1` but that the catalog never took (a writer that
    /// crashed between writing and committing), if the catalog is still at `record.version`. A manifest that cannot
    /// be committed there (its name is taken…) could not be committed by its writer either, and is removed.
    public func rollForward(_ record: CollectionRecord) async throws(CatalogError) {
        let key = manifests.key(
            tenant: record.tenant, database: record.database, collectionID: record.id, version: record.version + 1)
        guard let orphan = try? await manifests.read(key: key) else { return }
        guard (try? database.currentVersion(collectionID: record.id)) == record.version else { return }
        do {
            try await database.perform {
                try $0.commitVersion(
                    collectionID: record.id, expected: record.version, manifest: orphan, manifestKey: key)
            }
        } catch {
            if (try? database.currentVersion(collectionID: record.id)) == record.version { await discard(key) }
        }
    }

    /// Removes a manifest that was never committed (best effort: a leftover is rolled forward or removed later).
    func discard(_ key: String) async {
        try? await manifests.store.delete(key)
    }

    static let maxAttempts = 8
}
