// What one compaction does to the segments, worked out from the materialized log before anything is written:
// which offset ids are removed, which records are written where, and which vectors go into the index.
import Blockfile
import Segments

struct CompactionPlan {
    /// A record leaving the segments: its offset id and the state the segments hold (for the metadata index).
    struct Removal {
        var offsetID: UInt32
        var record: DataRecord
    }

    /// A record written to the segments, replacing `previous` at the same offset id when it is an update in place.
    struct Write {
        var offsetID: UInt32
        var record: DataRecord
        var previous: DataRecord?
    }

    var removals: [Removal] = []
    var writes: [Write] = []
    var maxOffsetID: UInt32
    var added = 0
    var updated = 0
    var deleted = 0

    /// Plans from materialized entries. New and re-created records take offset ids after `maxOffsetID`, in the
    /// order the log created them (so `get` returns the same order before and after compaction).
    init(entries: [String: MaterializedEntry], maxOffsetID: UInt32) throws {
        self.maxOffsetID = maxOffsetID
        var created: [(sequence: Int, record: DataRecord)] = []
        for entry in entries.values {
            let replacedOrGone = entry.current == nil || entry.createdSequence != nil
            if replacedOrGone, let offsetID = entry.offsetID, let compacted = entry.compacted {
                removals.append(Removal(offsetID: offsetID, record: compacted))
                if entry.current == nil { deleted += 1 }
            }
            guard let current = entry.current else { continue }
            if let sequence = entry.createdSequence {
                created.append((sequence, current))
            } else if entry.isChanged, let offsetID = entry.offsetID {
                writes.append(Write(offsetID: offsetID, record: current, previous: entry.compacted))
                updated += 1
            }
        }
        created.sort { $0.sequence < $1.sequence }
        for (_, record) in created {
            guard self.maxOffsetID < UInt32.max - 1 else {
                throw CompactionError(.exhausted, "the collection has used every offset id")
            }
            self.maxOffsetID += 1
            writes.append(Write(offsetID: self.maxOffsetID, record: record, previous: nil))
            added += 1
        }
    }

    var isEmpty: Bool { removals.isEmpty && writes.isEmpty }

    /// The writes whose vector an index must take: new records, and updates that changed the embedding (a
    /// metadata-only update keeps the vector the index holds).
    var vectorWrites: [Write] {
        writes.filter { $0.previous == nil || $0.previous?.embedding != $0.record.embedding }
    }
}
