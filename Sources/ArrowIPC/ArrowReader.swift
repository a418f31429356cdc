// Readers of the IPC file and stream formats over a `ByteStorage` (a mapped file or a retained `Data`).
// Opening reads only the footer and schema; a batch is located by its footer block and turned into column
// views with no per-value copy.
import Foundation

/// Frames one encapsulated message at `offset`: returns the flatbuffer's range and where the body starts.
/// Accepts the pre-0.15 framing without the 0xFFFFFFFF continuation marker.
struct MessageFrame {
    var metadata: Range<Int>
    var bodyStart: Int
    /// False for the end-of-stream marker.
    var isMessage: Bool

    static func read(_ s: ByteStorage, at offset: Int, limits: ArrowLimits) throws(ArrowError) -> MessageFrame {
        guard offset >= 0, offset <= s.count - 4 else {
            throw ArrowError(.truncated, "message at byte \(offset) is cut off (\(s.count) bytes in all)")
        }
        var p = offset
        var size = Int32(littleEndian: (s.base + p).loadUnaligned(as: Int32.self))
        p += 4
        if size == -1 {
            guard p <= s.count - 4 else { throw ArrowError(.truncated, "message length at byte \(p) is cut off") }
            size = Int32(littleEndian: (s.base + p).loadUnaligned(as: Int32.self))
            p += 4
        }
        if size == 0 { return MessageFrame(metadata: p..<p, bodyStart: p, isMessage: false) }
        guard size > 0 else { throw ArrowError(.invalidData, "message at byte \(offset) has length \(size)") }
        guard Int(size) <= limits.maxMetadataBytes else {
            throw ArrowError(.limitExceeded, "message metadata of \(size) bytes, limit \(limits.maxMetadataBytes)")
        }
        guard Int(size) <= s.count - p else {
            throw ArrowError(.truncated, "message at byte \(offset) announces \(size) bytes, \(s.count - p) remain")
        }
        return MessageFrame(metadata: p..<(p + Int(size)), bodyStart: p + Int(size), isMessage: true)
    }

    func decode(_ s: ByteStorage, limits: ArrowLimits) throws(ArrowError) -> (DecodedMessage, bodyLength: Int) {
        var d = MetadataDecoder(
            UnsafeRawBufferPointer(start: s.base + metadata.lowerBound, count: metadata.count), limits: limits)
        return try withExtendedLifetime(s) { () throws(ArrowError) in try d.message() }
    }
}

/// Read options: the limits applied to everything in the bytes.
public struct ArrowReadOptions: Sendable, Hashable {
    public var limits: ArrowLimits
    public init(limits: ArrowLimits = .default) { self.limits = limits }
}

/// A random-access reader of the IPC file format.
public struct ArrowFileReader: Sendable {
    public let storage: ByteStorage
    public let schema: ArrowSchema
    let blocks: [(offset: Int, metadataLength: Int, bodyLength: Int)]
    let footerStart: Int
    public let options: ArrowReadOptions

    public var batchCount: Int { blocks.count }
    public var metadata: [String: String] { schema.metadata }

    /// Opens the file's bytes: checks both magics, reads and verifies the footer and schema. O(fields + batches).
    public init(storage: ByteStorage, options: ArrowReadOptions = ArrowReadOptions()) throws(ArrowError) {
        let magic = Array("ARROW1".utf8)
        let n = storage.count
        guard n >= 6 + 2 + 4 + 6 else { throw ArrowError(.truncated, "\(n) bytes is too short for an Arrow file") }
        let b = storage.bytes
        guard Array(b[0..<6]) == magic else { throw ArrowError(.badMagic, "file does not start with ARROW1") }
        guard Array(b[(n - 6)..<n]) == magic else {
            throw ArrowError(.badMagic, "file does not end with ARROW1 (truncated or not a file-format stream)")
        }
        let footerLength = Int(Int32(littleEndian: b.loadUnaligned(fromByteOffset: n - 10, as: Int32.self)))
        guard footerLength > 0, footerLength <= n - 18 else {
            throw ArrowError(.invalidData, "footer length \(footerLength) does not fit in \(n) bytes")
        }
        guard footerLength <= options.limits.maxMetadataBytes else {
            throw ArrowError(.limitExceeded, "footer of \(footerLength) bytes")
        }
        let start = n - 10 - footerLength
        var d = MetadataDecoder(UnsafeRawBufferPointer(rebasing: b[start..<(n - 10)]), limits: options.limits)
        let footer = try withExtendedLifetime(storage) { () throws(ArrowError) in try d.footer() }
        for (i, block) in footer.blocks.enumerated() {
            guard block.offset >= 8, block.metadataLength >= 8,
                block.offset + block.metadataLength + block.bodyLength <= start
            else { throw ArrowError(.invalidData, "footer block \(i) lies outside the file's data") }
        }
        self.storage = storage
        self.schema = footer.schema
        self.blocks = footer.blocks
        self.footerStart = start
        self.options = options
    }

    /// Zero-copy over `data` (retained for as long as any column view is alive).
    public init(data: Data, options: ArrowReadOptions = ArrowReadOptions()) throws(ArrowError) {
        try self.init(storage: ByteStorage(data: data), options: options)
    }

    /// Maps the file at `path`: opening costs microseconds whatever its size.
    public init(path: String, options: ArrowReadOptions = ArrowReadOptions()) throws(ArrowError) {
        try self.init(storage: ByteStorage(mappingFileAt: path), options: options)
    }

