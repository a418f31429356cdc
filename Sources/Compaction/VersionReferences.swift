// What one collection version is made of, as garbage collection and `cairn check` walk it: the manifest, each
// blockfile root its segments name (and through the roots, every block; a SPANN index is four blockfiles), and its
// HNSW index. Also the walk over
// every collection folder in the bucket that both start from.
import Blockfile
import Catalog
import Foundation
import ObjectStore
import Segments
import VectorIndex

/// One blockfile version a manifest names.
struct BlockfileReference: Sendable, Hashable {
    var segmentID: String
    /// The name in the segment's `files` (e.g. `records`).
    var file: String
    var location: BlockfileLocation
    var rootID: String
}

/// The objects of one collection version, before its roots are read.
struct VersionReferences: Sendable {
    var version: UInt64
    var manifestKey: String
    var blockfiles: [BlockfileReference]
    var index: HNSWIndexLocation?
    /// The version keeps its vectors in its record segment (no index: decision 0025).
    var vectorsInRecords = false
    /// The version's vector index is SPANN (its four blockfiles are among `blockfiles`).
    var spann = false

    /// The references of `manifest`, stored at `manifestKey` in the collection at `path`. A tombstone still names
    /// its segments (they are garbage once it is the newest version, but a check can still walk them).
    init(manifest: CollectionManifest, manifestKey: String, path: CollectionPath) throws(CompactionError) {
        guard let segments = CollectionSegments(manifest: manifest) else {
            throw CompactionError(.failed, "\(manifestKey) lacks a record, metadata or vector segment")
        }
        version = manifest.version
        self.manifestKey = manifestKey
        // The record and metadata segments' files are all blockfiles; the vector segment's are when it is a SPANN
        // index (an HNSW index is its own kind of object, below).
        var vector = segments.vector
        vector.files = vector.files.filter { VectorSegmentFiles.blockfiles.contains($0.key) }
        blockfiles = [segments.record, segments.metadata, vector].flatMap { segment in
            segment.files.sorted { $0.key < $1.key }.map { file, named in
                // A fork's version names its parent's roots by qualified id: walked where they are.
                let (location, rootID) = BlockfileLocation(collection: path, segmentID: segment.id).home(ofRoot: named)
                return BlockfileReference(segmentID: segment.id, file: file, location: location, rootID: rootID)
            }
        }
        index = segments.hnswLocation(collection: path)
        vectorsInRecords = segments.vectorsInRecords
        spann = segments.holdsSpann
    }
}

extension VersionReferences {
    /// The keys of every root and block the version's blockfiles name, reading each root (`what` names the version
    /// in errors).
    func blockfileKeys(store: any ObjectStore, what: String) async throws(CompactionError) -> [String] {
        var keys: [String] = []
        for blockfile in blockfiles {
            let rootObject: BlockfileRoot
            do {
                rootObject = try await blockfile.location.readRoot(blockfile.rootID, store: store)
            } catch {
                throw CompactionError(
                    .failed, "\(what) names root \(blockfile.rootID) that cannot be read: \(error)")
            }
            keys += blockfile.location.objectKeys(of: rootObject)
        }
        return keys
    }
}

/// What one collection version reads, object by object: what `cairn warm` fetches into a node's disk cache.
public enum VersionContents {
    /// The keys of the version's manifest (stored at `manifestKey`), every blockfile root and block its segments
    /// name and its HNSW index files, in that order, each once. Reads the roots (a few small objects) to list the
    /// blocks.
    public static func objectKeys(
        of manifest: CollectionManifest, manifestKey: String, path: CollectionPath, store: any ObjectStore
    ) async throws(CompactionError) -> [String] {
        let references = try VersionReferences(manifest: manifest, manifestKey: manifestKey, path: path)
        var keys = [manifestKey]
        keys += try await references.blockfileKeys(store: store, what: "version \(manifest.version)")
        if let index = references.index { keys += [index.headerKey, index.dataKey] }
        var seen = Set<String>()
        return keys.filter { seen.insert($0).inserted }
    }
}

/// A collection's folder in the bucket, whatever the catalog says about it.
struct CollectionFolder: Sendable, Hashable {
    var tenant: String
    var database: String
    var collectionID: String

    /// Every collection folder under every tenant and database folder of the store.
    static func all(in manifests: ManifestStore) async throws(CatalogError) -> [CollectionFolder] {
        var folders: [CollectionFolder] = []
        for tenant in try await manifests.tenantNames().sorted() {
            for database in try await manifests.databaseNames(tenant: tenant).sorted() {
                for id in try await manifests.collectionIDs(tenant: tenant, database: database).sorted() {
                    folders.append(CollectionFolder(tenant: tenant, database: database, collectionID: id))
                }
            }
        }
        return folders
    }

    func path(_ root: ObjectPath) -> CollectionPath {
        root.collection(tenant: tenant, database: database, collectionID: collectionID)
    }
}
