// ArrowBench: Cairn's Arrow IPC writer and reader on the batches pyarrow measures (key utf8, id uint32,
// embedding fixed_size_list<float32,128>, document utf8; 8 and 64 MiB), uncompressed and ZSTD. Reads the
// source batches that Benchmarks/arrow_pyarrow.py wrote (so both sides use identical data), rebuilds them with
// Cairn's builders, then times write, open and scan. Prints one JSON object on stdout.
import ArrowIPC
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

let reps = 5

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func time(_ n: Int = reps, _ body: () throws -> Void) rethrows -> Double {
    var xs: [Double] = []
    for _ in 0..<n {
        let t = now()
        try body()
        xs.append(now() - t)
    }
    return median(xs)
}

/// Drops the file's pages from the page cache (fsync + fadvise DONTNEED), as arrow_bench.py's `evict`.
func evict(_ path: String) {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return }
    fsync(fd)
    posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
    close(fd)
}

/// Sum of every float: the full scan of the embedding column (4 × SIMD8 accumulators).
@inline(never)
func scanSum(_ v: FixedSizeFloat32Array) -> Float {
    v.withUnsafeValues { p -> Float in
        var a0 = SIMD8<Float>()
        var a1 = SIMD8<Float>()
        var a2 = SIMD8<Float>()
        var a3 = SIMD8<Float>()
        let n = p.count
        var i = 0
        let raw = UnsafeRawPointer(p.baseAddress!)
        while i + 32 <= n {
            a0 += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            a1 += raw.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            a2 += raw.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD8<Float>.self)
            a3 += raw.loadUnaligned(fromByteOffset: (i + 24) * 4, as: SIMD8<Float>.self)
            i += 32
        }
        var s = (a0 + a1 + a2 + a3).sum()
        while i < n {
            s += p[i]
            i += 1
        }
        return s
    }
}

/// One dot product per vector with a query (what a brute-force search does), via `withVector(at:)`.
@inline(never)
func scanDot(_ v: FixedSizeFloat32Array, _ q: [Float], into out: inout [Float]) {
    q.withUnsafeBufferPointer { qp in
        let qr = UnsafeRawPointer(qp.baseAddress!)
        for i in 0..<v.count {
            out[i] = v.withVector(at: i) { p -> Float in
                let r = UnsafeRawPointer(p.baseAddress!)
                var a0 = SIMD8<Float>()
                var a1 = SIMD8<Float>()
                var j = 0
                while j + 16 <= p.count {
                    a0 +=
                        r.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                        * qr.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                    a1 +=
                        r.loadUnaligned(fromByteOffset: (j + 8) * 4, as: SIMD8<Float>.self)
                        * qr.loadUnaligned(fromByteOffset: (j + 8) * 4, as: SIMD8<Float>.self)
                    j += 16
                }
                var s = (a0 + a1).sum()
                while j < p.count {
                    s += p[j] * qp[j]
                    j += 1
                }
                return s
            }
        }
    }
}

/// Rebuilds the source batch with Cairn's builders (fresh, builder-owned memory), timing it.
func rebuild(_ src: RecordBatch) throws -> RecordBatch {
    let keys = try src.strings("key")
    let ids = try src.primitives("id", as: UInt32.self)
    let emb = try src.float32Vectors("embedding")
    let docs = try src.strings("document")
    let n = src.count
    let kb = VariableBinaryArrayBuilder(type: .utf8, capacity: n, dataCapacity: n * 8)
    let ib = PrimitiveArrayBuilder<UInt32>(capacity: n)
    let eb = FixedSizeFloat32ArrayBuilder(dimension: emb.dimension, capacity: n)
    let db = VariableBinaryArrayBuilder(type: .utf8, capacity: n, dataCapacity: n * 24)
    for i in 0..<n {
        keys.withUTF8(at: i) { kb.append(bytes: $0) }
        ib.append(ids[i])
        try emb.withVector(at: i) { try eb.append($0) }
        docs.withUTF8(at: i) { db.append(bytes: $0) }
    }
    return try RecordBatch(
        schema: src.schema, columns: [try kb.finish(), ib.finish(), eb.finish(), try db.finish()])
}

/// RecordBatch.nbytes as pyarrow counts it: the sum of the buffers' sizes.
func logicalBytes(_ b: RecordBatch) -> Int {
    func size(_ a: ArrowArray) -> Int {
        (a.validity?.count ?? 0) + a.buffers.reduce(0) { $0 + $1.count } + a.children.reduce(0) { $0 + size($1) }
    }
    return b.columns.reduce(0) { $0 + size($1) }
}

func fsyncFile(_ path: String) {
    let fd = open(path, O_RDONLY)
    fsync(fd)
    close(fd)
}

