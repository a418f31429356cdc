// The uncompacted end of a collection's log, materialized on top of one version's segments: what reads add to
// (and hide from) the compacted segments so that every acknowledged write is visible to the next read. It grows
// incrementally: a refresh applies only the new fragments, and the record versions it makes current are appended
// to the tail's slots (TailSlots), which the tail's vector index and filter results follow (decision 0020).
import Bitmaps
import Blockfile
import Log
import Segments

/// The tail's effect, for readers: a cheap value sharing the tail's storage.
struct TailView: Sendable {
    /// Through which log offset the tail has been applied.
    var through: UInt64
    /// Log records (writes) the tail holds: what compaction has yet to fold in.
    var logRecords: Int
    /// Of those, the log's high-water marks (decision 0023): no writes, nothing indexing waits for.
    var highWaterMarks = 0
    /// The tail's record versions (nil before the tail made any record current).
    var slots: TailSlots?
    /// The slots whose record version is current: one per record that comes from the tail.
    var live: RoaringBitmap
    /// The live slot of each id whose current state comes from the tail.
    var slotOfID: [String: UInt32]
    /// Ids the tail removed.
    var deleted: Set<String>
    /// Offset ids of compacted records the tail changed, replaced or deleted: the segments' copies are stale.
    var masked: RoaringBitmap
    /// Compacted records that are gone (deleted, or deleted and created again).
    var compactedRemoved: Int
    /// Records the tail created.
    var created: Int
    /// The vector index over a prefix of the slots (nil when there is none yet).
    var index: TailIndex?
    /// Set when that index also holds every record of the version the view is over (it was published from it).
    var coverage: TailCoverage?

    static let empty = TailView(
        through: 0, logRecords: 0, slots: nil, live: RoaringBitmap(), slotOfID: [:], deleted: [],
        masked: RoaringBitmap(), compactedRemoved: 0, created: 0, index: nil)

    /// The vectors' dimension (0 before the tail holds a record).
    var dimension: Int { slots?.dimension ?? 0 }

    /// The record version in a live slot.
    subscript(slot: UInt32) -> TailRecord { slots![slot] }

    /// The slots of `selection` (live ones) in `get` order: compacted records updated in place by offset id, then
    /// the records the tail created, in creation order.
    func orderedSlots(within selection: RoaringBitmap) -> [UInt32] {
        guard let slots else { return [] }
        var updated: [(UInt32, UInt32)] = []
        var created: [(UInt64, UInt32)] = []
        for slot in selection.array {
            let record = slots[slot]
            if let offset = record.offsetID {
                updated.append((offset, slot))
            } else {
                created.append((record.createdAt ?? 0, slot))
            }
        }
        updated.sort { $0.0 < $1.0 }
        created.sort { $0.0 < $1.0 }
        return updated.map(\.1) + created.map(\.1)
    }
}

/// Builds the tail incrementally as fragments arrive. Applying is split in two: `seeds` reads the compacted state
/// of new ids from the store (async, changes nothing), `apply` changes the builder (synchronous, in place).
struct LogTailBuilder: Sendable {
    private(set) var through: UInt64
    /// Log records applied so far.
    private(set) var logRecords = 0
    private var highWaterMarks = 0
    private var materializer: LogMaterializer
    private(set) var slots: TailSlots?
    private var live = RoaringBitmap()
    private var slotOfID: [String: UInt32] = [:]
    private var deleted: Set<String> = []
    private var masked = RoaringBitmap()
    private var compactedRemoved = 0
    private var created = 0

    /// Slots of the tail this one replaces (over an older version), offered for reuse: a record version this tail
    /// makes current that is the same as one of them keeps its slot, and so its place in the tail index.
    private var donated: [String: UInt32] = [:]

    /// A tail over a version whose log is compacted through `compactedOffset`. With `donor` (the tail over the
    /// version before), the new tail appends to the donor's slots and reuses those it would write again — after a
    /// compaction the records it did not fold are neither copied nor indexed a second time.
    init(compactedOffset: UInt64, donor: LogTailBuilder? = nil) {
        through = compactedOffset
        materializer = LogMaterializer(merge: MetadataMerging.merge, normalize: MetadataMerging.normalize)
        if let donor, let slots = donor.slots {
            self.slots = slots
            donated = donor.slotOfID
        }
    }

    /// Whether three quarters of the tail's slots are no longer current (it took over an older tail's): a fresh
    /// tail — a smaller store and index — is then cheaper to keep and search than the shared one.
    var mostSlotsStale: Bool {
        guard let slots else { return false }
        return live.count * 4 < slots.count
    }

    /// A write's place in the log: its fragment's offset and its index in the fragment, as one ordered number.
    static func position(offset: UInt64, index: Int) -> UInt64 {
        offset << 20 | UInt64(index)  // a fragment holds at most 100,000 records (< 2^20)
    }

