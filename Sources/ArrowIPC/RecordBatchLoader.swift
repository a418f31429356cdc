// Turns one RecordBatch message (header + body bytes) into column views: walks the schema in pre-order,
// takes one field node and the layout's buffers per field, checks each buffer lies inside the body,
// decompresses ZSTD buffers (in parallel, one task per buffer, as pyarrow does), and validates every column
// before returning it.
import Dispatch
import Synchronization

struct RecordBatchLoader {
    let schema: ArrowSchema
    let header: RecordBatchHeader
    let storage: ByteStorage
    /// Body position in `storage` and its length.
    let bodyStart: Int
    let bodyLength: Int
    let limits: ArrowLimits
    private var nodeIndex = 0
    private var bufferIndex = 0
    private var resolved: [ArrowBuffer] = []
    /// Below this many compressed bytes in a batch, decompression stays on the calling thread.
    private static let parallelThreshold = 1 << 20

    init(
        schema: ArrowSchema, header: RecordBatchHeader, storage: ByteStorage, bodyStart: Int, bodyLength: Int,
        limits: ArrowLimits
    ) {
        self.schema = schema
        self.header = header
        self.storage = storage
        self.bodyStart = bodyStart
        self.bodyLength = bodyLength
        self.limits = limits
    }

    mutating func load() throws(ArrowError) -> RecordBatch {
        resolved = try resolveBuffers()
        var columns: [ArrowArray] = []
        columns.reserveCapacity(schema.fields.count)
        for f in schema.fields {
            let c = try array(f, path: f.name, depth: 0)
            guard c.length == header.length else {
                throw ArrowError(.invalidData, "column \(f.name) has \(c.length) rows, the batch \(header.length)")
            }
            try c.validate(path: f.name, depth: 0, limits: limits)
            columns.append(c)
        }
        guard nodeIndex == header.nodes.count else {
            throw ArrowError(.invalidData, "batch has \(header.nodes.count) field nodes, the schema uses \(nodeIndex)")
        }
        guard bufferIndex == header.buffers.count else {
            throw ArrowError(.invalidData, "batch has \(header.buffers.count) buffers, the schema uses \(bufferIndex)")
        }
        let owned = resolved.reduce(0) { $0 + ($1.storage === storage ? 0 : $1.count) }
        return RecordBatch(unchecked: schema, columns: columns, count: header.length, ownedBytes: owned)
    }

    private mutating func array(_ field: ArrowField, path: String, depth: Int) throws(ArrowError) -> ArrowArray {
        guard depth <= limits.maxNestingDepth else {
            throw ArrowError(.limitExceeded, "\(path): nesting deeper than \(limits.maxNestingDepth)")
        }
        guard nodeIndex < header.nodes.count else {
            throw ArrowError(.invalidData, "\(path): batch has only \(header.nodes.count) field nodes")
        }
        let node = header.nodes[nodeIndex]
        nodeIndex += 1
        let count = ArrowArray.bufferCount(of: field.type)
        var buffers: [ArrowBuffer] = []
        buffers.reserveCapacity(count)
        for i in 0..<count { buffers.append(try buffer("\(path) buffer \(i)")) }
        var children: [ArrowArray] = []
        switch field.type {
        case .list(let c), .fixedSizeList(let c, _):
            children.append(try array(c, path: "\(path).\(c.name)", depth: depth + 1))
        case .structure(let cs):
            for c in cs { children.append(try array(c, path: "\(path).\(c.name)", depth: depth + 1)) }
        default: break
        }
        guard node.length <= limits.maxBufferBytes, node.nullCount <= node.length else {
            throw ArrowError(.invalidData, "\(path): node length \(node.length), null count \(node.nullCount)")
        }
        return ArrowArray(
            unchecked: field.type, length: node.length, nullCount: node.nullCount,
            validity: buffers[0].count > 0 ? buffers[0] : nil, buffers: Array(buffers.dropFirst()),
            children: children)
    }

