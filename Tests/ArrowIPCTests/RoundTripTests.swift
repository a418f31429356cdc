// Cairn writes, Cairn reads: every type, nulls and metadata survive every combination of format, alignment
// and compression; random batches round-trip (property test, fixed seeds).
import ArrowIPC
import Foundation
import Testing

@Suite("Round trips through the writer and readers")
struct RoundTripTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        var format: ArrowIPCFormat
        var options: ArrowWriteOptions
        var testDescription: String {
            let c = options.compression == .none ? "plain" : "zstd"
            return "\(format.rawValue) align \(options.alignment) \(c)"
        }
    }

    static let variants: [Variant] = [ArrowIPCFormat.file, .stream].flatMap { f in
        [8, 64].flatMap { a in
            [ArrowWriteOptions.Compression.none, .zstd(level: 1)].map {
                Variant(format: f, options: ArrowWriteOptions(compression: $0, alignment: a))
            }
        }
    }

    func read(_ data: Data, _ format: ArrowIPCFormat) throws -> (ArrowSchema, [RecordBatch]) {
        switch format {
        case .file:
            let r = try ArrowFileReader(data: data)
            return (r.schema, try r.recordBatches())
        case .stream:
            let r = try ArrowStreamReader(data: data)
            return (r.schema, r.batches)
        }
    }

    @Test("all types with nulls and metadata round-trip", arguments: variants)
    func allTypes(variant: Variant) throws {
        let batches = [
            try SampleBatches.batch(rows: 300, seed: 1), try SampleBatches.batch(rows: 0),
            try SampleBatches.batch(rows: 17, seed: 2),
        ]
        let data = try ArrowWriter.encode(
            batches, schema: SampleBatches.schema, format: variant.format, options: variant.options)
        let (schema, back) = try read(data, variant.format)
        #expect(schema == SampleBatches.schema)
        #expect(back.count == batches.count)
        for (a, b) in zip(batches, back) {
            #expect(a.count == b.count)
            #expect(SampleBatches.cells(a) == SampleBatches.cells(b))
            for (ca, cb) in zip(a.columns, b.columns) { #expect(ca.nullCount == cb.nullCount) }
        }
    }

    @Test("uncompressed buffers and messages sit at the requested alignment", arguments: [8, 64])
    func alignment(alignment: Int) throws {
        let data = try ArrowWriter.encode(
            [try SampleBatches.batch(rows: 33)], schema: SampleBatches.schema,
            options: ArrowWriteOptions(alignment: alignment))
        let r = try ArrowFileReader(data: data)
        let b = try r.recordBatch(at: 0)
        let base = UInt(bitPattern: r.storage.bytes.baseAddress)
        func check(_ a: ArrowArray) {
            for buf in a.buffers where buf.count > 0 {
                buf.withUnsafeBytes { p in
                    #expect((UInt(bitPattern: p.baseAddress) - base) % UInt(alignment) == 0)
                }
            }
            a.children.forEach(check)
        }
        b.columns.forEach(check)
    }

    @Test("writing to a file and mapping it back gives the same values")
    func fileOnDisk() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arrow-rt-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let batch = try SampleBatches.batch(rows: 1000, seed: 9)
        for format in [ArrowIPCFormat.file, .stream] {
            let path = dir.appendingPathComponent("t.\(format.rawValue)").path
            try ArrowWriter.write([batch], schema: SampleBatches.schema, toFile: path, format: format)
            let mem = try ArrowWriter.encode([batch], schema: SampleBatches.schema, format: format)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == mem)
            let back =
                format == .file
                ? try ArrowFileReader(path: path).recordBatch(at: 0) : try ArrowStreamReader(path: path).batches[0]
            #expect(SampleBatches.cells(back) == SampleBatches.cells(batch))
        }
    }

    @Test("random batches round-trip (property, 40 seeds)")
    func property() throws {
        var rng = SeededRandom(seed: 0xA11CE)
        for _ in 0..<40 {
            let rows = Int(rng.next() % 200)
            let seed = rng.next()
            let variant = Self.variants[Int(rng.next() % UInt64(Self.variants.count))]
            let batch = try SampleBatches.batch(rows: rows, seed: seed)
            let data = try ArrowWriter.encode(
                [batch], schema: SampleBatches.schema, format: variant.format, options: variant.options)
            let (_, back) = try read(data, variant.format)
            #expect(SampleBatches.cells(back[0]) == SampleBatches.cells(batch), "seed \(seed) rows \(rows)")
        }
    }

    @Test("ZSTD makes repetitive columns smaller and stores incompressible buffers as is")
    func compressionShrinks() throws {
        let b = VariableBinaryArrayBuilder()
        for i in 0..<5000 { b.append("the same document text, row \(i % 10)") }
        let schema = ArrowSchema([ArrowField("doc", .utf8)])
        let batch = try RecordBatch(schema: schema, columns: [try b.finish()])
        let plain = try ArrowWriter.encode([batch], schema: schema)
        let zstd = try ArrowWriter.encode(
            [batch], schema: schema, options: ArrowWriteOptions(compression: .zstd(level: 1)))
        #expect(zstd.count * 5 < plain.count)
        // A reader's batch says how much memory it holds beyond the file's bytes (what caches weigh).
        let unpacked = try ArrowFileReader(data: zstd).recordBatch(at: 0)
        let column = try #require(unpacked.columns.first)
        #expect(unpacked.ownedBytes >= column.length * 4 + 5000 * "the same document text, row 0".utf8.count)
        #expect(try ArrowFileReader(data: plain).recordBatch(at: 0).ownedBytes == 0)
        // Random bytes do not compress: the writer uses the -1 prefix and the reader passes them through.
        var rng = SeededRandom(seed: 5)
        let noise = PrimitiveArrayBuilder<UInt64>()
        for _ in 0..<1000 { noise.append(rng.next()) }
        let ns = ArrowSchema([ArrowField("n", .uint64)])
        let nb = try RecordBatch(schema: ns, columns: [noise.finish()])
        let nz = try ArrowWriter.encode([nb], schema: ns, options: ArrowWriteOptions(compression: .zstd(level: 3)))
        let back = try ArrowFileReader(data: nz).recordBatch(at: 0)
        #expect(Array(try back.primitives("n", as: UInt64.self)) == Array(try nb.primitives("n", as: UInt64.self)))
    }

    @Test("minimumSavings keeps buffers ZSTD barely shrinks uncompressed and compresses the rest")
    func selectiveCompression() throws {
        // A column of low-entropy floats (compresses a little) beside a repetitive text column (compresses a lot).
        var rng = SeededRandom(seed: 9)
        let floats = PrimitiveArrayBuilder<Float>()
        for _ in 0..<4000 { floats.append(Float(rng.next() % 1_000_000) / 997) }
        let text = VariableBinaryArrayBuilder()
        for i in 0..<4000 { text.append("category \(i % 7)") }
        let schema = ArrowSchema([ArrowField("f", .float32), ArrowField("t", .utf8)])
        let batch = try RecordBatch(schema: schema, columns: [floats.finish(), try text.finish()])
        let plain = try ArrowWriter.encode([batch], schema: schema)
        let all = try ArrowWriter.encode(
            [batch], schema: schema, options: ArrowWriteOptions(compression: .zstd(level: 1)))
        let selective = try ArrowWriter.encode(
            [batch], schema: schema, options: ArrowWriteOptions(compression: .zstd(level: 1), minimumSavings: 0.5))
        let none = try ArrowWriter.encode(
            [batch], schema: schema, options: ArrowWriteOptions(compression: .zstd(level: 1), minimumSavings: 1))
        #expect(all.count < selective.count && selective.count < plain.count)
        #expect(none.count >= plain.count, "nothing saves 100 %: every buffer stays as it is")
        for data in [all, selective, none] {
            let back = try ArrowFileReader(data: data).recordBatch(at: 0)
            #expect(Array(try back.primitives("f", as: Float.self)) == Array(try batch.primitives("f", as: Float.self)))
            #expect(Array(try back.strings("t")) == Array(try batch.strings("t")))
        }
    }

    @Test("batches above 1 MiB compress and decompress their buffers in parallel, values intact, buffers recycled")
    func parallelCompression() throws {
        let n = 17_000  // an 8.7 MB embedding buffer: large-buffer (mapped, pooled) allocations are exercised
        let keys = VariableBinaryArrayBuilder(type: .utf8)
        let ids = PrimitiveArrayBuilder<UInt32>()
        let emb = FixedSizeFloat32ArrayBuilder(dimension: 128)
        var rng = SeededRandom(seed: 77)
        var flat = [Float](repeating: 0, count: 128)
        for i in 0..<n {
            keys.append("doc-\(i)-" + String(repeating: "x", count: i % 50))
            ids.append(UInt32(i))
            for j in 0..<128 { flat[j] = Float(rng.next() % 1000) / 8 }
            try emb.append(flat)
        }
        let schema = ArrowSchema([
            ArrowField("key", .utf8), ArrowField("id", .uint32), ArrowField("embedding", .embedding(dimension: 128)),
        ])
        let batch = try RecordBatch(schema: schema, columns: [try keys.finish(), ids.finish(), emb.finish()])
        for format in [ArrowIPCFormat.file, .stream] {
            let data = try ArrowWriter.encode(
                [batch, batch], schema: schema, format: format, options: ArrowWriteOptions(compression: .zstd(level: 1))
            )
            #expect(data.count < n * 128 * 4)
            let (_, back) = try read(data, format)
            #expect(back.count == 2)
            for b in back {
                #expect(Array(try b.strings("key")) == Array(try batch.strings("key")))
                #expect(Array(try b.primitives("id", as: UInt32.self)) == Array(0..<UInt32(n)))
                let v = try b.float32Vectors("embedding")
                let w = try batch.float32Vectors("embedding")
                #expect(v[0] == w[0] && v[n - 1] == w[n - 1] && v[n / 2] == w[n / 2])
                #expect(v.withUnsafeValues { Array($0) } == w.withUnsafeValues { Array($0) })
            }
        }
    }

    @Test("a Data holding a file is read in place: column buffers point into its bytes")
    func dataIsNotCopied() throws {
        let batch = try SampleBatches.batch(rows: 64, seed: 4)
        let data = try ArrowWriter.encode([batch], schema: SampleBatches.schema)
        let back = try ArrowFileReader(data: data).recordBatch(at: 0)
        let emb = try back.float32Vectors("embedding")
        let keys = try back.strings("key")
        data.withUnsafeBytes { d in
            let lo = UInt(bitPattern: d.baseAddress)
            let hi = lo + UInt(d.count)
            emb.withVector(at: 5) { v in
                let a = UInt(bitPattern: v.baseAddress)
                #expect(a >= lo && a < hi)
            }
            keys.withUTF8(at: 7) { k in
                let a = UInt(bitPattern: k.baseAddress)
                #expect(a >= lo && a < hi)
            }
        }
        #expect(keys[7] == "key000007")
        #expect(emb[5] == [5, -5.0 / 3, 0.5] || emb.value(at: 5) == nil)
    }
}
