import Foundation
import Testing

// Hand-made hostile inputs, each aimed at one check: the reader must name what is wrong with a stable code.
@testable import ArrowIPC

@Suite("Hostile and unsupported input")
struct HostileInputTests {
    func fileError(_ data: Data) -> ArrowError? {
        do {
            let r = try ArrowFileReader(data: data)
            _ = try r.recordBatches()
            return nil
        } catch { return error }
    }

    func streamError(_ data: Data) -> ArrowError? {
        do {
            _ = try ArrowStreamReader(data: data)
            return nil
        } catch { return error }
    }

    static func simpleFile(compression: ArrowWriteOptions.Compression = .none) throws -> Data {
        let schema = ArrowSchema([ArrowField("s", .utf8)])
        let batch = try RecordBatch(schema: schema, columns: [try .strings(Array(repeating: "abc", count: 100))])
        return try ArrowWriter.encode([batch], schema: schema, options: ArrowWriteOptions(compression: compression))
    }

    /// Encodes a file whose one batch has the given header and body: lets a test lie in the metadata.
    static func file(schema: ArrowSchema, header: RecordBatchLayout, body: [UInt8]) -> Data {
        var out = Array("ARROW1".utf8) + [0, 0]
        func message(_ fb: [UInt8], body: [UInt8]) -> (Int, Int) {
            let start = out.count
            let pad = (8 - (fb.count % 8)) % 8
            out += [0xFF, 0xFF, 0xFF, 0xFF]
            withUnsafeBytes(of: Int32(fb.count + pad).littleEndian) { out += $0 }
            out += fb + [UInt8](repeating: 0, count: pad)
            out += body
            return (start, 8 + fb.count + pad)
        }
        _ = message(MetadataEncoder.schemaMessage(schema), body: [])
        let (start, metaLength) = message(
            MetadataEncoder.recordBatchMessage(header, bodyLength: Int64(body.count)), body: body)
        let footer = MetadataEncoder.footer(
            schema, blocks: [(Int64(start), Int32(metaLength), Int64(body.count))])
        out += footer
        withUnsafeBytes(of: Int32(footer.count).littleEndian) { out += $0 }
        out += Array("ARROW1".utf8)
        return Data(out)
    }

    @Test("pyarrow files using what Cairn does not read are refused by name")
    func unsupported() throws {
        for (name, words) in [
            ("unsupported_dictionary.arrow", "dictionary"), ("unsupported_lz4.arrow", "LZ4"),
            ("unsupported_date.arrow", "Date"),
        ] {
            let e = try #require(fileError(try Fixtures.data(name)))
            #expect(e.code == .unsupported, "\(name): \(e)")
            #expect(e.message.contains(words), "\(name): \(e)")
        }
    }

    @Test("a file cut anywhere is truncated or bad magic, never read")
    func truncation() throws {
        let data = try Self.simpleFile()
        for n in [0, 5, 12, data.count / 2, data.count - 1] {
            let e = try #require(fileError(data.prefix(n)))
            #expect([.truncated, .badMagic, .invalidData].contains(e.code), "\(n): \(e)")
        }
        let s = try ArrowWriter.encode([], schema: ArrowSchema([ArrowField("s", .utf8)]), format: .stream)
        #expect(streamError(s.prefix(6))?.code == .truncated)
    }