    /// Batch `i`: its message is framed and verified, buffers located (and decompressed if ZSTD), columns
    /// validated. Uncompressed columns point into the file's bytes.
    public func recordBatch(at i: Int) throws(ArrowError) -> RecordBatch {
        guard i >= 0 && i < blocks.count else {
            throw ArrowError(.invalidArgument, "batch \(i) requested, file has \(blocks.count)")
        }
        let block = blocks[i]
        let frame = try MessageFrame.read(storage, at: block.offset, limits: options.limits)
        guard frame.isMessage, frame.bodyStart == block.offset + block.metadataLength else {
            throw ArrowError(.invalidData, "batch \(i): message framing disagrees with the footer block")
        }
        let (message, bodyLength) = try frame.decode(storage, limits: options.limits)
        guard case .recordBatch(let header) = message else {
            throw ArrowError(.invalidData, "batch \(i): footer block points at a message that is not a record batch")
        }
        guard bodyLength == block.bodyLength, frame.bodyStart + bodyLength <= footerStart else {
            throw ArrowError(.invalidData, "batch \(i): body length \(bodyLength) disagrees with the footer")
        }
        var loader = RecordBatchLoader(
            schema: schema, header: header, storage: storage, bodyStart: frame.bodyStart, bodyLength: bodyLength,
            limits: options.limits)
        return try loader.load()
    }

    /// All batches in order.
    public func recordBatches() throws(ArrowError) -> [RecordBatch] {
        var out: [RecordBatch] = []
        for i in 0..<blocks.count { out.append(try recordBatch(at: i)) }
        return out
    }
}

/// A reader of the IPC stream format: a schema message, record batches, an optional end-of-stream marker.
public struct ArrowStreamReader: Sendable {
    public let storage: ByteStorage
    public let schema: ArrowSchema
    /// Every batch in the stream, each a zero-copy view (ZSTD buffers decompressed).
    public let batches: [RecordBatch]

    public var metadata: [String: String] { schema.metadata }

    public init(storage: ByteStorage, options: ArrowReadOptions = ArrowReadOptions()) throws(ArrowError) {
        let limits = options.limits
        var offset = 0
        let first = try MessageFrame.read(storage, at: offset, limits: limits)
        guard first.isMessage else { throw ArrowError(.invalidData, "stream ends before its schema") }
        let (message, schemaBody) = try first.decode(storage, limits: limits)
        guard case .schema(let schema) = message else {
            throw ArrowError(.invalidData, "stream does not start with a schema message")
        }
        offset = first.bodyStart + schemaBody
        var batches: [RecordBatch] = []
        while offset < storage.count {
            // A stream may end without the marker (the spec allows it) but not in the middle of a message.
            let frame = try MessageFrame.read(storage, at: offset, limits: limits)
            if !frame.isMessage { break }
            let (m, bodyLength) = try frame.decode(storage, limits: limits)
            guard bodyLength <= storage.count - frame.bodyStart else {
                throw ArrowError(.truncated, "message body of \(bodyLength) bytes is cut off")
            }
            guard case .recordBatch(let header) = m else {
                throw ArrowError(.invalidData, "a second schema message in the stream")
            }
            guard batches.count < limits.maxBatches else {
                throw ArrowError(.limitExceeded, "more than \(limits.maxBatches) batches in the stream")
            }
            var loader = RecordBatchLoader(
                schema: schema, header: header, storage: storage, bodyStart: frame.bodyStart, bodyLength: bodyLength,
                limits: limits)
            batches.append(try loader.load())
            offset = frame.bodyStart + bodyLength
        }
        self.storage = storage
        self.schema = schema
        self.batches = batches
    }

    public init(data: Data, options: ArrowReadOptions = ArrowReadOptions()) throws(ArrowError) {
        try self.init(storage: ByteStorage(data: data), options: options)
    }

    public init(path: String, options: ArrowReadOptions = ArrowReadOptions()) throws(ArrowError) {
        try self.init(storage: ByteStorage(mappingFileAt: path), options: options)
    }
}

/// Either format, detected from the leading magic: what `cairn inspect arrow` opens.
public struct ArrowIPCContents: Sendable {
    public let format: ArrowIPCFormat
    public let schema: ArrowSchema
    public let batchCount: Int
    private let file: ArrowFileReader?
    private let stream: ArrowStreamReader?

    public init(storage: ByteStorage, options: ArrowReadOptions = ArrowReadOptions()) throws(ArrowError) {
        let isFile = storage.count >= 6 && Array(storage.bytes[0..<6]) == Array("ARROW1".utf8)
        if isFile {
            let f = try ArrowFileReader(storage: storage, options: options)
            file = f
            stream = nil
            format = .file
            schema = f.schema
            batchCount = f.batchCount
        } else {
            let s = try ArrowStreamReader(storage: storage, options: options)
            stream = s
            file = nil
            format = .stream
            schema = s.schema
            batchCount = s.batches.count
        }
    }

    public func recordBatch(at i: Int) throws(ArrowError) -> RecordBatch {
        if let file { return try file.recordBatch(at: i) }
        guard let stream, i >= 0, i < stream.batches.count else {
            throw ArrowError(.invalidArgument, "batch \(i) requested, there are \(batchCount)")
        }
        return stream.batches[i]
    }
}
