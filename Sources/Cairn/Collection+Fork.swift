// Forks (decision 0021): a new collection that starts as this one is — or as one of its kept versions was — in
// constant time. Its first version names this collection's files (blockfiles, HNSW index); only the uncompacted
// log is copied. From then on the two diverge: each compaction writes the collection's own files, and garbage
// collection keeps a file while any version of any collection that descends from its owner names it.
import Catalog
import Foundation
import Log

extension Collection {
    /// A new collection `newName` in this database holding exactly this collection's records now (every write
    /// acknowledged before the call), or those of the kept version `asOf` names (`versions()`). Chroma's
    /// `collection.fork(new_name)`.
    public func fork(_ newName: String, asOf point: ReadPoint? = nil) async throws -> Collection {
        try await boundary {
            let source: CollectionManifest
            if let point {
                source = try await context.keptManifest(collectionID: id, at: point)
            } else {
                source = try await context.catalog.manifest(
                    of: try context.catalog.call { try $0.collection(id: id) })
            }
            let sourceKey = context.catalog.manifests.key(of: source)
            let wal = runtime.wal
            let root = context.root
            let record = try await context.catalog.serviceCall {
                try await $0.forkCollection(from: source, sourceKey: sourceKey, name: newName) { forkID in
                    // A fork of the current state takes the writes not compacted yet; a version is its segments.
                    guard point == nil else { return }
                    let childPath = root.collection(
                        tenant: source.tenant, database: source.database, collectionID: forkID)
                    do {
                        try await wal.copyFragments(after: source.compactedLogOffset, to: childPath)
                    } catch let error as LogError {
                        throw CatalogError(.storage, "copying the log of [\(name)] to its fork: \(error.message)")
                    }
                }
            }
            return try context.collection(record)
        }
    }

    /// How many forks exist in this collection's family: the collections forked, directly or not, from the
    /// collection it descends from (or from this one), not counting that one (Chroma's `fork_count`).
    public func forkCount() async throws -> Int {
        try await boundary {
            let manifest = try await context.catalog.manifest(
                of: try context.catalog.call { try $0.collection(id: id) })
            let origin = manifest.lineage.last ?? id
            let children = try await context.catalog.serviceCall {
                try await $0.manifests.forkChildren(tenant: tenant, database: database, collectionID: origin)
            }
            return children.count { child in (try? context.catalog.call { try $0.collection(id: child) }) != nil }
        }
    }
}
