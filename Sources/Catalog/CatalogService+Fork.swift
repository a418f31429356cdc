// A fork: a new collection whose first version names another collection's files (decision 0021). Nothing is
// copied but the parent's uncompacted log (by the caller, in `prepare`); the publish order is the one of every
// creation (reserve, claim the name, manifest, compare-and-swap), with the ancestors' fork markers written before
// the manifest so that their garbage collection finds the fork before it names anything.
import CairnJSON
import Foundation
import ObjectStore

extension CatalogService {
    /// Creates collection `name`, in the database of `source`, as a fork of the version `source` is (a committed
    /// manifest of its collection, stored at `sourceKey`). `prepare` gets the fork's id once the name is claimed and
    /// the markers are written, before the manifest (the caller copies the parent's log tail into the fork's log
    /// there). The catalog learns of the fork only from its manifest: a fork cut short by a crash is never found half
    /// made (a creation's row at version 0 would be finished as an empty collection). If `source` is
    /// garbage-collected before the fork is published, the fork is deleted again and `conflict` thrown.
    public func forkCollection(
        from source: CollectionManifest, sourceKey: String, name: String,
        prepare: (_ forkID: String) async throws -> Void
    ) async throws(CatalogError) -> CollectionRecord {
        guard !source.deleted else { throw CatalogError(.notFound, "Collection [\(source.name)] does not exist") }
        try NameValidation.validate(collectionName: name)
        let (tenant, databaseName) = (source.tenant, source.database)
        if let local = try? database.collection(tenant: tenant, database: databaseName, name: name) {
            try await catchUp(collectionID: local.id)  // the bucket may say it no longer has the name
            if (try? database.collection(tenant: tenant, database: databaseName, name: name)) != nil {
                throw CatalogError(.alreadyExists, "Collection [\(name)] already exists")
            }
        }
        let forkID = UUID().uuidString.lowercased()
        if try await claimName(name, tenant: tenant, database: databaseName, collectionID: forkID) != nil {
            throw CatalogError(.alreadyExists, "Collection [\(name)] already exists")
        }
        let lineage = [source.collectionID] + source.lineage
        for ancestor in lineage {
            try await manifests.writeForkMarker(
                tenant: tenant, database: databaseName, ancestorID: ancestor, childID: forkID, now: now())
        }
        do {
            try await prepare(forkID)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError(.storage, "preparing the fork of \(source.name): \(error)")
        }
        let time = Milliseconds.rounded(now())
        var manifest = CollectionManifest(
            collectionID: forkID, tenant: tenant, database: databaseName, name: name, metadata: source.metadata,
            configuration: source.configuration, dimension: source.dimension, version: 1, parentVersion: nil,
            compactedLogOffset: source.compactedLogOffset, maxOffsetID: source.maxOffsetID,
            recordCount: source.recordCount, createdAt: time, updatedAt: time, segments: Self.forkedSegments(of: source)
        )
        manifest.lineage = lineage
        manifest.forkedFromVersion = source.version
        let key = manifests.key(of: manifest)
        _ = try await manifests.write(manifest)
        let published = manifest
        _ = try await database.perform { try $0.restore(published, manifestKey: key) }
        // Garbage collection deletes a version's manifest before its files, and looks for new fork markers in
        // between: while the source manifest is there, no run can delete what the fork names.
        guard (try? await manifests.read(key: sourceKey)) != nil else {
            _ = try? await deleteCollection(id: forkID)
            throw CatalogError(
                .conflict,
                "version \(source.version) of collection [\(source.name)] was garbage-collected while it was being "
                    + "forked; nothing was created")
        }
        return try database.collection(id: forkID)
    }

    /// The segments of a fork's first version: new ids (a segment belongs to one collection, and the fork writes
    /// its next versions under its own), each naming the source's files by qualified id.
    static func forkedSegments(of source: CollectionManifest) -> [SegmentManifest] {
        source.segments.map { segment in
            SegmentManifest(
                id: UUID().uuidString.lowercased(), kind: segment.kind, scope: segment.scope,
                files: segment.files.mapValues { file in
                    QualifiedID.parse(file) != nil
                        ? file
                        : QualifiedID.make(collectionID: source.collectionID, segmentID: segment.id, objectID: file)
                })
        }
    }
}
