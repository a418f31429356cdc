// The log tail's vector index, so fresh writes are as fast to query as compacted ones (decision 0020): an in-memory
// HNSW over the tail's slots, built on a low-priority thread as writes arrive (queries search it for the slots it
// holds and compare the few newer ones exactly), dropped when compaction publishes the records. (Each filter's
// matching slots are kept by the slots themselves: `TailSlots.matches`.)
import Dispatch
import Foundation
import Metrics
import Segments
import Synchronization
import VectorIndex

final class TailIndex: Sendable {
    let slots: TailSlots
    let index: HNSWIndex
    /// Most slots the index takes (beyond them the tail is searched exactly): bounds its memory.
    let maxVectors: Int
    /// Vectors added per turn on the build thread (each under the index's write lock on its own).
    static let batchSize = 16
    /// Slots between two measurements of the index's memory for `/metrics`.
    static let measureEvery = 1024

    private struct Work {
        var target = 0
        var running = false
        /// Set when indexing failed or the index was retired: no more batches.
        var failed = false
    }

    private let work = Mutex(Work())
    /// Slots below this are in the index (or were skipped: no vector of the collection's dimension).
    private let indexedSlots = Atomic<Int>(0)

    /// Every tail index of the process together (what `/metrics` shows): vectors held and native bytes.
    private static let totalVectors = Atomic<Int>(0)
    private static let totalBytes = Atomic<Int>(0)
    private static let vectorsGauge = Gauge(label: "cairn_tail_index_vectors")
    private static let bytesGauge = Gauge(label: "cairn_tail_index_bytes")
    /// What this index added to the totals.
    private let counted = Mutex((vectors: 0, bytes: 0))

    private func count(vectors: Int, bytes: Int) {
        let (addedVectors, addedBytes) = counted.withLock { counted in
            defer { counted = (vectors, bytes) }
            return (vectors - counted.vectors, bytes - counted.bytes)
        }
        Self.vectorsGauge.record(Self.totalVectors.add(addedVectors, ordering: .relaxed).newValue)
        Self.bytesGauge.record(Self.totalBytes.add(addedBytes, ordering: .relaxed).newValue)
    }

    deinit { count(vectors: 0, bytes: 0) }

    /// Memory held for the tail indexes beside them (a covered version's slot map), added to (or, negative, taken
    /// from) the same total.
    static func countBeside(bytes: Int) {
        bytesGauge.record(totalBytes.add(bytes, ordering: .relaxed).newValue)
    }

    /// Shows the totals as they are (at 0 before any tail is indexed: alerts can rely on the names).
    static func publishTotals() {
        vectorsGauge.record(totalVectors.load(ordering: .relaxed))
        bytesGauge.record(totalBytes.load(ordering: .relaxed))
    }

    /// The collection's HNSW settings (the index itself adds on one thread): a compaction publishing a copy of
    /// the graph goes on with these.
    let collectionParameters: HNSWParameters

    init(
        slots: TailSlots, parameters: HNSWParameters, maxVectors: Int
    ) throws {
        self.slots = slots
        self.maxVectors = maxVectors
        collectionParameters = parameters
        var parameters = parameters
        // One thread at the build thread's priority: queries and compaction keep the other cores.
        parameters.numThreads = 1
        do {
            index = try HNSWIndex.create(
                dimension: max(slots.dimension, 1), parameters: parameters, capacity: Self.batchSize * 8)
        } catch {
            throw CairnError(.internal, "creating the log tail's index: \(error.message)")
        }
    }

    /// Slots below this are indexed.
    var indexed: Int { indexedSlots.load(ordering: .acquiring) }

    /// Native memory the index holds, in bytes.
    var memoryBytes: Int { index.memoryBytes }

    /// Stops indexing (the tail it follows was folded into a version, or its collection closed).
    func retire() {
        work.withLock { $0.failed = true }
    }

    /// Asks for the slots below `count` to be indexed, on a background thread; returns at once.
    func extend(to count: Int) {
        let start = work.withLock { work -> Bool in
            work.target = max(work.target, min(count, maxVectors))
            guard !work.running, !work.failed, work.target > indexed else { return false }
            work.running = true
            return true
        }
        if start { thread(urgent: readRecently).submit { self.run(urgent: self.readRecently) } }
    }

    /// When reads came within this long, what is not indexed yet costs them: the build runs at their priority.
    static let readsAreRecent: Duration = .seconds(1)
    private let lastRead = Mutex<ContinuousClock.Instant?>(nil)

    /// Notes a read of the tail (the build catches up at the readers' priority while reads come).
    func noteRead() { lastRead.withLock { $0 = .now } }

    private var readRecently: Bool {
        guard let last = lastRead.withLock({ $0 }) else { return false }
        return ContinuousClock.now - last < Self.readsAreRecent
    }

    /// A bulk load nobody reads yet is indexed below everything else (ingest keeps its speed); once reads come,
    /// at their priority (the sooner it catches up, the sooner they stop comparing the rest exactly).
    private func thread(urgent: Bool) -> BackgroundBuildThread {
        urgent ? .tailForReads : .tail
    }

    /// Indexes one batch, then goes to the back of the build thread's queue (one thread serves every collection's
    /// tail: a bulk load into one must not hold up the others' indexes).
    private func run(urgent: Bool) {
        do {
            if readRecently != urgent {
                thread(urgent: !urgent).submit { self.run(urgent: !urgent) }
                return
            }
            let from = indexed
            let to = work.withLock { work -> Int? in
                let to = min(work.target, from + Self.batchSize)
                if to <= from || work.failed {
                    work.running = false
                    return nil
                }
                return to
            }
            guard let to else { return }
            let range = UInt32(from)..<UInt32(to)
            let dimension = slots.dimension
            let ids = range.filter { slots[$0].record.embedding?.count == dimension && dimension > 0 }
            do {
                // One vector at a time, searched for beside the queries (under the read lock); a query waits only
                // while its lists are written.
                for id in ids {
                    try slots.vectors(CollectionOfOne(id)).withUnsafeBufferPointer {
                        (vector) throws(VectorIndexError) in
                        try index.addBesideSearches(vector.baseAddress!, id: id)
                    }
                }
            } catch {
                // Nothing is lost: slots the index does not hold are compared exactly.
                work.withLock {
                    $0.failed = true
                    $0.running = false
                }
                return
            }
            indexedSlots.store(to, ordering: .releasing)
            // The native size walks every element: measured every 1,024 slots and when the index caught up, not
            // per batch (per batch it made building the index quadratic).
            if to % Self.measureEvery < Self.batchSize || to >= work.withLock({ $0.target }) {
                count(vectors: index.count, bytes: index.memoryBytes)
            }
            thread(urgent: urgent).submit { self.run(urgent: urgent) }
        }
    }

    /// Returns once the slots below `count` (at most `maxVectors`) are indexed, or when indexing stalls: no batch
    /// done for `stallLimit` (the index failed, was retired, or the build thread is starved).
    func waitUntilIndexed(through count: Int, stallLimit: Duration = .seconds(2)) async {
        let target = min(count, maxVectors)
        var seen = indexed
        var lastProgress = ContinuousClock.now
        while seen < target, ContinuousClock.now - lastProgress < stallLimit {
            extend(to: target)
            try? await Task.sleep(for: .milliseconds(20))
            let now = indexed
            if now > seen { (seen, lastProgress) = (now, .now) }
        }
    }
}