    private mutating func buffer(_ what: String) throws(ArrowError) -> ArrowBuffer {
        guard bufferIndex < resolved.count else {
            throw ArrowError(.invalidData, "\(what): batch has only \(header.buffers.count) buffers")
        }
        bufferIndex += 1
        return resolved[bufferIndex - 1]
    }

    /// Every buffer of the batch, checked to lie inside the body; compressed ones decompressed.
    private func resolveBuffers() throws(ArrowError) -> [ArrowBuffer] {
        var out = [ArrowBuffer](repeating: .empty, count: header.buffers.count)
        var jobs: [(index: Int, source: Range<Int>, expected: Int)] = []
        for (i, (offset, length)) in header.buffers.enumerated() {
            // Stored values may be anything: compare without adding, so no bytes can trap the reader.
            guard offset >= 0, length >= 0, offset <= bodyLength, length <= bodyLength - offset else {
                throw ArrowError(
                    .invalidData,
                    "buffer \(i): \(length) bytes at offset \(offset) lie outside the \(bodyLength)-byte body")
            }
            if length == 0 { continue }
            let start = bodyStart + offset
            if !header.compressed {
                out[i] = aligned(start, length)
                continue
            }
            guard length >= 8 else {
                throw ArrowError(.invalidData, "buffer \(i): compressed buffer of \(length) bytes has no length prefix")
            }
            let prefix = Int64(littleEndian: (storage.base + start).loadUnaligned(as: Int64.self))
            if prefix == -1 {
                out[i] = aligned(start + 8, length - 8)
                continue
            }
            guard prefix >= 0, prefix <= Int64(limits.maxBufferBytes) else {
                throw ArrowError(
                    .limitExceeded, "buffer \(i): uncompressed length \(prefix) is negative or above the limit")
            }
            if prefix > 0 { jobs.append((i, (start + 8)..<(start + length), Int(prefix))) }
        }
        if jobs.isEmpty { return out }
        let compressedBytes = jobs.reduce(0) { $0 + $1.source.count }
        if jobs.count == 1 || compressedBytes < Self.parallelThreshold {
            let d = try ZstdDecompressor()
            for job in jobs {
                out[job.index] = ArrowBuffer(storage: try decompress(job, d))
            }
            return out
        }
        // Largest first, so the big embedding buffer starts at once and small ones fill the other cores.
        let ordered = jobs.sorted { $0.expected > $1.expected }
        let results = Mutex<[Int: Result<ByteStorage, ArrowError>]>([:])
        DispatchQueue.concurrentPerform(iterations: ordered.count) { k in
            let job = ordered[k]
            let r = Result { () throws(ArrowError) -> ByteStorage in try decompress(job, try ZstdDecompressor()) }
            results.withLock { $0[job.index] = r }
        }
        let done = results.withLock { $0 }
        for job in jobs {
            guard let r = done[job.index] else {
                throw ArrowError(.compression, "buffer \(job.index) not decompressed")
            }
            out[job.index] = ArrowBuffer(storage: try r.get())
        }
        return out
    }

    private func decompress(_ job: (index: Int, source: Range<Int>, expected: Int), _ d: ZstdDecompressor)
        throws(ArrowError) -> ByteStorage
    {
        let src = UnsafeRawBufferPointer(start: storage.base + job.source.lowerBound, count: job.source.count)
        return try withExtendedLifetime(storage) { () throws(ArrowError) in
            try d.decompress(src, expected: job.expected, what: "buffer \(job.index)")
        }
    }

    /// A view of the bytes, or an aligned copy when the writer did not align them (typed views load
    /// floats and integers in place, which needs natural alignment).
    private func aligned(_ start: Int, _ length: Int) -> ArrowBuffer {
        if UInt(bitPattern: storage.base + start) % 8 == 0 {
            return ArrowBuffer(storage: storage, offset: start, count: length)
        }
        return ArrowBuffer(
            storage: ByteStorage(copying: UnsafeRawBufferPointer(start: storage.base + start, count: length)))
    }
}
