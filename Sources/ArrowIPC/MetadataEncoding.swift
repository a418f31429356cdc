// Writes Arrow's FlatBuffers metadata (Schema.fbs, Message.fbs, File.fbs): schemas, record batch headers,
// messages and the file footer. Slot numbers are the field order of the official .fbs tables.

/// Union tags and enum values from the Arrow .fbs files.
enum FB {
    // union Type
    static let typeInt: UInt8 = 2
    static let typeFloatingPoint: UInt8 = 3
    static let typeBinary: UInt8 = 4
    static let typeUtf8: UInt8 = 5
    static let typeBool: UInt8 = 6
    static let typeList: UInt8 = 12
    static let typeStruct: UInt8 = 13
    static let typeFixedSizeList: UInt8 = 16
    static let typeLargeBinary: UInt8 = 19
    static let typeLargeUtf8: UInt8 = 20
    // union MessageHeader
    static let headerSchema: UInt8 = 1
    static let headerDictionaryBatch: UInt8 = 2
    static let headerRecordBatch: UInt8 = 3
    // enum MetadataVersion
    static let versionV4: Int16 = 3
    static let versionV5: Int16 = 4
    // enum CompressionType
    static let codecLZ4Frame: Int8 = 0
    static let codecZSTD: Int8 = 1
}

/// Positions of one record batch's buffers and nodes in its body, as written to the RecordBatch table.
struct RecordBatchLayout {
    var length: Int64
    var nodes: [(length: Int64, nullCount: Int64)]
    var buffers: [(offset: Int64, length: Int64)]
    var compressed: Bool
}

enum MetadataEncoder {
    static func keyValues(_ b: inout FlatBufferBuilder, _ metadata: [String: String]) -> FBOffset? {
        if metadata.isEmpty { return nil }
        var pairs: [FBOffset] = []
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) {
            let ko = b.createString(k)
            let vo = b.createString(v)
            b.startTable(fieldCount: 2)
            b.add(0, ko)
            b.add(1, vo)
            pairs.append(b.endTable())
        }
        return b.createOffsetVector(pairs)
    }

    static func type(_ b: inout FlatBufferBuilder, _ t: ArrowType) -> (UInt8, FBOffset) {
        func empty(_ tag: UInt8) -> (UInt8, FBOffset) {
            b.startTable(fieldCount: 0)
            return (tag, b.endTable())
        }
        func int(_ bits: Int32, _ signed: Bool) -> (UInt8, FBOffset) {
            b.startTable(fieldCount: 2)
            b.addForced(0, bits)
            b.addForced(1, UInt8(signed ? 1 : 0))
            return (FB.typeInt, b.endTable())
        }
        func float(_ precision: Int16) -> (UInt8, FBOffset) {
            b.startTable(fieldCount: 1)
            b.addForced(0, precision)
            return (FB.typeFloatingPoint, b.endTable())
        }
        switch t {
        case .bool: return empty(FB.typeBool)
        case .int32: return int(32, true)
        case .int64: return int(64, true)
        case .uint32: return int(32, false)
        case .uint64: return int(64, false)
        case .float32: return float(1)
        case .float64: return float(2)
        case .utf8: return empty(FB.typeUtf8)
        case .binary: return empty(FB.typeBinary)
        case .largeUtf8: return empty(FB.typeLargeUtf8)
        case .largeBinary: return empty(FB.typeLargeBinary)
        case .list: return empty(FB.typeList)
        case .structure: return empty(FB.typeStruct)
        case .fixedSizeList(_, let size):
            b.startTable(fieldCount: 1)
            b.addForced(0, Int32(size))
            return (FB.typeFixedSizeList, b.endTable())
        }
    }

    static func field(_ b: inout FlatBufferBuilder, _ f: ArrowField) -> FBOffset {
        let childFields: [ArrowField]
        switch f.type {
        case .list(let c), .fixedSizeList(let c, _): childFields = [c]
        case .structure(let cs): childFields = cs
        default: childFields = []
        }
        let children = childFields.map { field(&b, $0) }
        let childrenVector = b.createOffsetVector(children)
        let name = b.createString(f.name)
        let meta = keyValues(&b, f.metadata)
        let (tag, typeTable) = type(&b, f.type)
        b.startTable(fieldCount: 7)
        b.add(0, name)
        b.addForced(1, UInt8(f.nullable ? 1 : 0))
        b.addForced(2, tag)
        b.add(3, typeTable)
        b.add(5, childrenVector)
        b.add(6, meta)
        return b.endTable()
    }

    static func schema(_ b: inout FlatBufferBuilder, _ s: ArrowSchema) -> FBOffset {
        let fields = s.fields.map { field(&b, $0) }
        let fieldsVector = b.createOffsetVector(fields)
        let meta = keyValues(&b, s.metadata)
        b.startTable(fieldCount: 4)
        b.addForced(0, Int16(0))  // Little endian
        b.add(1, fieldsVector)
        b.add(2, meta)
        return b.endTable()
    }

    static func message(header tag: UInt8, bodyLength: Int64, _ header: (inout FlatBufferBuilder) -> FBOffset)
        -> [UInt8]
    {
        var b = FlatBufferBuilder()
        let h = header(&b)
        b.startTable(fieldCount: 5)
        b.addForced(0, FB.versionV5)
        b.addForced(1, tag)
        b.add(2, h)
        b.addForced(3, bodyLength)
        let root = b.endTable()
        return b.finish(root)
    }

    static func schemaMessage(_ s: ArrowSchema) -> [UInt8] {
        message(header: FB.headerSchema, bodyLength: 0) { schema(&$0, s) }
    }

    static func recordBatchMessage(_ layout: RecordBatchLayout, bodyLength: Int64) -> [UInt8] {
        message(header: FB.headerRecordBatch, bodyLength: bodyLength) { b in
            let nodes = b.createInt64PairVector(layout.nodes.map { ($0.length, $0.nullCount) })
            let buffers = b.createInt64PairVector(layout.buffers.map { ($0.offset, $0.length) })
            var compression: FBOffset?
            if layout.compressed {
                b.startTable(fieldCount: 2)
                b.addForced(0, FB.codecZSTD)
                b.addForced(1, Int8(0))  // BUFFER
                compression = b.endTable()
            }
            b.startTable(fieldCount: 5)
            b.addForced(0, layout.length)
            b.add(1, nodes)
            b.add(2, buffers)
            b.add(3, compression)
            return b.endTable()
        }
    }

    static func footer(_ s: ArrowSchema, blocks: [(offset: Int64, metadataLength: Int32, bodyLength: Int64)])
        -> [UInt8]
    {
        var b = FlatBufferBuilder()
        let sch = schema(&b, s)
        let dicts = b.createBlockVector([])
        let batches = b.createBlockVector(blocks)
        b.startTable(fieldCount: 5)
        b.addForced(0, FB.versionV5)
        b.add(1, sch)
        b.add(2, dicts)
        b.add(3, batches)
        let root = b.endTable()
        return b.finish(root)
    }
}
