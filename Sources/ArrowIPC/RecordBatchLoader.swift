// Turns one RecordBatch message (header + body bytes) into column views: walks the schema in pre-order,
// takes one field node and the layout's buffers per field, checks each buffer lies inside the body,
// decompresses ZSTD buffers, and validates every column before returning it.

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
    private var decompressor: ZstdDecompressor?

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
        if header.compressed { decompressor = try ZstdDecompressor() }
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
        return RecordBatch(unchecked: schema, columns: columns, count: header.length)
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
        guard bufferIndex < header.buffers.count else {
            throw ArrowError(.invalidData, "\(what): batch has only \(header.buffers.count) buffers")
        }
        let (offset, length) = header.buffers[bufferIndex]
        bufferIndex += 1
        guard offset <= bodyLength, length <= bodyLength - offset else {
            throw ArrowError(
                .invalidData, "\(what): bytes \(offset)..<\(offset + length) outside the \(bodyLength)-byte body")
        }
        if length == 0 { return .empty }
        let start = bodyStart + offset
        guard let decompressor else { return aligned(start, length) }
        guard length >= 8 else {
            throw ArrowError(.invalidData, "\(what): compressed buffer of \(length) bytes has no length prefix")
        }
        let prefix = Int64(littleEndian: (storage.base + start).loadUnaligned(as: Int64.self))
        if prefix == -1 { return aligned(start + 8, length - 8) }
        guard prefix >= 0, prefix <= Int64(limits.maxBufferBytes) else {
            throw ArrowError(.limitExceeded, "\(what): uncompressed length \(prefix) is negative or above the limit")
        }
        if prefix == 0 { return .empty }
        let src = UnsafeRawBufferPointer(start: storage.base + start + 8, count: length - 8)
        return ArrowBuffer(storage: try decompressor.decompress(src, expected: Int(prefix), what: what))
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