    /// The compacted state of the ids `fragments` touch that the tail has not seen yet.
    func seeds(for fragments: [LogFragment], snapshot: VersionSnapshot) async throws -> [LogMaterializer.Seed] {
        try await materializer.compactedState(for: fragments.flatMap(\.records), in: snapshot.records)
    }

    /// Applies `fragments` (consecutive, starting at `through + 1`) with the seeds `seeds(for:)` read for them.
    /// `dimension` is the collection's (the first record's when the catalog has none yet). After a throw (corrupt
    /// metadata in the log) the builder is half-applied and must be replaced. `ownWrites`: the fragments are ones
    /// this process's writer just made (their metadata is in stored form already).
    mutating func apply(
        _ fragments: [LogFragment], seeds: [LogMaterializer.Seed], dimension: Int?, ownWrites: Bool = false
    ) throws {
        let records = fragments.flatMap(\.records)
        // The log position of each record of this run, by its sequence number in the materializer.
        let firstSequence = logRecords + 1
        let positions = fragments.flatMap { fragment in
            fragment.records.indices.map { Self.position(offset: fragment.offset, index: $0) }
        }
        materializer.seed(seeds)
        var seen = Set<String>()
        let touched = records.map(\.id).filter { seen.insert($0).inserted }
        let before = touched.map { materializer.entries[$0] }
        try materializer.apply(records, metadataInStoredForm: ownWrites)
        for (id, old) in zip(touched, before) {
            guard let new = materializer.entries[id] else { continue }
            var createdAt: UInt64?
            if let sequence = new.createdSequence {
                createdAt =
                    sequence >= firstSequence
                    ? positions[sequence - firstSequence] : slotOfID[id].flatMap { slots?[$0].createdAt }
            }
            try update(id, from: old, to: new, createdAt: createdAt, dimension: dimension)
        }
        logRecords += records.count
        highWaterMarks += records.count { $0.isHighWaterMark }
        if let last = fragments.last { through = last.offset }
        donated = [:]  // offered for the first run only: later writes are new record versions
    }

    /// The readers' view of what has been applied.
    func view(index: TailIndex?) -> TailView {
        TailView(
            through: through, logRecords: logRecords, highWaterMarks: highWaterMarks, slots: slots, live: live,
            slotOfID: slotOfID, deleted: deleted,
            masked: masked, compactedRemoved: compactedRemoved, created: created, index: index)
    }

    /// Moves one id's counts, masks and slot from its state before a run of log records to its state after.
    private mutating func update(
        _ id: String, from old: MaterializedEntry?, to new: MaterializedEntry, createdAt: UInt64?, dimension: Int?
    ) throws {
        compactedRemoved += Self.removesCompacted(new) - Self.removesCompacted(old)
        created += Self.isCreated(new) - Self.isCreated(old)
        if let offset = new.offsetID {
            if new.current == nil || new.createdSequence != nil || new.isChanged {
                masked.insert(offset)
            } else {
                masked.remove(offset)
            }
        }
        if new.current == nil { deleted.insert(id) } else { deleted.remove(id) }

        let visible = new.current != nil && (new.createdSequence != nil || (new.isChanged && new.offsetID != nil))
        let previous = slotOfID[id]
        if visible, previous != nil, let old, old.current == new.current, old.createdSequence == new.createdSequence {
            return  // nothing the tail shows changed (an add of an id that exists)
        }
        if let previous {
            live.remove(previous)
            slotOfID[id] = nil
        }
        guard visible, let current = new.current else { return }
        let offsetID = new.createdSequence == nil ? new.offsetID : nil
        if let donatedSlot = donated.removeValue(forKey: id), let slots {
            let donatedRecord = slots[donatedSlot]
            if donatedRecord.record == current, donatedRecord.offsetID == offsetID, donatedRecord.createdAt == createdAt
            {
                live.insert(donatedSlot)
                slotOfID[id] = donatedSlot
                return
            }
        }
        let store =
            slots ?? TailSlots(dimension: dimension ?? current.embedding?.count ?? 0)
        slots = store
        let slot = store.append(
            TailRecord(
                record: current, metadata: try Self.metadata(of: current), offsetID: offsetID, createdAt: createdAt))
        live.insert(slot)
        slotOfID[id] = slot
    }

    /// 1 when the entry's compacted record is gone (deleted, or deleted and created again).
    private static func removesCompacted(_ entry: MaterializedEntry?) -> Int {
        guard let entry, entry.offsetID != nil else { return 0 }
        return entry.current == nil || entry.createdSequence != nil ? 1 : 0
    }

    /// 1 when the entry is a record the tail created (and holds).
    private static func isCreated(_ entry: MaterializedEntry?) -> Int {
        guard let entry, entry.current != nil, entry.createdSequence != nil else { return 0 }
        return 1
    }

    private static func metadata(of record: DataRecord) throws -> Metadata? {
        guard let json = record.metadataJSON else { return nil }
        do {
            return try Metadata(jsonText: json)
        } catch {
            throw CairnError(.corrupt, "metadata of \(record.id) in the log: \(error.message)")
        }
    }
}
