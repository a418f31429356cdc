// Writes record batches as an Arrow IPC file (magic, schema, batches, footer) or stream (schema, batches,
// end-of-stream marker), into memory or straight to a file, with 8- or 64-byte alignment and optional ZSTD
// body compression as the IPC spec defines it.
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

public enum ArrowIPCFormat: String, Sendable, Hashable {
    /// Random-access file: `ARROW1` magic, messages, footer listing every batch, `ARROW1`.
    case file
    /// Sequential stream: messages then an end-of-stream marker (log fragments, network transfer).
    case stream
}

public struct ArrowWriteOptions: Sendable, Hashable {
    public enum Compression: Sendable, Hashable {
        case none
        /// ZSTD per buffer; pyarrow's default level is 1.
        case zstd(level: Int32)
    }

    public var compression: Compression
    /// Alignment of every buffer and message, 8 (Arrow's minimum) or 64 (SIMD-friendly, the default).
    public var alignment: Int
    /// With compression, a buffer is stored compressed only if that saves at least this fraction of its bytes;
    /// otherwise it is stored as it is (the spec's uncompressed-length -1), and readers use it in place. 0 keeps
    /// every buffer that shrinks at all compressed, as pyarrow does.
    public var minimumSavings: Double

    public init(compression: Compression = .none, alignment: Int = 64, minimumSavings: Double = 0) {
        self.compression = compression
        self.alignment = alignment
        self.minimumSavings = minimumSavings
    }
}

/// Incremental writer. `write(_:)` each batch, then `finish()`.
public final class ArrowWriter {
    public enum Destination: Sendable, Hashable {
        case memory
        case file(path: String)
    }

    public let format: ArrowIPCFormat
    public let schema: ArrowSchema
    public let options: ArrowWriteOptions
    private var sink: ByteSink
    private var blocks: [(offset: Int64, metadataLength: Int32, bodyLength: Int64)] = []
    private let compressor: ZstdCompressor?
    private var scratch: GrowableBuffer?
    private var finished = false

    public init(
        format: ArrowIPCFormat, schema: ArrowSchema, options: ArrowWriteOptions = ArrowWriteOptions(),
        destination: Destination = .memory
    ) throws(ArrowError) {
        guard options.alignment == 8 || options.alignment == 64 else {
            throw ArrowError(.invalidArgument, "alignment \(options.alignment); use 8 or 64")
        }
        self.format = format
        self.schema = schema
        self.options = options
        switch destination {
        case .memory: sink = ByteSink(memory: ())
        case .file(let path): sink = try ByteSink(path: path)
        }
        if case .zstd(let level) = options.compression {
            compressor = try ZstdCompressor(level: level)
        } else {
            compressor = nil
        }
        if format == .file {
            try sink.write(Array("ARROW1".utf8) + [0, 0])
        }
        try writeMessage(MetadataEncoder.schemaMessage(schema), body: [])
    }

