// Reads Arrow's FlatBuffers metadata into Swift values through the verifying reader, enforcing the limits on
// nesting depth and counts, and refusing (by name) what Cairn does not read: dictionaries, other types, LZ4.

/// A decoded RecordBatch header: field nodes and buffer locations relative to the message body.
struct RecordBatchHeader {
    var length: Int
    var nodes: [(length: Int, nullCount: Int)]
    var buffers: [(offset: Int, length: Int)]
    var compressed: Bool
}

enum DecodedMessage {
    case schema(ArrowSchema)
    case recordBatch(RecordBatchHeader)
}

struct FooterInfo {
    var schema: ArrowSchema
    var blocks: [(offset: Int, metadataLength: Int, bodyLength: Int)]
}

struct MetadataDecoder {
    let reader: FlatBufferReader
    let limits: ArrowLimits
    private var fieldBudget: Int

    init(_ bytes: UnsafeRawBufferPointer, limits: ArrowLimits) {
        reader = FlatBufferReader(bytes)
        self.limits = limits
        fieldBudget = limits.maxFields
    }

    private static func checkVersion(_ v: Int16) throws(ArrowError) {
        guard v == FB.versionV4 || v == FB.versionV5 else {
            throw ArrowError(
                .unsupportedVersion, "metadata version V\(Int(v) + 1); this reader reads V4 and V5")
        }
    }

    mutating func message() throws(ArrowError) -> (DecodedMessage, bodyLength: Int) {
        let m = try reader.root("Message")
        try Self.checkVersion(try m.scalar(0, default: Int16(0)))
        let tag = try m.scalar(1, default: UInt8(0))
        let bodyLength = try m.scalar(3, default: Int64(0))
        guard bodyLength >= 0, bodyLength <= Int64(Int.max / 2) else {
            throw ArrowError(.invalidData, "message body length \(bodyLength) is invalid")
        }
        guard let header = try m.table(2, "header") else {
            throw ArrowError(.invalidData, "message has no header")
        }
        switch tag {
        case FB.headerSchema: return (.schema(try schema(header)), Int(bodyLength))
        case FB.headerRecordBatch: return (.recordBatch(try recordBatch(header)), Int(bodyLength))
        case FB.headerDictionaryBatch:
            throw ArrowError(.unsupported, "dictionary batches (dictionary-encoded columns) are not supported")
        default:
            throw ArrowError(.unsupported, "message header type \(tag) (tensors) is not supported")
        }
    }

    mutating func footer() throws(ArrowError) -> FooterInfo {
        let f = try reader.root("Footer")
        try Self.checkVersion(try f.scalar(0, default: Int16(0)))
        guard let s = try f.table(1, "schema") else { throw ArrowError(.invalidData, "footer has no schema") }
        let sch = try schema(s)
        if let d = try f.vector(2, elementSize: 24, "dictionaries"), d.count > 0 {
            throw ArrowError(.unsupported, "dictionary batches (dictionary-encoded columns) are not supported")
        }
        var blocks: [(Int, Int, Int)] = []
        if let v = try f.vector(3, elementSize: 24, "recordBatches") {
            guard v.count <= limits.maxBatches else {
                throw ArrowError(.limitExceeded, "footer lists \(v.count) record batches, limit \(limits.maxBatches)")
            }
            blocks.reserveCapacity(v.count)
            for i in 0..<v.count {
                let p = v.start + 24 * i
                let offset = try reader.load(p, as: Int64.self, "block")
                let metaLength = try reader.load(p + 8, as: Int32.self, "block")
                let bodyLength = try reader.load(p + 16, as: Int64.self, "block")
                guard offset >= 0, metaLength >= 0, bodyLength >= 0, offset <= Int64(Int.max / 4),
                    bodyLength <= Int64(Int.max / 4)
                else {
                    throw ArrowError(.invalidData, "footer block \(i) has negative or huge offset or length")
                }
                blocks.append((Int(offset), Int(metaLength), Int(bodyLength)))
            }
        }
        return FooterInfo(schema: sch, blocks: blocks)
    }

