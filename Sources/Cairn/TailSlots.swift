// The log tail's record versions, append-only. Each state the tail makes current for an id gets the next slot number
// and a slot never changes once written, so views of the tail share one store (a refresh appends without copying
// what readers hold), and the tail's vector index and filter results can be kept per slot and extended as the tail
// grows (decision 0020).
import Blockfile
import Segments
import Synchronization

/// One record version of the tail.
struct TailRecord: Sendable {
    var record: DataRecord
    var metadata: Metadata?
    /// For a compacted record updated in place: its offset id (it keeps its place in the order). Nil for a record
    /// the tail created.
    var offsetID: UInt32?
    /// For a record the tail created: where in the log the write that created it is (`LogTailBuilder.position`),
    /// its place in insertion order; the same whichever version the tail is read over.
    var createdAt: UInt64?
}

final class TailSlots: Sendable {
    /// Slots per chunk: chunks are allocated whole and never move, so readers can hold pointers into them.
    static let chunkSize = 4096
    /// Every slot's vector has this many values; a record without an embedding of that length stores NaNs.
    let dimension: Int

    private final class Chunk: @unchecked Sendable {
        let records: UnsafeMutablePointer<TailRecord>
        let vectors: UnsafeMutablePointer<Float>
        /// Slots written (by the one writer, before any view that includes them is published).
        var written = 0

        init(dimension: Int) {
            records = .allocate(capacity: TailSlots.chunkSize)
            vectors = .allocate(capacity: TailSlots.chunkSize * max(dimension, 1))
        }

        deinit {
            records.deinitialize(count: written)
            records.deallocate()
            vectors.deallocate()
        }
    }

    private struct State {
        var chunks: [Chunk] = []
        var count = 0
    }

    private let state = Mutex(State())

    init(dimension: Int) {
        self.dimension = dimension
    }

    /// Slots written so far (a view sees those below the count it was made with).
    var count: Int { state.withLock { $0.count } }

    /// Bytes held for records' vectors and bookkeeping (the records' own storage is not counted).
    var vectorBytes: Int { state.withLock { $0.chunks.count } * Self.chunkSize * max(dimension, 1) * 4 }

    /// Appends a record version; returns its slot. Only the tail's one writer calls it.
    func append(_ record: TailRecord) -> UInt32 {
        state.withLock { state in
            if state.count % Self.chunkSize == 0 { state.chunks.append(Chunk(dimension: dimension)) }
            let chunk = state.chunks[state.chunks.count - 1]
            let position = state.count % Self.chunkSize
            (chunk.records + position).initialize(to: record)
            let target = chunk.vectors + position * dimension
            if let embedding = record.record.embedding, embedding.count == dimension {
                embedding.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: dimension) }
            } else {
                target.update(repeating: .nan, count: dimension)
            }
            chunk.written += 1
            state.count += 1
            return UInt32(state.count - 1)
        }
    }

    private func chunk(of slot: UInt32) -> Chunk {
        state.withLock { $0.chunks[Int(slot) / Self.chunkSize] }
    }

    /// The record version in `slot` (which must be below a published count).
    subscript(slot: UInt32) -> TailRecord {
        chunk(of: slot).records[Int(slot) % Self.chunkSize]
    }

    /// Hands `body` each of `slots` with a pointer to its vector, valid while this store lives.
    func forEachVector(_ slots: some Sequence<UInt32>, _ body: (UInt32, UnsafePointer<Float>) -> Void) {
        var current: (index: Int, chunk: Chunk)?
        for slot in slots {
            let index = Int(slot) / Self.chunkSize
            if current?.index != index { current = (index, chunk(of: slot)) }
            body(slot, current!.chunk.vectors + (Int(slot) % Self.chunkSize) * dimension)
        }
    }

    /// The vectors of `slots`, row-major, in that order.
    func vectors(_ slots: some Sequence<UInt32>) -> [Float] {
        var flat: [Float] = []
        flat.reserveCapacity(slots.underestimatedCount * dimension)
        forEachVector(slots) { _, row in flat.append(contentsOf: UnsafeBufferPointer(start: row, count: dimension)) }
        return flat
    }
}