    /// Appends one batch; its schema must equal the writer's (names, types, nullability).
    public func write(_ batch: RecordBatch) throws(ArrowError) {
        guard !finished else { throw ArrowError(.invalidArgument, "writer already finished") }
        guard batch.schema.fields == schema.fields else {
            throw ArrowError(.invalidArgument, "batch schema differs from the writer's schema")
        }
        var nodes: [(length: Int64, nullCount: Int64)] = []
        var raw: [ArrowBuffer] = []
        func collect(_ a: ArrowArray) {
            nodes.append((Int64(a.length), Int64(a.nullCount)))
            raw.append(a.validity ?? .empty)
            raw.append(contentsOf: a.buffers)
            for c in a.children { collect(c) }
        }
        for c in batch.columns { collect(c) }

        // The body: each buffer (compressed, with its length prefix, when asked) padded to the alignment.
        var pieces: [BodyPiece] = []
        var layout: [(offset: Int64, length: Int64)] = []
        var offset = 0
        if let compressor {
            let scratch = self.scratch ?? GrowableBuffer()
            self.scratch = scratch
            // Each buffer gets its own region of the scratch (its compress bound), so buffers can be compressed
            // in parallel, as pyarrow does, without sharing memory.
            var regions: [Int] = []
            var total = 0
            for b in raw {
                regions.append(total)
                total += b.count == 0 ? 0 : 8 + ZstdCompressor.bound(b.count)
            }
            scratch.reserve(total)
            // The scratch address travels as an integer: each task writes only its own region of it.
            let base = UInt(bitPattern: scratch.pointer)
            let level = compressor.level
            let work = raw.indices.filter { raw[$0].count > 0 }
            var sizes = [Int](repeating: 0, count: raw.count)
            let rawBytes = work.reduce(0) { $0 + raw[$1].count }
            if work.count <= 1 || rawBytes < Self.parallelThreshold {
                for i in work {
                    sizes[i] = try Self.compressOne(
                        raw[i], into: base + UInt(regions[i]), compressor, minimumSavings: options.minimumSavings)
                }
            } else {
                let ordered = work.sorted { raw[$0].count > raw[$1].count }
                let (raw, regions, minimumSavings) = (raw, regions, options.minimumSavings)
                let results = Mutex<[Int: Result<Int, ArrowError>]>([:])
                DispatchQueue.concurrentPerform(iterations: ordered.count) { k in
                    let i = ordered[k]
                    let r = Result { () throws(ArrowError) -> Int in
                        try Self.compressOne(
                            raw[i], into: base + UInt(regions[i]), try ZstdCompressor(level: level),
                            minimumSavings: minimumSavings)
                    }
                    results.withLock { $0[i] = r }
                }
                let done = results.withLock { $0 }
                for i in work {
                    guard let r = done[i] else { throw ArrowError(.compression, "buffer \(i) not compressed") }
                    sizes[i] = try r.get()
                }
            }
            let compressed: [(start: Int, count: Int)?] = raw.indices.map {
                raw[$0].count == 0 ? nil : (regions[$0], sizes[$0])
            }
            for (b, c) in zip(raw, compressed) {
                var length = 0
                if let c {
                    pieces.append(.scratch(start: c.start, count: c.count))
                    length = c.count
                    if c.count == 8 {
                        pieces.append(.buffer(b))
                        length += b.count
                    }
                }
                layout.append((Int64(offset), Int64(length)))
                let padded = Self.align(length, options.alignment)
                if padded > length { pieces.append(.zeros(padded - length)) }
                offset += padded
            }
        } else {
            for b in raw {
                layout.append((Int64(offset), Int64(b.count)))
                pieces.append(.buffer(b))
                let padded = Self.align(b.count, options.alignment)
                if padded > b.count { pieces.append(.zeros(padded - b.count)) }
                offset += padded
            }
        }
        let header = RecordBatchLayout(
            length: Int64(batch.count), nodes: nodes, buffers: layout, compressed: compressor != nil)
        let metadata = MetadataEncoder.recordBatchMessage(header, bodyLength: Int64(offset))
        try writeMessage(metadata, body: pieces, bodyLength: offset, isBatch: true)
        scratch?.reset()
    }

