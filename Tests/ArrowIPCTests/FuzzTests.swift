// Deterministic fuzzing of the readers: byte flips, overwrites and truncations of every fixture (pyarrow's and
// Cairn's own, plain and ZSTD, file and stream). Each mutated input must either read (and then every value
// must be reachable) or fail with an `ArrowError`; a crash or hang fails the whole test run.
import ArrowIPC
import Foundation
import Testing

@Suite("Fuzzing the readers")
struct FuzzTests {
    /// Opens `data` as the format it claims and touches every value of every batch.
    static func exercise(_ data: Data) -> ArrowError.Code? {
        do {
            let contents = try ArrowIPCContents(storage: ByteStorage(data: data))
            for i in 0..<contents.batchCount {
                let b = try contents.recordBatch(at: i)
                for c in b.columns {
                    for r in 0..<c.length { _ = c.jsonValue(at: r) }
                }
            }
            return nil
        } catch {
            return error.code
        }
    }

    static func corpus() throws -> [(String, Data)] {
        var out: [(String, Data)] = []
        for name in try Fixtures.all() { out.append((name, try Fixtures.data(name))) }
        let batch = try SampleBatches.batch(rows: 20, seed: 3)
        for (i, options) in [
            ArrowWriteOptions(), ArrowWriteOptions(compression: .zstd(level: 1), alignment: 8),
        ].enumerated() {
            for format in [ArrowIPCFormat.file, .stream] {
                out.append(
                    (
                        "cairn-\(i)-\(format)",
                        try ArrowWriter.encode([batch], schema: SampleBatches.schema, format: format, options: options)
                    ))
            }
        }
        return out
    }

    @Test("10,000+ mutated inputs never crash and fail with typed errors")
    func mutations() throws {
        let corpus = try Self.corpus()
        var rng = SeededRandom(seed: 0x5EED_F022)
        var cases = 0
        var codes: [ArrowError.Code: Int] = [:]
        var readable = 0
        func run(_ d: Data) {
            cases += 1
            if let code = Self.exercise(d) { codes[code, default: 0] += 1 } else { readable += 1 }
        }
        for (_, original) in corpus {
            let bytes = [UInt8](original)
            // Truncations: every 7th length plus the last 64 (footer, magic) lengths.
            var lengths = Set(stride(from: 0, to: bytes.count, by: 7))
            for k in 1...64 where k <= bytes.count { lengths.insert(bytes.count - k) }
            for n in lengths.sorted() { run(Data(bytes[0..<n])) }
            // Mutations: single random bytes, bit flips, boundary values, runs of bytes.
            for m in 0..<650 {
                var b = bytes
                let count = m % 4 == 3 ? 1 + Int(rng.next() % 8) : 1
                for _ in 0..<count {
                    let i = Int(rng.next() % UInt64(b.count))
                    switch rng.next() % 4 {
                    case 0: b[i] ^= UInt8(1 << (rng.next() % 8))
                    case 1: b[i] = UInt8(truncatingIfNeeded: rng.next())
                    case 2: b[i] = [0x00, 0xFF, 0x7F, 0x80][Int(rng.next() % 4)]
                    default:
                        let end = min(b.count, i + 4)
                        for j in i..<end { b[j] = 0xFF }
                    }
                }
                run(Data(b))
            }
        }
        #expect(cases >= 10_000, "only \(cases) cases")
        #expect(codes.values.reduce(0, +) > 1000, "mutations should mostly be detected")
        #expect(codes[.invalidFlatbuffer] != nil && codes[.invalidData] != nil && codes[.truncated] != nil)
        print(
            "fuzz: \(cases) cases, \(readable) still readable, errors by code: \(codes.map { "\($0.key)=\($0.value)" }.sorted())"
        )
    }
}
