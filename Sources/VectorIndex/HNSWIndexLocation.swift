// Where one HNSW index lives in the object store: the keys come from ObjectStore's CollectionPath alone.
import ObjectStore

public struct HNSWIndexLocation: Sendable, Hashable, CustomStringConvertible {
    public var collection: CollectionPath
    public var segmentID: String
    /// Unique per written index (a fork gets a new one): the provider's cache key.
    public var indexID: String

    /// `indexID` may name another collection's index (`QualifiedID`, a fork's first versions): the location is
    /// then that index's own.
    public init(collection: CollectionPath, segmentID: String, indexID: String) {
        (self.collection, self.segmentID, self.indexID) = collection.resolve(segmentID: segmentID, id: indexID)
    }

    /// Cairn's header (format version, dimension, parameters, sizes).
    public var headerKey: String { collection.hnswFile(segmentID: segmentID, indexID: indexID, file: "header.json") }
    /// The hnswlib index file, byte for byte as hnswlib wrote it.
    public var dataKey: String { collection.hnswFile(segmentID: segmentID, indexID: indexID, file: "index.bin") }
    public var prefix: String { collection.hnswPrefix(segmentID: segmentID, indexID: indexID) }

    /// The same segment with another index id (where a fork is written).
    public func with(indexID: String) -> HNSWIndexLocation {
        HNSWIndexLocation(collection: collection, segmentID: segmentID, indexID: indexID)
    }

    public var description: String { prefix }
}
