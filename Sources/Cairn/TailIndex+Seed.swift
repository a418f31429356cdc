// The log tail's graph offered to compaction (decision 0020): the tail index already holds, under slot numbers, most
// of the vectors a compaction folds, so the compaction publishes a copy of it — relabelled to the version's offset
// ids, with every element that is not a live record of the new version marked deleted — instead of building the
// same graph again at low priority while queries search two graphs.
import Bitmaps
import Compaction
import Synchronization
import VectorIndex

/// Which slot holds each live record of a published version: kept by the runtime for the next compaction, whose
/// untouched records are then found in the tail's graph without comparing vectors.
struct SeededVersion: Sendable {
    var version: UInt64
    var slots: TailSlots
    var slotOfOffset: [UInt32: UInt32]
}

extension CollectionRuntime: IndexSeeding {
    func seed(_ request: IndexSeedRequest) async -> IndexSeed? {
        guard let index = currentTailIndex else { return nil }
        let known = seededVersion(request.extending).flatMap { seeded in
            seeded.slots === index.slots ? seeded.slotOfOffset : nil
        }
        let slotOfOffset = await Self.slots(for: request, in: index.slots, known: known ?? [:])
        let indexed = index.indexed
        let covered = slotOfOffset.values.count { Int($0) < indexed }
        guard covered > 0 else { return nil }
        return IndexSeed(
            covered: covered, elements: indexed,
            graph: {
                // The tail index is indexing these slots already, at the readers' priority when reads come: wait
                // for it rather than add the same vectors a second time below them.
                await index.waitUntilIndexed(through: slotOfOffset.values.max().map { Int($0) + 1 } ?? 0)
                return try Self.graph(of: index, labelling: slotOfOffset)
            },
            published: { [weak self] version in
                await self?.notePublished(
                    SeededVersion(version: version, slots: index.slots, slotOfOffset: slotOfOffset))
            })
    }

    /// The slot of each live offset id of the new version that the tail's slots hold with the same vector: the
    /// records the compaction writes are looked up by id (their latest slot, its vector compared), the untouched
    /// ones come from what the last seeded version recorded.
    nonisolated static func slots(for request: IndexSeedRequest, in slots: TailSlots, known: [UInt32: UInt32]) async
        -> [UInt32: UInt32]
    {
        var latest: [String: UInt32] = [:]
        let count = slots.count
        latest.reserveCapacity(count)
        for slot in 0..<UInt32(count) { latest[slots[slot].record.id] = slot }
        var slotOfOffset: [UInt32: UInt32] = [:]
        slotOfOffset.reserveCapacity(request.live.count)
        var written = RoaringBitmap()
        var taken = Set<UInt32>()
        for write in request.writes {
            written.insert(write.offsetID)
            guard let slot = latest[write.id], let embedding = write.embedding,
                slots[slot].record.embedding == embedding, taken.insert(slot).inserted
            else { continue }
            slotOfOffset[write.offsetID] = slot
        }
        for offsetID in request.live.subtracting(written).array {
            guard let slot = known[offsetID], taken.insert(slot).inserted else { continue }
            slotOfOffset[offsetID] = slot
        }
        return slotOfOffset
    }

    /// A private copy of the tail's graph under the version's naming: slots of live records become their offset
    /// ids; every other element is marked deleted and labelled above every offset id (2^32 + slot).
    nonisolated static func graph(of tail: TailIndex, labelling slotOfOffset: [UInt32: UInt32]) throws
        -> (index: HNSWIndex, holds: RoaringBitmap)
    {
        let copy = try tail.index.clone(parameters: tail.collectionParameters)
        var offsetOfSlot: [UInt32: UInt32] = [:]
        offsetOfSlot.reserveCapacity(slotOfOffset.count)
        for (offsetID, slot) in slotOfOffset { offsetOfSlot[slot] = offsetID }
        var labels: [UInt64] = []
        var stale: [UInt32] = []
        var holds = RoaringBitmap()
        for label in copy.labels() {
            let slot = UInt32(truncatingIfNeeded: label)
            if let offsetID = offsetOfSlot[slot] {
                labels.append(UInt64(offsetID))
                holds.insert(offsetID)
            } else {
                labels.append(1 << 32 | label)
                stale.append(slot)
            }
        }
        if !stale.isEmpty { try copy.markDeleted(stale) }
        try copy.relabel(labels)
        return (copy, holds)
    }
}

/// A published version whose every live record the tail's graph holds (a compaction published it from that graph,
/// and the tail kept its slots): a query then searches the tail's graph once, for the version's records and the
/// tail's together, instead of the version's copy of the graph and then the tail's graph within what is left of it
/// (decision 0020).
final class TailCoverage: Sendable {
    let version: UInt64
    let slots: TailSlots
    /// The slots holding the version's live records.
    let versionSlots: RoaringBitmap
    private let offsetOfSlot: [UInt32: UInt32]
    private let slotOfOffset: [UInt32: UInt32]
    /// The slots of each filter's compacted matches (the matches are the same for the version whatever the tail
    /// does), for the filters used most recently.
    private let filtered = Mutex<[String: RoaringBitmap]>([:])
    static let maxFilters = 64

    /// Nil unless `seeded` names a slot for every record of `live` (the version's live offset ids).
    init?(_ seeded: SeededVersion, live: RoaringBitmap) {
        guard seeded.slotOfOffset.count == live.count, !live.isEmpty else { return nil }
        var offsetOfSlot: [UInt32: UInt32] = [:]
        offsetOfSlot.reserveCapacity(seeded.slotOfOffset.count)
        for (offsetID, slot) in seeded.slotOfOffset {
            guard live.contains(offsetID) else { return nil }
            offsetOfSlot[slot] = offsetID
        }
        version = seeded.version
        slots = seeded.slots
        slotOfOffset = seeded.slotOfOffset
        self.offsetOfSlot = offsetOfSlot
        versionSlots = RoaringBitmap(offsetOfSlot.keys.sorted())
        // The slot → offset id map and the slot set are this coverage's own (the offset id → slot map is the seeded
        // version's): counted with the tail indexes in `/metrics`.
        countedBytes = offsetOfSlot.capacity * (2 * MemoryLayout<UInt32>.stride + 1) + versionSlots.serialized().count
        TailIndex.countBeside(bytes: countedBytes)
    }

    private let countedBytes: Int
    deinit { TailIndex.countBeside(bytes: -countedBytes) }

    /// The version's record (offset id) a slot holds, if it holds one.
    func offsetID(ofSlot slot: UInt32) -> UInt32? { offsetOfSlot[slot] }

    /// The slots of `offsetIDs` (records of the version).
    func slots(of offsetIDs: RoaringBitmap) -> RoaringBitmap {
        RoaringBitmap(offsetIDs.array.compactMap { slotOfOffset[$0] }.sorted())
    }

    /// The slots of a filter's matches in the version, `matches` (mapped once per filter, kept under `key`), less
    /// those of `stale` (records the tail changed since).
    func slots(matching key: String, _ matches: RoaringBitmap, excluding stale: RoaringBitmap) -> RoaringBitmap {
        var mapped: RoaringBitmap
        if matches.count == slotOfOffset.count {
            mapped = versionSlots
        } else if let kept = filtered.withLock({ $0[key] }) {
            mapped = kept
        } else {
            mapped = slots(of: matches)
            filtered.withLock { [mapped] filtered in
                if filtered.count >= Self.maxFilters { filtered.removeAll(keepingCapacity: true) }
                filtered[key] = mapped
            }
        }
        if !stale.isEmpty { mapped.subtract(slots(of: stale)) }
        return mapped
    }
}