    // MARK: Schema

    mutating func schema(_ t: FBTable) throws(ArrowError) -> ArrowSchema {
        let endianness = try t.scalar(0, default: Int16(0))
        guard endianness == 0 else { throw ArrowError(.unsupported, "big-endian data is not supported") }
        var fields: [ArrowField] = []
        if let v = try t.vector(1, elementSize: 4, "fields") {
            guard v.count <= fieldBudget else {
                throw ArrowError(.limitExceeded, "schema has more than \(limits.maxFields) fields")
            }
            for i in 0..<v.count {
                fields.append(try field(try reader.table(in: v, i, "Schema.fields"), depth: 0))
            }
        }
        return ArrowSchema(fields, metadata: try keyValues(t, slot: 2))
    }

    private func keyValues(_ t: FBTable, slot: Int) throws(ArrowError) -> [String: String] {
        guard let v = try t.vector(slot, elementSize: 4, "custom_metadata") else { return [:] }
        guard v.count <= limits.maxMetadataPairs else {
            throw ArrowError(.limitExceeded, "\(v.count) metadata pairs, limit \(limits.maxMetadataPairs)")
        }
        var out: [String: String] = [:]
        for i in 0..<v.count {
            let kv = try reader.table(in: v, i, "custom_metadata")
            out[try kv.string(0, "key") ?? ""] = try kv.string(1, "value") ?? ""
        }
        return out
    }

    private mutating func field(_ t: FBTable, depth: Int) throws(ArrowError) -> ArrowField {
        guard depth <= limits.maxNestingDepth else {
            throw ArrowError(.limitExceeded, "type nesting deeper than \(limits.maxNestingDepth)")
        }
        fieldBudget -= 1
        guard fieldBudget >= 0 else {
            throw ArrowError(.limitExceeded, "schema has more than \(limits.maxFields) fields")
        }
        let name = try t.string(0, "name") ?? ""
        let nullable = try t.bool(1, default: false)
        if try t.table(4, "dictionary") != nil {
            throw ArrowError(.unsupported, "field \(name) is dictionary-encoded, which is not supported")
        }
        var children: [ArrowField] = []
        if let v = try t.vector(5, elementSize: 4, "children") {
            guard v.count <= fieldBudget else {
                throw ArrowError(.limitExceeded, "schema has more than \(limits.maxFields) fields")
            }
            for i in 0..<v.count {
                children.append(try field(try reader.table(in: v, i, "\(name).children"), depth: depth + 1))
            }
        }
        let tag = try t.scalar(2, default: UInt8(0))
        let typeTable = try t.table(3, "type")
        func need(_ n: Int) throws(ArrowError) {
            guard children.count == n else {
                throw ArrowError(.invalidData, "field \(name): type \(tag) needs \(n) children, has \(children.count)")
            }
        }
        let type: ArrowType
        switch tag {
        case FB.typeInt:
            guard let typeTable else { throw ArrowError(.invalidData, "field \(name): Int without parameters") }
            let bits = try typeTable.scalar(0, default: Int32(0))
            let signed = try typeTable.bool(1, default: false)
            switch (bits, signed) {
            case (32, true): type = .int32
            case (64, true): type = .int64
            case (32, false): type = .uint32
            case (64, false): type = .uint64
            default:
                throw ArrowError(.unsupported, "field \(name): \(signed ? "" : "u")int\(bits) is not supported")
            }
            try need(0)
        case FB.typeFloatingPoint:
            let precision = try typeTable?.scalar(0, default: Int16(0)) ?? 0
            switch precision {
            case 1: type = .float32
            case 2: type = .float64
            default: throw ArrowError(.unsupported, "field \(name): half-precision floats are not supported")
            }
            try need(0)
        case FB.typeBool:
            type = .bool
            try need(0)
        case FB.typeUtf8:
            type = .utf8
            try need(0)
        case FB.typeBinary:
            type = .binary
            try need(0)
        case FB.typeLargeUtf8:
            type = .largeUtf8
            try need(0)
        case FB.typeLargeBinary:
            type = .largeBinary
            try need(0)
        case FB.typeList:
            try need(1)
            type = .list(children[0])
        case FB.typeFixedSizeList:
            try need(1)
            let size = try typeTable?.scalar(0, default: Int32(0)) ?? 0
            guard size >= 0 else { throw ArrowError(.invalidData, "field \(name): list size \(size)") }
            type = .fixedSizeList(children[0], size: Int(size))
        case FB.typeStruct: type = .structure(children)
        case 0: throw ArrowError(.invalidData, "field \(name) has no type")
        default:
            throw ArrowError(.unsupported, "field \(name): Arrow type #\(tag) (\(Self.typeName(tag))) is not supported")
        }
        return ArrowField(name, type, nullable: nullable, metadata: try keyValues(t, slot: 6))
    }