    /// Writes the end-of-stream marker (and, for files, the footer and closing magic). For `.memory`
    /// destinations returns the bytes; for files returns empty `Data` after closing the file.
    @discardableResult
    public func finish() throws(ArrowError) -> Data {
        guard !finished else { throw ArrowError(.invalidArgument, "writer already finished") }
        finished = true
        try sink.write([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        if format == .file {
            let footer = MetadataEncoder.footer(schema, blocks: blocks)
            try sink.write(footer)
            var n = Int32(footer.count).littleEndian
            try withUnsafeBytes(of: &n) { (p) throws(ArrowError) in try sink.write(p) }
            try sink.write(Array("ARROW1".utf8))
        }
        return try sink.close()
    }

    // MARK: Framing

    enum BodyPiece {
        case buffer(ArrowBuffer)
        case scratch(start: Int, count: Int)
        case zeros(Int)
    }

    static func align(_ n: Int, _ a: Int) -> Int { (n + a - 1) & ~(a - 1) }

    /// Compresses `b` behind its 8-byte length prefix at address `dst` (room: 8 + compress bound); returns the
    /// bytes used. A buffer that does not shrink is left to be stored as is behind the prefix -1.
    static func compressOne(_ b: ArrowBuffer, into dstAddress: UInt, _ c: ZstdCompressor, minimumSavings: Double = 0)
        throws(ArrowError) -> Int
    {
        guard let dst = UnsafeMutableRawPointer(bitPattern: dstAddress) else {
            throw ArrowError(.compression, "no scratch memory")
        }
        let n = try b.withUnsafeBytes { (src) throws(ArrowError) -> Int in
            try c.compress(src, into: dst + 8, capacity: ZstdCompressor.bound(b.count))
        }
        if n < b.count, Double(b.count - n) >= minimumSavings * Double(b.count) {
            dst.storeBytes(of: Int64(b.count).littleEndian, as: Int64.self)
            return 8 + n
        }
        dst.storeBytes(of: Int64(-1).littleEndian, as: Int64.self)
        return 8
    }

    /// Below this many bytes of buffers in a batch, compression stays on the calling thread.
    static let parallelThreshold = 1 << 20

    /// Encapsulated message: 0xFFFFFFFF, int32 metadata size, flatbuffer, padding (so the body starts aligned),
    /// then the body.
    private func writeMessage(_ metadata: [UInt8], body: [BodyPiece], bodyLength: Int = 0, isBatch: Bool = false)
        throws(ArrowError)
    {
        let start = sink.position
        let unpadded = start + 8 + metadata.count
        let padding = Self.align(unpadded, options.alignment) - unpadded
        let metadataSize = metadata.count + padding
        var prefix: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
        withUnsafeBytes(of: Int32(metadataSize).littleEndian) { prefix.append(contentsOf: $0) }
        try sink.write(prefix)
        try sink.write(metadata)
        try sink.writeZeros(padding)
        for piece in body {
            switch piece {
            case .buffer(let b): try b.withUnsafeBytes { (p) throws(ArrowError) in try sink.write(p) }
            case .scratch(let s, let n):
                if let scratch { try sink.write(UnsafeRawBufferPointer(start: scratch.pointer + s, count: n)) }
            case .zeros(let n): try sink.writeZeros(n)
            }
        }
        if isBatch {
            blocks.append((Int64(start), Int32(8 + metadataSize), Int64(bodyLength)))
        }
    }
}

extension ArrowWriter {
    /// The bytes of an IPC file (or stream) holding `batches`, e.g. one Blockfile block.
    public static func encode(
        _ batches: [RecordBatch], schema: ArrowSchema, format: ArrowIPCFormat = .file,
        options: ArrowWriteOptions = ArrowWriteOptions()
    ) throws(ArrowError) -> Data {
        let w = try ArrowWriter(format: format, schema: schema, options: options)
        for b in batches { try w.write(b) }
        return try w.finish()
    }

    /// Writes `batches` to the file at `path` (created or truncated), buffers going straight to the file.
    public static func write(
        _ batches: [RecordBatch], schema: ArrowSchema, toFile path: String, format: ArrowIPCFormat = .file,
        options: ArrowWriteOptions = ArrowWriteOptions()
    ) throws(ArrowError) {
        let w = try ArrowWriter(format: format, schema: schema, options: options, destination: .file(path: path))
        for b in batches { try w.write(b) }
        try w.finish()
    }
}

/// Where the writer's bytes go: a growing memory buffer, or a file (large buffers written directly, small
/// pieces gathered first so a batch of many small buffers costs few system calls).
struct ByteSink {
    private let memory: GrowableBuffer?
    private var fd: Int32 = -1
    private var path = ""
    private let pending: GrowableBuffer
    private(set) var position = 0
    private static let directWriteThreshold = 256 << 10

    init(memory: Void) {
        self.memory = GrowableBuffer(capacity: 1 << 16)
        pending = GrowableBuffer(capacity: 64)
    }

    init(path: String) throws(ArrowError) {
        memory = nil
        pending = GrowableBuffer(capacity: 1 << 20)
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw ArrowError(.io, "cannot create \(path): \(String(cString: strerror(errno)))") }
    }

    mutating func write(_ bytes: [UInt8]) throws(ArrowError) {
        // Array.withUnsafeBytes is `rethrows` (untyped): carry the typed error out in a Result.
        let r = bytes.withUnsafeBytes { p in Result { () throws(ArrowError) in try write(p) } }
        try r.get()
    }

    mutating func write(_ p: UnsafeRawBufferPointer) throws(ArrowError) {
        position += p.count
        if let memory {
            memory.append(p)
            return
        }
        if p.count >= Self.directWriteThreshold {
            try flush()
            try writeAll(p)
        } else {
            pending.append(p)
            if pending.count >= 1 << 20 { try flush() }
        }
    }

    mutating func writeZeros(_ n: Int) throws(ArrowError) {
        guard n > 0 else { return }
        position += n
        if let memory { memory.appendZeros(n) } else { pending.appendZeros(n) }
    }

    private mutating func flush() throws(ArrowError) {
        if pending.count > 0 {
            try writeAll(UnsafeRawBufferPointer(start: pending.pointer, count: pending.count))
            pending.reset()
        }
    }

    private func writeAll(_ p: UnsafeRawBufferPointer) throws(ArrowError) {
        var done = 0
        while done < p.count {
            let r = Glibc.write(fd, p.baseAddress! + done, p.count - done)
            if r < 0 {
                if errno == EINTR { continue }
                throw ArrowError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            done += r
        }
    }

    mutating func close() throws(ArrowError) -> Data {
        if let memory { return memory.takeData() }
        try flush()
        let r = Glibc.close(fd)
        fd = -1
        if r != 0 { throw ArrowError(.io, "cannot close \(path): \(String(cString: strerror(errno)))") }
        return Data()
    }
}
