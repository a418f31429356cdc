// A graph built elsewhere over vectors a compaction is about to publish — the log tail's in-memory index (decision
// 0020) — offered to the compaction so that it does not build the same graph a second time. The compaction decides
// whether to take it (it must cost fewer additions than forking the version's own graph) and adds what it lacks.
import Bitmaps
import VectorIndex

/// What a compaction tells a seeder about the version it is writing.
public struct IndexSeedRequest: Sendable {
    public struct Write: Sendable {
        public var offsetID: UInt32
        public var id: String
        public var embedding: [Float]?
    }

    public var collectionID: String
    /// The version the compaction extends.
    public var extending: UInt64
    /// The records the compaction writes, at their offset ids.
    public var writes: [Write]
    /// Every live offset id of the new version.
    public var live: RoaringBitmap
}

/// A seeder's offer: how much of the new version's graph it holds already, and a private copy on request.
public struct IndexSeed: Sendable {
    /// Live records of the new version the graph holds (an estimate: the copy may hold a few more).
    public var covered: Int
    /// Elements in the graph; those not in the new version are marked deleted in the copy.
    public var elements: Int
    /// A private copy of the graph labelled by offset id, every element that is not a live record of the new
    /// version marked deleted (under a label above every offset id); and the offset ids it holds.
    public var graph: @Sendable () async throws -> (index: HNSWIndex, holds: RoaringBitmap)
    /// Called once the version is published, whether the graph was used or not (the seeder remembers which of
    /// its vectors the version holds).
    public var published: @Sendable (_ version: UInt64) async -> Void

    public init(
        covered: Int, elements: Int,
        graph: @escaping @Sendable () async throws -> (index: HNSWIndex, holds: RoaringBitmap),
        published: @escaping @Sendable (_ version: UInt64) async -> Void
    ) {
        self.covered = covered
        self.elements = elements
        self.graph = graph
        self.published = published
    }
}

/// Offers compactions a graph they may start from (the runtime of a collection whose tail is indexed).
public protocol IndexSeeding: Sendable {
    func seed(_ request: IndexSeedRequest) async -> IndexSeed?
}
