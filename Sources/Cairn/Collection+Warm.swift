// Reading a collection's current version object by object, so that a node's disk cache holds it before the first
// query (`cairn warm`, docs/operations.md). The list comes first (what `cairn check` walks: manifest, roots, blocks,
// HNSW files) so the job knows its total; then the objects are read through the client's store, which keeps them.
import Compaction
import Foundation
import ObjectStore

/// What `Collection.warm` read.
public struct WarmSummary: Sendable, Hashable {
    /// The version whose objects were read.
    public let version: UInt64
    /// Objects and bytes the version is made of (all were read, through the caches).
    public let objects: Int
    public let bytes: Int
}

extension Collection {
    /// Reads every object of the current version through the client's store: with a disk cache
    /// (`Client.Options.cacheDirectory`) they are on this node's disk afterwards. Lists the version's objects
    /// first, so `reporter` hears objects and bytes done of their totals ("warming"). Objects already in the cache
    /// cost no request (`Client.measuringFetches` tells what came from the bucket).
    public func warm(parallelism: Int = 8, reporter: ProgressReporter? = nil) async throws -> WarmSummary {
        try await boundary {
            let record = try context.catalog.call { try $0.collection(id: id) }
            let manifest = try await context.keptManifest(collectionID: id, at: .version(record.version))
            let path = runtime.path
            let store = context.store
            reporter?(JobProgress("listing \(name)'s objects", unit: "objects", done: 0))
            let keys = try await VersionContents.objectKeys(
                of: manifest, manifestKey: path.version(manifest.version), path: path, store: store)
            let sizes = try await Self.sizes(of: keys, store: store)
            let bytesTotal = sizes.reduce(0, +)
            var done = 0
            var bytes = 0
            reporter?(
                JobProgress("warming", unit: "objects", done: 0, total: keys.count, bytes: 0, bytesTotal: bytesTotal))
            try await withBoundedParallelism(count: keys.count, limit: parallelism) { index in
                _ = try await store.get(keys[index])
            } consume: { index, _ in
                done += 1
                bytes += sizes[index]
                reporter?(
                    JobProgress(
                        "warming", unit: "objects", done: done, total: keys.count, bytes: bytes,
                        bytesTotal: bytesTotal))
            }
            return WarmSummary(version: manifest.version, objects: keys.count, bytes: bytesTotal)
        }
    }

    /// The size of each object, from one listing per folder the keys are in (a fork's keys may be in its parent's
    /// segment folders); an object no listing shows (none expected) is asked for alone.
    private static func sizes(of keys: [String], store: any ObjectStore) async throws -> [Int] {
        var folders: [String] = []
        for key in keys {
            let folder = key.segmentFolder
            if !folders.contains(folder) { folders.append(folder) }
        }
        var size: [String: Int] = [:]
        for folder in folders {
            for object in try await store.listAll(prefix: folder) { size[object.key] = object.size }
        }
        var sizes: [Int] = []
        for key in keys {
            if let known = size[key] {
                sizes.append(known)
            } else {
                sizes.append(try await store.head(key).size)
            }
        }
        return sizes
    }
}

extension String {
    /// The folder to list for this key's size: its segment's (`…/segment/{id}/`) for a segment object, its own
    /// parent folder otherwise (a manifest's `…/version/`).
    fileprivate var segmentFolder: String {
        if let marker = range(of: "/segment/"),
            let slash = self[marker.upperBound...].firstIndex(of: "/")
        {
            return String(self[..<index(after: slash)])
        }
        return String(self[...(lastIndex(of: "/") ?? startIndex)])
    }
}