func run(dir: String) throws -> [String: Any] {
    var out: [String: Any] = [:]
    for label in ["8MiB", "64MiB"] {
        let source = try ArrowFileReader(path: "\(dir)/source_\(label).arrow").recordBatch(at: 0)
        var built: RecordBatch?
        let buildTime = try time(3) { built = try rebuild(source) }
        guard let batch = built else { continue }
        let nb = logicalBytes(batch)
        let q = (0..<128).map { Float($0 % 7) * 0.1 }
        for (compName, options) in [
            ("uncompressed", ArrowWriteOptions()), ("zstd", ArrowWriteOptions(compression: .zstd(level: 1))),
        ] {
            let key = "\(label)_\(compName)"
            let path = "\(dir)/cairn_\(key).arrow"
            var r: [String: Any] = ["rows": batch.count, "batch_bytes": nb]
            r["build_MBps"] = Double(nb) / buildTime / 1e6
            let w = try time { try ArrowWriter.write([batch], schema: batch.schema, toFile: path, options: options) }
            let ws = try time {
                try ArrowWriter.write([batch], schema: batch.schema, toFile: path, options: options)
                fsyncFile(path)
            }
            let inMemory = try time { _ = try ArrowWriter.encode([batch], schema: batch.schema, options: options) }
            r["file_bytes"] = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            r["write_MBps_page_cache"] = Double(nb) / w / 1e6
            r["write_MBps_fsync"] = Double(nb) / ws / 1e6
            r["encode_in_memory_MBps"] = Double(nb) / inMemory / 1e6
            // Open: map + footer + schema only.
            let open = try time(21) { _ = try ArrowFileReader(path: path) }
            // Read: open + batch 0 (framing, validation, decompression if any) + typed views.
            var checksum: Float = 0
            let read = try time(21) {
                let f = try ArrowFileReader(path: path)
                let b = try f.recordBatch(at: 0)
                _ = try b.strings("key")
                _ = try b.float32Vectors("embedding")
            }
            // Cold: no other mapping of the file may be alive, or its pages cannot be evicted.
            var cold: [Double] = []
            for _ in 0..<3 {
                evict(path)
                let t = now()
                let b = try ArrowFileReader(path: path).recordBatch(at: 0)
                checksum += scanSum(try b.float32Vectors("embedding"))
                cold.append(now() - t)
            }
            let reader = try ArrowFileReader(path: path).recordBatch(at: 0)
            let emb = try reader.float32Vectors("embedding")
            let scan = time(9) { checksum += scanSum(emb) }
            var dots = [Float](repeating: 0, count: emb.count)
            let dot = time(9) { scanDot(emb, q, into: &dots) }
            // Point access: value i of the key column and vector i (O(1)), 100k random lookups.
            let keys = try reader.strings("key")
            var rng = UInt64(42)
            var lengthSum = 0
            let lookups = 100_000
            let point = time(5) {
                for _ in 0..<lookups {
                    rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let i = Int(rng >> 33) % keys.count
                    lengthSum += keys.withUTF8(at: i) { $0.count }
                    lengthSum += emb.withVector(at: i) { Int($0[0]) }
                }
            }
            // Plain read (no mmap): the whole file into memory, then open + batch + views.
            let plain = try time {
                let b = try ArrowFileReader(storage: ByteStorage(readingFileAt: path)).recordBatch(at: 0)
                _ = try b.float32Vectors("embedding")
            }
            let embBytes = Double(emb.count * emb.dimension * 4)
            r["open_us"] = open * 1e6
            r["read_open_batch_views_ms"] = read * 1e3
            r["read_MBps_open_batch_views"] = Double(nb) / read / 1e6
            r["read_MBps_plain_hot"] = Double(nb) / plain / 1e6
            r["cold_open_and_scan_embedding_MBps"] = embBytes / median(cold) / 1e6
            r["scan_sum_embedding_GBps"] = embBytes / scan / 1e9
            r["scan_dot_embedding_GBps"] = embBytes / dot / 1e9
            r["point_lookup_ns"] = point / Double(lookups) * 1e9
            r["checksum"] = Double(checksum) + Double(lengthSum % 7) + Double(dots[dots.count / 2])
            out[key] = r
            FileHandle.standardError.write(Data("[ArrowBench] \(key) \(r)\n".utf8))
            try? FileManager.default.removeItem(atPath: path)
        }
    }
    return out
}

let args = CommandLine.arguments
guard args.count == 2 else {
    FileHandle.standardError.write(Data("usage: ArrowBench DIR (with source_8MiB.arrow, source_64MiB.arrow)\n".utf8))
    exit(2)
}
do {
    let result = try run(dir: args[1])
    let json = try JSONSerialization.data(
        withJSONObject: ["cairn_arrow_ipc": result], options: [.sortedKeys, .prettyPrinted])
    print(String(decoding: json, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("ArrowBench: \(error)\n".utf8))
    exit(1)
}