    @Test("buffers outside the body are refused")
    func bufferOutsideBody() throws {
        let schema = ArrowSchema([ArrowField("v", .uint32)])
        let header = RecordBatchLayout(
            length: 4, nodes: [(4, 0)], buffers: [(0, 0), (0, 1 << 40)], compressed: false)
        let e = try #require(
            fileError(Self.file(schema: schema, header: header, body: [UInt8](repeating: 0, count: 16))))
        #expect(e.code == .invalidData)
        #expect(e.message.contains("outside"))
    }

    @Test("a values buffer too short for the row count is refused")
    func shortValues() throws {
        let schema = ArrowSchema([ArrowField("v", .uint64)])
        let header = RecordBatchLayout(length: 1000, nodes: [(1000, 0)], buffers: [(0, 0), (0, 16)], compressed: false)
        let e = try #require(
            fileError(Self.file(schema: schema, header: header, body: [UInt8](repeating: 0, count: 16))))
        #expect(e.code == .invalidData)
    }

    @Test("decreasing or overlong string offsets are refused")
    func badOffsets() throws {
        let schema = ArrowSchema([ArrowField("s", .utf8)])
        for offsets: [Int32] in [[0, 5, 3], [0, 2, 99], [-4, 0, 1]] {
            var body: [UInt8] = []
            for o in offsets { withUnsafeBytes(of: o.littleEndian) { body += $0 } }
            body += [UInt8](repeating: 0, count: 4)  // padding to 16
            body += Array("hello...".utf8)
            let header = RecordBatchLayout(
                length: 2, nodes: [(2, 0)], buffers: [(0, 0), (0, 12), (16, 8)], compressed: false)
            let e = try #require(fileError(Self.file(schema: schema, header: header, body: body)))
            #expect(e.code == .invalidData, "\(offsets): \(e)")
        }
    }

    @Test("wrong buffer and node counts are refused")
    func counts() throws {
        let schema = ArrowSchema([ArrowField("v", .uint32)])
        let extra = RecordBatchLayout(
            length: 2, nodes: [(2, 0), (2, 0)], buffers: [(0, 0), (0, 8)], compressed: false)
        #expect(
            fileError(Self.file(schema: schema, header: extra, body: [UInt8](repeating: 0, count: 8)))?.code
                == .invalidData)
        let few = RecordBatchLayout(length: 2, nodes: [(2, 0)], buffers: [(0, 0)], compressed: false)
        #expect(
            fileError(Self.file(schema: schema, header: few, body: [UInt8](repeating: 0, count: 8)))?.code
                == .invalidData)
        let nulls = RecordBatchLayout(length: 2, nodes: [(2, 5)], buffers: [(0, 1), (8, 8)], compressed: false)
        #expect(
            fileError(Self.file(schema: schema, header: nulls, body: [UInt8](repeating: 0, count: 16)))?.code
                == .invalidData)
    }

    @Test("a decompression bomb is refused before allocation")
    func decompressionBomb() throws {
        let schema = ArrowSchema([ArrowField("v", .uint32)])
        var body: [UInt8] = []
        withUnsafeBytes(of: Int64(1 << 50).littleEndian) { body += $0 }
        body += [UInt8](repeating: 0, count: 8)
        let header = RecordBatchLayout(length: 2, nodes: [(2, 0)], buffers: [(0, 0), (0, 16)], compressed: true)
        let e = try #require(fileError(Self.file(schema: schema, header: header, body: body)))
        #expect(e.code == .limitExceeded)
        // A plausible size whose frame is garbage: a ZSTD error, not a crash.
        var body2: [UInt8] = []
        withUnsafeBytes(of: Int64(8).littleEndian) { body2 += $0 }
        body2 += [1, 2, 3, 4, 5, 6, 7, 8]
        let e2 = try #require(
            fileError(
                Self.file(
                    schema: schema,
                    header: RecordBatchLayout(
                        length: 2, nodes: [(2, 0)], buffers: [(0, 0), (0, 16)], compressed: true), body: body2)))
        #expect(e2.code == .compression)
    }

    @Test("nesting deeper than the limit is refused")
    func deepNesting() throws {
        var t = ArrowType.uint32
        for _ in 0..<40 { t = .list(ArrowField("item", t)) }
        let schema = ArrowSchema([ArrowField("deep", t)])
        let data = try ArrowWriter.encode([], schema: schema)
        let e = try #require(fileError(data))
        #expect(e.code == .limitExceeded)
        var limits = ArrowLimits()
        limits.maxNestingDepth = 64
        #expect(try ArrowFileReader(data: data, options: ArrowReadOptions(limits: limits)).schema == schema)
    }

    @Test("more fields than the limit are refused")
    func manyFields() throws {
        let schema = ArrowSchema((0..<50).map { ArrowField("f\($0)", .bool) })
        let data = try ArrowWriter.encode([], schema: schema)
        var limits = ArrowLimits()
        limits.maxFields = 10
        #expect(throws: ArrowError.self) { try ArrowFileReader(data: data, options: ArrowReadOptions(limits: limits)) }
        #expect(try ArrowFileReader(data: data).schema.fields.count == 50)
    }

    @Test("an unknown metadata version is refused clearly")
    func unknownVersion() throws {
        var b = FlatBufferBuilder()
        b.startTable(fieldCount: 5)
        b.addForced(0, Int16(7))
        let root = b.endTable()
        let fb = b.finish(root)
        var data = [UInt8]([0xFF, 0xFF, 0xFF, 0xFF])
        withUnsafeBytes(of: Int32(fb.count).littleEndian) { data += $0 }
        data += fb
        let e = try #require(streamError(Data(data)))
        #expect(e.code == .unsupportedVersion)
        #expect(e.message.contains("V8"))
    }

    @Test("footer blocks pointing outside the data are refused")
    func footerBlocks() throws {
        let schema = ArrowSchema([ArrowField("v", .uint32)])
        var out = Array("ARROW1".utf8) + [0, 0]
        let footer = MetadataEncoder.footer(schema, blocks: [(1 << 40, 100, 100)])
        out += footer
        withUnsafeBytes(of: Int32(footer.count).littleEndian) { out += $0 }
        out += Array("ARROW1".utf8)
        let e = try #require(fileError(Data(out)))
        #expect(e.code == .invalidData)
        var huge = Array(try Self.simpleFile())
        let n = huge.count
        withUnsafeBytes(of: Int32.max.littleEndian) { for (i, x) in $0.enumerated() { huge[n - 10 + i] = x } }
        #expect(fileError(Data(huge))?.code == .invalidData)
    }

    @Test("a stream that is a file, and a file that is a stream, are told apart")
    func wrongFormat() throws {
        let file = try Self.simpleFile()
        #expect(streamError(file) != nil)
        let schema = ArrowSchema([ArrowField("s", .utf8)])
        let stream = try ArrowWriter.encode([], schema: schema, format: .stream)
        #expect(fileError(stream)?.code == .badMagic)
        #expect(try ArrowIPCContents(storage: ByteStorage(data: stream)).format == .stream)
        #expect(try ArrowIPCContents(storage: ByteStorage(data: file)).format == .file)
    }
}
