// Sample files written by `cairn inspect arrow --write-sample DIR` for Tests/python/check_arrow_interop.py:
// every type, nulls, metadata, several batches (one empty), file and stream, plain and ZSTD. Row g's values
// are simple formulas of g that the checker recomputes independently in Python.
import ArrowIPC
import Foundation

enum ArrowSample {
    static let structFields = [ArrowField("a", .int32), ArrowField("b", .utf8), ArrowField("c", .bool)]

    static let schema = ArrowSchema(
        [
            ArrowField("key", .utf8, nullable: false, metadata: ["role": "sort-key"]),
            ArrowField("doc", .utf8),
            ArrowField("bin", .binary),
            ArrowField("lstr", .largeUtf8),
            ArrowField("lbin", .largeBinary),
            ArrowField("flag", .bool),
            ArrowField("i32", .int32),
            ArrowField("i64", .int64),
            ArrowField("u32", .uint32, nullable: false),
            ArrowField("u64", .uint64),
            ArrowField("f32", .float32),
            ArrowField("f64", .float64),
            ArrowField("embedding", .embedding(dimension: 4), metadata: ["space": "l2"]),
            ArrowField("ids", .list(ArrowField("item", .uint32))),
            ArrowField("scores", .list(ArrowField("item", .float32))),
            ArrowField("meta", .structure(structFields)),
        ], metadata: ["cairn.sample": "1", "ünïcode": "ключ"])

    static let batchSizes = [200, 0, 57]
    static let words = ["", "héllo", "日本語", "🧭🪨", "tab\tx", String(repeating: "z", count: 70)]

    static func batch(from start: Int, count: Int) throws(ArrowError) -> RecordBatch {
        let key = VariableBinaryArrayBuilder(type: .utf8)
        let doc = VariableBinaryArrayBuilder(type: .utf8)
        let bin = VariableBinaryArrayBuilder(type: .binary)
        let lstr = VariableBinaryArrayBuilder(type: .largeUtf8)
        let lbin = VariableBinaryArrayBuilder(type: .largeBinary)
        let flag = BoolArrayBuilder()
        let i32 = PrimitiveArrayBuilder<Int32>()
        let i64 = PrimitiveArrayBuilder<Int64>()
        let u32 = PrimitiveArrayBuilder<UInt32>()
        let u64 = PrimitiveArrayBuilder<UInt64>()
        let f32 = PrimitiveArrayBuilder<Float>()
        let f64 = PrimitiveArrayBuilder<Double>()
        let emb = FixedSizeFloat32ArrayBuilder(dimension: 4)
        let ids = ListArrayBuilder<UInt32>()
        let scores = ListArrayBuilder<Float>()
        let sa = PrimitiveArrayBuilder<Int32>()
        let sb = VariableBinaryArrayBuilder(type: .utf8)
        let sc = BoolArrayBuilder()
        let meta = StructArrayBuilder(fields: structFields)
        for g in start..<(start + count) {
            key.append("key" + String(repeating: "0", count: max(0, 6 - String(g).count)) + String(g))
            doc.append(g % 7 == 3 ? nil : words[g % 6] + "#\(g)")
            if g % 5 == 1 {
                bin.appendNull()
            } else {
                bin.append(bytes: Array([UInt8(g % 256), UInt8(g * 7 % 256), 0].prefix(g % 4)))
            }
            lstr.append(g % 4 == 0 ? nil : "L\(g)")
            lbin.append(bytes: [255, UInt8(g % 256)])
            flag.append(g % 11 == 0 ? nil : g % 2 == 1)
            i32.append(g % 13 == 0 ? nil : Int32(g * 7919 - 50_000))
            i64.append(g % 9 == 0 ? nil : Int64(g) * (1 << 40) - (1 << 45))
            u32.append(UInt32(truncatingIfNeeded: UInt64(g) &* 2_654_435_761))
            u64.append(g % 17 == 0 ? nil : UInt64(g) << 44)
            f32.append(g % 19 == 0 ? nil : Float(g) * 0.25 - 3)
            f64.append(Double(g) / 3.0)
            if g % 10 == 9 {
                emb.appendNull()
            } else {
                try emb.append([Float(g), -Float(g) / 4, 0.5, Float(g) * 0.125])
            }
            if g % 6 == 5 { ids.appendNull() } else { ids.append((0..<(g % 4)).map { UInt32(g + $0) }) }
            scores.append((0..<(g % 3)).map { Float($0) + 0.125 })
            sa.append(Int32(g))
            sb.append(g % 2 == 0 ? nil : "s\(g)")
            sc.append(g % 3 == 0)
            meta.append(valid: g % 8 != 5)
        }
        return try RecordBatch(
            schema: schema,
            columns: [
                try key.finish(), try doc.finish(), try bin.finish(), try lstr.finish(), try lbin.finish(),
                flag.finish(), i32.finish(), i64.finish(), u32.finish(), u64.finish(), f32.finish(), f64.finish(),
                emb.finish(), try ids.finish(), try scores.finish(),
                try meta.finish(children: [sa.finish(), try sb.finish(), sc.finish()]),
            ])
    }

    static func batches() throws(ArrowError) -> [RecordBatch] {
        var out: [RecordBatch] = []
        var start = 0
        for n in batchSizes {
            out.append(try batch(from: start, count: n))
            start += n
        }
        return out
    }

    /// File names and how each is written.
    static let variants: [(String, ArrowIPCFormat, ArrowWriteOptions)] = [
        ("sample.arrow", .file, ArrowWriteOptions()),
        ("sample_zstd.arrow", .file, ArrowWriteOptions(compression: .zstd(level: 1))),
        // As blocks are written: buffers ZSTD barely shrinks stay uncompressed (length -1) beside compressed ones.
        (
            "sample_zstd_partial.arrow", .file,
            ArrowWriteOptions(compression: .zstd(level: 1), minimumSavings: 0.5)
        ),
        ("sample_align8.arrow", .file, ArrowWriteOptions(alignment: 8)),
        ("sample.arrows", .stream, ArrowWriteOptions()),
        ("sample_zstd_align8.arrows", .stream, ArrowWriteOptions(compression: .zstd(level: 3), alignment: 8)),
    ]

    static func writeAll(to dir: String) throws(ArrowError) {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw ArrowError(.io, "cannot create \(dir)")
        }
        let batches = try batches()
        for (name, format, options) in variants {
            try ArrowWriter.write(batches, schema: schema, toFile: dir + "/" + name, format: format, options: options)
        }
    }
}
