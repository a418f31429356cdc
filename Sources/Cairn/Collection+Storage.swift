// What a collection occupies in the store, for operators (the web console's collection page): the segments its
// current version names, and the bytes under each segment's folder, its log and its version manifests.
import Catalog
import Foundation
import ObjectStore

/// A collection's objects in the store, grouped as the key layout groups them.
public struct CollectionStorage: Sendable, Hashable {
    /// One segment of the current version, with what its folder holds.
    public struct Segment: Sendable, Hashable {
        public let id: String
        /// `record`, `metadata` or `vector`.
        public let kind: String
        /// Which implementation serves it.
        public let scope: String
        /// The files the current version names in it (file name → root or index id).
        public let files: [String: String]
        /// Objects and bytes in the segment's folder: the current version's files and those of older versions not
        /// yet garbage-collected. A fork's files that live in its parent's folder are counted there, not here.
        public let objects: Int
        public let bytes: Int
    }

    /// Objects and bytes of one kind.
    public struct Usage: Sendable, Hashable {
        public var objects = 0
        public var bytes = 0
    }

    /// The current version, whose manifest names `segments`.
    public let version: UInt64
    public let segments: [Segment]
    /// Write-ahead log fragments not yet removed (compacted fragments go with garbage collection).
    public let log: Usage
    /// Version manifests (one per kept version).
    public let manifests: Usage
    /// Everything in the collection's folder, segments of older versions and fork markers included.
    public let total: Usage
}

extension Collection {
    /// The current version's segments and what the collection's folder holds: one listing of the folder (a few
    /// LIST requests on S3 per thousand objects; nothing is read).
    public func storage() async throws -> CollectionStorage {
        try await boundary {
            let record = try context.catalog.call { try $0.collection(id: id) }
            let manifest = try await context.keptManifest(collectionID: id, at: .version(record.version))
            let path = runtime.path
            var bySegment: [String: CollectionStorage.Usage] = [:]
            var log = CollectionStorage.Usage()
            var manifests = CollectionStorage.Usage()
            var total = CollectionStorage.Usage()
            let segmentsPrefix = path.root + "segment/"
            for object in try await context.store.listAll(prefix: path.root) {
                total.objects += 1
                total.bytes += object.size
                switch path.kind(ofKey: object.key) {
                case .log:
                    log.objects += 1
                    log.bytes += object.size
                case .manifest:
                    manifests.objects += 1
                    manifests.bytes += object.size
                default:
                    guard object.key.hasPrefix(segmentsPrefix) else { continue }
                    let segmentID = String(object.key.dropFirst(segmentsPrefix.count).prefix { $0 != "/" })
                    bySegment[segmentID, default: .init()].objects += 1
                    bySegment[segmentID, default: .init()].bytes += object.size
                }
            }
            let segments = manifest.segments.map { segment in
                let usage = bySegment[segment.id] ?? .init()
                return CollectionStorage.Segment(
                    id: segment.id, kind: segment.kind.rawValue, scope: segment.scope, files: segment.files,
                    objects: usage.objects, bytes: usage.bytes)
            }
            return CollectionStorage(
                version: manifest.version, segments: segments, log: log, manifests: manifests, total: total)
        }
    }
}

extension Client {
    /// Every tenant's name, oldest first.
    public func tenants() throws -> [String] {
        try synchronousBoundary {
            try context.catalog.call { try $0.listTenants().map(\.name) }
        }
    }
}