    static func typeName(_ tag: UInt8) -> String {
        let names = [
            "NONE", "Null", "Int", "FloatingPoint", "Binary", "Utf8", "Bool", "Decimal", "Date", "Time", "Timestamp",
            "Interval", "List", "Struct", "Union", "FixedSizeBinary", "FixedSizeList", "Map", "Duration",
            "LargeBinary", "LargeUtf8", "LargeList", "RunEndEncoded", "BinaryView", "Utf8View", "ListView",
            "LargeListView",
        ]
        return Int(tag) < names.count ? names[Int(tag)] : "unknown"
    }

    // MARK: Record batch

    private func recordBatch(_ t: FBTable) throws(ArrowError) -> RecordBatchHeader {
        let length = try t.scalar(0, default: Int64(0))
        guard length >= 0, length <= Int64(limits.maxBufferBytes) else {
            throw ArrowError(.invalidData, "record batch length \(length) is out of range")
        }
        func pairs(_ slot: Int, _ name: String) throws(ArrowError) -> [(Int, Int)] {
            guard let v = try t.vector(slot, elementSize: 16, name) else { return [] }
            guard v.count <= limits.maxBuffers else {
                throw ArrowError(.limitExceeded, "\(v.count) \(name), limit \(limits.maxBuffers)")
            }
            var out: [(Int, Int)] = []
            out.reserveCapacity(v.count)
            for i in 0..<v.count {
                let a = try reader.load(v.start + 16 * i, as: Int64.self, name)
                let b = try reader.load(v.start + 16 * i + 8, as: Int64.self, name)
                guard a >= 0, b >= 0, a <= Int64(Int.max / 4), b <= Int64(Int.max / 4) else {
                    throw ArrowError(.invalidData, "\(name)[\(i)] has a negative or huge value")
                }
                out.append((Int(a), Int(b)))
            }
            return out
        }
        let nodes = try pairs(1, "nodes")
        let buffers = try pairs(2, "buffers")
        var compressed = false
        if let c = try t.table(3, "compression") {
            let codec = try c.scalar(0, default: FB.codecLZ4Frame)
            let method = try c.scalar(1, default: Int8(0))
            guard codec == FB.codecZSTD else {
                throw ArrowError(.unsupported, "body compression codec \(codec == 0 ? "LZ4_FRAME" : "\(codec)")")
            }
            guard method == 0 else { throw ArrowError(.unsupported, "body compression method \(method)") }
            compressed = true
        }
        if let v = try t.vector(4, elementSize: 8, "variadicBufferCounts"), v.count > 0 {
            throw ArrowError(.unsupported, "variadic buffers (view types) are not supported")
        }
        return RecordBatchHeader(
            length: Int(length), nodes: nodes.map { (length: $0.0, nullCount: $0.1) },
            buffers: buffers.map { (offset: $0.0, length: $0.1) }, compressed: compressed)
    }
}
