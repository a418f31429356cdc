// Where one blockfile's objects live: the blocks and roots of a segment, keyed as ObjectPath lays them out.
import ObjectStore

public struct BlockfileLocation: Sendable, Hashable {
    public let collection: CollectionPath
    public let segmentID: String

    public init(collection: CollectionPath, segmentID: String) {
        self.collection = collection
        self.segmentID = segmentID
    }

    func blockKey(_ blockID: String) -> String { collection.block(segmentID: segmentID, blockID: blockID) }
    func rootKey(_ rootID: String) -> String { collection.root(segmentID: segmentID, rootID: rootID) }
}
