// Batches covering every type, with nulls and metadata, used by the round-trip and fuzz suites.
import ArrowIPC
import Foundation

enum SampleBatches {
    static let structFields = [ArrowField("a", .int32), ArrowField("b", .utf8), ArrowField("c", .bool)]

    static let schema = ArrowSchema(
        [
            ArrowField("key", .utf8, nullable: false, metadata: ["role": "sort-key"]),
            ArrowField("bin", .binary),
            ArrowField("lkey", .largeUtf8),
            ArrowField("lbin", .largeBinary),
            ArrowField("flag", .bool),
            ArrowField("i32", .int32),
            ArrowField("i64", .int64),
            ArrowField("u32", .uint32),
            ArrowField("u64", .uint64),
            ArrowField("f32", .float32),
            ArrowField("f64", .float64),
            ArrowField("embedding", .embedding(dimension: 3), metadata: ["space": "l2"]),
            ArrowField("ids", .list(ArrowField("item", .uint32))),
            ArrowField("scores", .list(ArrowField("item", .float32))),
            ArrowField("meta", .structure(structFields)),
        ], metadata: ["cairn.block": "1", "ünïcode": "ключ"])

    /// `n` rows; row i is a pure function of (i, seed) so expectations can be recomputed.
    static func batch(rows n: Int, seed: UInt64 = 1) throws -> RecordBatch {
        var rng = SeededRandom(seed: seed)
        let key = VariableBinaryArrayBuilder(type: .utf8)
        let bin = VariableBinaryArrayBuilder(type: .binary)
        let lkey = VariableBinaryArrayBuilder(type: .largeUtf8)
        let lbin = VariableBinaryArrayBuilder(type: .largeBinary)
        let flag = BoolArrayBuilder()
        let i32 = PrimitiveArrayBuilder<Int32>()
        let i64 = PrimitiveArrayBuilder<Int64>()
        let u32 = PrimitiveArrayBuilder<UInt32>()
        let u64 = PrimitiveArrayBuilder<UInt64>()
        let f32 = PrimitiveArrayBuilder<Float>()
        let f64 = PrimitiveArrayBuilder<Double>()
        let emb = FixedSizeFloat32ArrayBuilder(dimension: 3)
        let ids = ListArrayBuilder<UInt32>()
        let scores = ListArrayBuilder<Float>()
        let sa = PrimitiveArrayBuilder<Int32>()
        let sb = VariableBinaryArrayBuilder(type: .utf8)
        let sc = BoolArrayBuilder()
        let meta = StructArrayBuilder(fields: structFields)
        let words = ["", "a", "héllo", "日本語", "🧭🪨", "tab\tand\nnewline", String(repeating: "z", count: 70)]
        for i in 0..<n {
            let r = rng.next()
            let null = r % 7 == 3
            key.append(String(format: "key%06d", i))
            if null {
                bin.appendNull()
            } else {
                bin.append(bytes: (0..<Int(r % 5)).map { UInt8(truncatingIfNeeded: r >> (8 * $0)) })
            }
            lkey.append(null ? nil : words[i % words.count])
            if r % 5 == 1 { lbin.appendNull() } else { lbin.append(bytes: [UInt8(i % 256), 0xFF]) }
            flag.append(r % 11 == 0 ? nil : r & 1 == 1)
            i32.append(r % 13 == 0 ? nil : Int32(truncatingIfNeeded: Int64(i) * 7919 - 50_000))
            i64.append(r % 9 == 0 ? nil : Int64(i) * (1 << 40) - (1 << 45))
            u32.append(UInt32(truncatingIfNeeded: r))
            u64.append(r % 17 == 0 ? nil : r >> 12)
            f32.append(r % 19 == 0 ? nil : Float(i) * 0.25 - 3)
            f64.append(Double(bitPattern: 0x3FF0_0000_0000_0000 | (r >> 12)))
            if r % 10 == 9 { emb.appendNull() } else { try emb.append([Float(i), -Float(i) / 3, 0.5]) }
            if r % 6 == 5 { ids.appendNull() } else { ids.append((0..<(i % 4)).map { UInt32(i + $0) }) }
            scores.append((0..<(i % 3)).map { Float($0) + 0.125 })
            sa.append(Int32(i))
            sb.append(i % 2 == 0 ? nil : "s\(i)")
            sc.append(i % 3 == 0)
            meta.append(valid: r % 8 != 5)
        }
        return try RecordBatch(
            schema: schema,
            columns: [
                try key.finish(), try bin.finish(), try lkey.finish(), try lbin.finish(), flag.finish(), i32.finish(),
                i64.finish(), u32.finish(), u64.finish(), f32.finish(), f64.finish(), emb.finish(), try ids.finish(),
                try scores.finish(), try meta.finish(children: [sa.finish(), try sb.finish(), sc.finish()]),
            ])
    }

    /// Every cell as JSON text, for comparing two batches.
    static func cells(_ b: RecordBatch) -> [[String]] {
        b.columns.map { c in (0..<c.length).map { c.jsonValue(at: $0).serialized() } }
    }
}
