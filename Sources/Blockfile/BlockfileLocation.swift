// Where one blockfile's objects live: the blocks and roots of a segment, keyed as ObjectPath lays them out.
import ObjectStore

public struct BlockfileLocation: Sendable, Hashable {
    public let segment: SegmentPath

    public init(segment: SegmentPath) {
        self.segment = segment
    }

    public init(collection: CollectionPath, segmentID: String) {
        self.init(segment: collection.segment(segmentID))
    }

    func blockKey(_ blockID: String) -> String { segment.block(blockID) }
    func rootKey(_ rootID: String) -> String { segment.root(rootID) }
}
