// What `get_indexing_status` reports: records in the indexed (compacted) version, writes waiting in the log.

public struct IndexingStatus: Sendable, Hashable {
    /// Records in the collection's compacted version: in its HNSW, metadata and record segments.
    public var indexed: Int
    /// Log records (adds, updates, upserts, deletes) not yet folded in by compaction.
    public var unindexed: Int

    public init(indexed: Int, unindexed: Int) {
        self.indexed = indexed
        self.unindexed = unindexed
    }

    public var total: Int { indexed + unindexed }

    /// The indexed share of all operations, 1 when there is nothing at all.
    public var progress: Double { total == 0 ? 1 : Double(indexed) / Double(total) }
}
