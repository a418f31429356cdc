// The uncompacted end of a collection's log, materialized on top of one version's segments: what reads add to
// (and hide from) the compacted segments so that every acknowledged write is visible to the next read.
import Bitmaps
import Blockfile
import Log
import Segments

/// A record whose current state comes from the tail, ready for brute-force search and filter evaluation.
struct TailRecord: Sendable {
    var record: DataRecord
    var metadata: Metadata?
    /// For a compacted record the tail updated in place: its offset id (it keeps its place in the order).
    /// Nil for a record the tail created (it sorts after every compacted record, in creation order).
    var offsetID: UInt32?
}

/// The tail's effect, for readers.
struct TailView: Sendable {
    /// Through which log offset the tail has been applied.
    var through: UInt64
    /// Records whose current state comes from the tail: first those updated in place (by offset id), then those
    /// the tail created (in creation order). This is the order `get` returns them in.
    var records: [TailRecord]
    /// How many of `records` are updates in place (they come first).
    var updatedInPlace: Int
    /// Position of each user id in `records`.
    var index: [String: Int]
    /// Ids the tail removed.
    var deleted: Set<String>
    /// Offset ids of compacted records the tail changed, replaced or deleted: the segments' copies are stale.
    var masked: RoaringBitmap
    /// Compacted records that are gone (deleted, or deleted and created again).
    var compactedRemoved: Int
    /// Records the tail created.
    var created: Int
    /// Row-major embeddings of `records` (dimension `dimension`), for brute force.
    var vectors: [Float]
    var dimension: Int
    /// Log records (writes) the tail holds: what compaction has yet to fold in.
    var logRecords = 0

    static let empty = TailView(
        through: 0, records: [], updatedInPlace: 0, index: [:], deleted: [], masked: RoaringBitmap(),
        compactedRemoved: 0, created: 0, vectors: [], dimension: 0)
}

/// Builds `TailView`s incrementally as fragments arrive.
struct LogTailBuilder: Sendable {
    private(set) var through: UInt64
    /// Log records applied so far.
    private(set) var logRecords = 0
    private var materializer: LogMaterializer

    init(compactedOffset: UInt64) {
        through = compactedOffset
        materializer = LogMaterializer(merge: MetadataMerging.merge, normalize: MetadataMerging.normalize)
    }

    /// Applies `fragments` (consecutive, starting at `through + 1`), looking up the compacted state of new ids.
    mutating func apply(_ fragments: [LogFragment], snapshot: VersionSnapshot) async throws {
        let records = fragments.flatMap(\.records)
        try await materializer.seed(for: records, from: snapshot.records)
        try materializer.apply(records)
        logRecords += records.count
        if let last = fragments.last { through = last.offset }
    }

    /// The readers' view of what has been applied.
    func view(dimension: Int?) throws -> TailView {
        var updated: [(UInt32, TailRecord)] = []
        var created: [(Int, TailRecord)] = []
        var deleted = Set<String>()
        var masked = RoaringBitmap()
        var compactedRemoved = 0
        for (id, entry) in materializer.entries {
            guard let current = entry.current else {
                if let offset = entry.offsetID {
                    masked.insert(offset)
                    compactedRemoved += 1
                }
                deleted.insert(id)
                continue
            }
            if let sequence = entry.createdSequence {
                if let offset = entry.offsetID {
                    masked.insert(offset)
                    compactedRemoved += 1
                }
                created.append(
                    (sequence, TailRecord(record: current, metadata: try metadata(of: current), offsetID: nil)))
            } else if entry.isChanged, let offset = entry.offsetID {
                masked.insert(offset)
                updated.append(
                    (offset, TailRecord(record: current, metadata: try metadata(of: current), offsetID: offset)))
            }
        }
        updated.sort { $0.0 < $1.0 }
        created.sort { $0.0 < $1.0 }
        let records = updated.map(\.1) + created.map(\.1)
        var index: [String: Int] = [:]
        index.reserveCapacity(records.count)
        for (position, tail) in records.enumerated() { index[tail.record.id] = position }
        let dimension = dimension ?? records.first?.record.embedding?.count ?? 0
        var vectors: [Float] = []
        vectors.reserveCapacity(records.count * dimension)
        for tail in records {
            if let embedding = tail.record.embedding, embedding.count == dimension {
                vectors.append(contentsOf: embedding)
            } else {
                vectors.append(contentsOf: repeatElement(Float.nan, count: dimension))
            }
        }
        return TailView(
            through: through, records: records, updatedInPlace: updated.count, index: index, deleted: deleted,
            masked: masked, compactedRemoved: compactedRemoved, created: created.count, vectors: vectors,
            dimension: dimension, logRecords: logRecords)
    }

    private func metadata(of record: DataRecord) throws -> Metadata? {
        guard let json = record.metadataJSON else { return nil }
        do {
            return try Metadata(jsonText: json)
        } catch {
            throw CairnError(.corrupt, "metadata of \(record.id) in the log: \(error.message)")
        }
    }
}
