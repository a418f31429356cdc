// The log tail's record versions, append-only. Each state the tail makes current for an id gets the next slot number
// and a slot never changes once written, so views of the tail share one store (a refresh appends without copying
// what readers hold), and the tail's vector index and filter results can be kept per slot and extended as the tail
// grows (decision 0020).
import Bitmaps
import Blockfile
import Segments
import Synchronization
import VectorIndex

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
    /// Slots of the first chunk; each next chunk doubles, up to `maxChunkSize`: a small tail (most of a server's
    /// collections) holds little memory, a large one few chunks. Chunks are allocated whole and never move, so
    /// readers can hold pointers into them.
    static let firstChunkSize = 64
    static let maxChunkSize = 4096
    /// Chunks that grow (64, 128, … 4096 slots), and the slots they hold together.
    private static let growingChunks = 7
    private static let growingSlots = firstChunkSize * ((1 << growingChunks) - 1)

    /// The chunk holding `slot`, and the slot's place in it.
    static func locate(_ slot: Int) -> (chunk: Int, position: Int) {
        guard slot >= growingSlots else {
            let chunk = Int.bitWidth - 1 - (slot / firstChunkSize + 1).leadingZeroBitCount
            return (chunk, slot - firstChunkSize * ((1 << chunk) - 1))
        }
        let rest = slot - growingSlots
        return (growingChunks + rest / maxChunkSize, rest % maxChunkSize)
    }

    /// Slots chunk `index` holds.
    static func capacity(ofChunk index: Int) -> Int {
        index < growingChunks ? firstChunkSize << index : maxChunkSize
    }
    /// Every slot's vector has this many values; a record without an embedding of that length stores NaNs.
    let dimension: Int

    private final class Chunk: @unchecked Sendable {
        let records: UnsafeMutablePointer<TailRecord>
        let vectors: UnsafeMutablePointer<Float>
        /// Each vector's int8 codes, scale and squared norm: the quantized first pass of a large exact scan.
        let codes: UnsafeMutablePointer<Int8>
        let scales: UnsafeMutablePointer<Float>
        let squaredNorms: UnsafeMutablePointer<Float>
        /// Each vector's sketch (`ProjectionSketch`: codes, scale, left-out length), once the tail has one.
        let sketchCodes: UnsafeMutablePointer<Int8>
        let sketchScales: UnsafeMutablePointer<Float>
        let leftOut: UnsafeMutablePointer<Float>
        /// Slots written (by the one writer, before any view that includes them is published).
        var written = 0

        init(capacity: Int, dimension: Int) {
            records = .allocate(capacity: capacity)
            vectors = .allocate(capacity: capacity * max(dimension, 1))
            codes = .allocate(capacity: capacity * max(dimension, 1))
            scales = .allocate(capacity: capacity)
            squaredNorms = .allocate(capacity: capacity)
            sketchCodes = .allocate(capacity: capacity * max(ProjectionSketch.components(forDimension: dimension), 1))
            sketchScales = .allocate(capacity: capacity)
            leftOut = .allocate(capacity: capacity)
        }

        deinit {
            records.deinitialize(count: written)
            records.deallocate()
            vectors.deallocate()
            codes.deallocate()
            scales.deallocate()
            squaredNorms.deallocate()
            sketchCodes.deallocate()
            sketchScales.deallocate()
            leftOut.deallocate()
        }
    }

    private struct State {
        var chunks: [Chunk] = []
        var count = 0
        /// Fitted on the first `sketchSample` slots in the background; slots from `sketchedFrom` on carry sketches.
        var sketch: ProjectionSketch?
        var sketchedFrom = Int.max
    }

    /// Slots whose vectors the sketch is fitted on (once, when the tail reaches this many: the size at which it
    /// gets an index, and from which exact scans of it get long).
    static let sketchSample = 2048

    private let state = Mutex(State())

    /// Each filter's matching slots among the first `evaluated`: a slot never changes, so they only grow.
    private struct FilterMatches {
        var evaluated: Int
        var matches: RoaringBitmap
        var lastUse: UInt64
    }

    /// Filters whose matches are kept.
    static let maxFilters = 64
    private let filters = Mutex([String: FilterMatches]())
    private let uses = Atomic<UInt64>(0)

    init(dimension: Int) {
        self.dimension = dimension
    }

    /// Slots written so far (a view sees those below the count it was made with).
    var count: Int { state.withLock { $0.count } }

    /// Appends a record version; returns its slot. Only the tail's one writer calls it.
    func append(_ record: TailRecord) -> UInt32 {
        state.withLock { state in
            let (index, position) = Self.locate(state.count)
            if position == 0 {
                state.chunks.append(Chunk(capacity: Self.capacity(ofChunk: index), dimension: dimension))
            }
            let chunk = state.chunks[index]
            (chunk.records + position).initialize(to: record)
            let target = chunk.vectors + position * dimension
            if let embedding = record.record.embedding, embedding.count == dimension {
                embedding.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: dimension) }
            } else {
                target.update(repeating: .nan, count: dimension)
            }
            if dimension > 0 {
                (chunk.scales[position], chunk.squaredNorms[position]) = Int8Quantizer.quantize(
                    target, dimension: dimension, into: chunk.codes + position * dimension)
            }
            if let sketch = state.sketch {
                (chunk.sketchScales[position], chunk.leftOut[position]) = sketch.encode(
                    target, squaredNorm: chunk.squaredNorms[position],
                    into: chunk.sketchCodes + position * sketch.components)
            }
            chunk.written += 1
            state.count += 1
            if state.count == Self.sketchSample { fitSketch(state) }
            return UInt32(state.count - 1)
        }
    }

    /// The sketch the slots from `sketchedFrom` on carry, once fitted.
    var sketch: ProjectionSketch? { state.withLock { $0.sketch } }

    /// Fits the sketch on the slots written so far, off the writer's path (a bulk load goes on meanwhile; the slots
    /// it writes before the sketch is in are scanned whole).
    private func fitSketch(_ state: borrowing State) {
        let components = ProjectionSketch.components(forDimension: dimension)
        guard components > 0 else { return }
        var sample: [Float] = []
        sample.reserveCapacity(state.count * dimension)
        for chunk in state.chunks {
            sample.append(contentsOf: UnsafeBufferPointer(start: chunk.vectors, count: chunk.written * dimension))
        }
        let (dimension, count) = (dimension, state.count)
        // On the tail index's low-priority thread, not the async pool (a 1,536-d fit is ~1.6 billion multiply-adds).
        BackgroundBuildThread.tail.submit { [weak self, sample] in
            let fitted = sample.withUnsafeBufferPointer {
                ProjectionSketch.fit($0.baseAddress!, count: count, dimension: dimension, components: components)
            }
            guard let fitted, let self else { return }
            self.state.withLock { state in
                state.sketch = fitted
                state.sketchedFrom = state.count
            }
        }
    }

    private func chunk(_ index: Int) -> Chunk {
        state.withLock { $0.chunks[index] }
    }

    /// The record version in `slot` (which must be below a published count).
    subscript(slot: UInt32) -> TailRecord {
        let (index, position) = Self.locate(Int(slot))
        return chunk(index).records[position]
    }

    /// Hands `body` each of `slots` with a pointer to its vector, valid while this store lives.
    func forEachVector(_ slots: some Sequence<UInt32>, _ body: (UInt32, UnsafePointer<Float>) -> Void) {
        forEachLocated(slots) { slot, chunk, position in body(slot, chunk.vectors + position * dimension) }
    }

    /// Hands `body` the int8 codes of `slots` a run of consecutive slots in one chunk at a time, valid while this
    /// store lives. (Slots with no gap between them — the rows a bulk load left unindexed — are not listed one by
    /// one.)
    func forEachQuantizedRun(_ slots: RoaringBitmap, _ body: (QuantizedRows) -> Void) {
        guard let first = slots.min, let last = slots.max else { return }
        let (sketch, sketchedFrom) = state.withLock { ($0.sketch, $0.sketchedFrom) }
        if slots.count == Int(last - first) + 1 {
            var slot = Int(first)
            while slot <= Int(last) {
                slot += quantizedRun(from: slot, sketch: sketch, sketchedFrom: sketchedFrom, body) { room in
                    min(room, Int(last) + 1 - slot)
                }
            }
            return
        }
        let slots = slots.array
        var index = 0
        while index < slots.count {
            let first = slots[index]
            index += quantizedRun(from: Int(first), sketch: sketch, sketchedFrom: sketchedFrom, body) { room in
                var count = 1
                while count < room, index + count < slots.count, slots[index + count] == first + UInt32(count) {
                    count += 1
                }
                return count
            }
        }
    }

    /// Hands `body` the run from `slot`: as long as `length` makes it given the room it may take (to the end of the
    /// slot's chunk, and not across `sketchedFrom`: a run is sketched whole or not at all); returns its length.
    private func quantizedRun(
        from slot: Int, sketch: ProjectionSketch?, sketchedFrom: Int, _ body: (QuantizedRows) -> Void,
        length: (_ room: Int) -> Int
    ) -> Int {
        let (chunkIndex, position) = Self.locate(slot)
        let sketched = sketch != nil && slot >= sketchedFrom
        let count = length(min(Self.capacity(ofChunk: chunkIndex) - position, sketched ? .max : sketchedFrom - slot))
        let chunk = chunk(chunkIndex)
        body(
            QuantizedRows(
                firstID: UInt32(slot), count: count, codes: chunk.codes + position * dimension,
                scales: chunk.scales + position, squaredNorms: chunk.squaredNorms + position,
                sketch: sketch.flatMap { sketch in
                    sketched
                        ? SketchRows(
                            codes: chunk.sketchCodes + position * sketch.components,
                            scales: chunk.sketchScales + position, leftOut: chunk.leftOut + position) : nil
                }))
        return count
    }

    /// Hands `body` each of `slots` with its chunk and place in it (the chunk looked up once per run of slots).
    private func forEachLocated(_ slots: some Sequence<UInt32>, _ body: (UInt32, Chunk, Int) -> Void) {
        var current: (index: Int, chunk: Chunk)?
        for slot in slots {
            let (index, position) = Self.locate(Int(slot))
            if current?.index != index { current = (index, chunk(index)) }
            body(slot, current!.chunk, position)
        }
    }

    /// The vector of `slot` (below a published count), valid while this store lives.
    func vector(_ slot: UInt32) -> UnsafePointer<Float> {
        let (index, position) = Self.locate(Int(slot))
        return UnsafePointer(chunk(index).vectors + position * dimension)
    }

    /// The vectors of `slots`, row-major, in that order.
    func vectors(_ slots: some Sequence<UInt32>) -> [Float] {
        var flat: [Float] = []
        flat.reserveCapacity(slots.underestimatedCount * dimension)
        forEachVector(slots) { _, row in flat.append(contentsOf: UnsafeBufferPointer(start: row, count: dimension)) }
        return flat
    }

    /// The slots matching `filter` (live or not: readers intersect with their view's live slots), extending what
    /// was kept for the filter to the slots written since.
    func matches(_ filter: RecordFilter) throws -> RoaringBitmap {
        let key = filter.cacheKey
        let use = uses.add(1, ordering: .relaxed).newValue
        let count = self.count
        var kept = filters.withLock { $0[key] } ?? FilterMatches(evaluated: 0, matches: RoaringBitmap(), lastUse: 0)
        if kept.evaluated < count {
            let matcher = try TailMatcher(filter)
            for slot in UInt32(kept.evaluated)..<UInt32(count) where matcher.matches(self[slot]) {
                kept.matches.insert(slot)
            }
            kept.evaluated = count
        }
        kept.lastUse = use
        filters.withLock { filters in
            if let existing = filters[key], existing.evaluated > kept.evaluated { return }
            filters[key] = kept
            if filters.count > Self.maxFilters, let oldest = filters.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                filters[oldest.key] = nil
            }
        }
        return kept.matches
    }
}

/// A filter ready to test tail records one by one (its regular expressions compiled once).
struct TailMatcher {
    let filter: RecordFilter
    let document: CompiledWhereDocument?
    /// `#document` conditions inside `where`, compiled.
    let inWhere: [WhereDocument: CompiledWhereDocument]

    init(_ filter: RecordFilter) throws {
        self.filter = filter
        document = try filter.compiledDocumentFilter()
        var inWhere: [WhereDocument: CompiledWhereDocument] = [:]
        for condition in filter.where?.documentConditions ?? [] where inWhere[condition] == nil {
            do {
                inWhere[condition] = try condition.compiled()
            } catch {
                throw CairnError.invalid(error.message)
            }
        }
        self.inWhere = inWhere
    }

    func matches(_ tail: TailRecord) -> Bool {
        if let condition = filter.where,
            !condition.matches(
                tail.metadata, document: { inWhere[$0]?.matches(document: tail.record.document) ?? false })
        {
            return false
        }
        return document?.matches(document: tail.record.document) ?? true
    }
}
