// One search result: an offset id and its distance to the query.

/// Offset ids are the labels of vectors in an index (UInt32, as in Chroma and in roaring bitmaps).
public typealias OffsetID = UInt32

public struct Neighbor: Sendable, Hashable {
    public var id: OffsetID
    public var distance: Float

    public init(id: OffsetID, distance: Float) {
        self.id = id
        self.distance = distance
    }
}
