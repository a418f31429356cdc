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

    /// Where the version this location names `rootID` lives, and its root's own id there: a fork names its
    /// parent's roots by qualified id (`QualifiedID`), and the bare block ids in a root are its own segment's.
    public func home(ofRoot rootID: String) -> (location: BlockfileLocation, rootID: String) {
        let (segment, id) = segment.resolving(rootID)
        return (BlockfileLocation(segment: segment), id)
    }

    /// `ref` as a root of another segment names it: its block and delta by qualified id.
    func qualified(_ ref: BlockRef) -> BlockRef {
        var ref = ref
        ref.blockID = segment.qualified(ref.blockID)
        ref.deltaID = ref.deltaID.map(segment.qualified)
        return ref
    }
}
