// Blockfile benchmark: build, warm point gets, scans and a 1% fork of 1,000,000-entry blockfiles
// (String → UInt32 and UInt32 → 128-d data record), with SQLite (GRDB, a primary-key table) on the same data
// in the same run as the reference for gets and scans. Optional: cold gets from an S3 store (--s3 URL).
// Usage: BlockfileBench [--entries N] [--block-size BYTES] [--dir DIR] [--s3 URL] [--gets N] [--reads-only]
//                       [--scan-repeat N]
// `--reads-only` skips the forks and the record blockfile, and `--scan-repeat N` scans the string→uint32 blockfile N
// times (for profiling its reads beside SQLite).
import Blockfile
import Foundation
import GRDB
import ObjectStore
import ObjectStoreS3

struct Options {
    var entries = 1_000_000
    var blockSizes = [BlockfileDefaults.maxBlockSize]
    var directory = NSTemporaryDirectory() + "cairn-blockfile-bench"
    var s3URL: String?
    var gets = 200_000
    var readsOnly = false
    var scanRepeat = 1

    init(_ arguments: [String]) {
        var i = 1
        while i < arguments.count {
            let value = i + 1 < arguments.count ? arguments[i + 1] : ""
            switch arguments[i] {
            case "--entries": entries = Int(value) ?? entries
            case "--block-size": blockSizes = value.split(separator: ",").compactMap { Int($0) }
            case "--dir": directory = value
            case "--s3": s3URL = value
            case "--gets": gets = Int(value) ?? gets
            case "--scan-repeat": scanRepeat = max(1, Int(value) ?? 1)
            case "--reads-only":
                readsOnly = true
                i -= 1
            default: break
            }
            i += 2
        }
    }
}

@MainActor func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func rate(_ count: Int, _ secs: Double) -> String { String(format: "%.0f/s", Double(count) / secs) }

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// A cheap deterministic generator for keys and probes.
struct LCG {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 11
    }
}

func idKey(_ i: Int) -> String {
    let digits = String(i)
    return "id" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
}

let options = Options(CommandLine.arguments)
let location = BlockfileLocation(
    collection: ObjectPath().collection(tenant: "bench", database: "bench", collectionID: "c"), segmentID: "s")
var report: [String: Any] = ["entries": options.entries]

for maxBlockSize in options.blockSizes {
    try? FileManager.default.removeItem(atPath: options.directory)
    let store = try LocalFileStore(root: URL(fileURLWithPath: options.directory))
    let cache = BlockCache(blockCapacity: 4 << 30)
    print("== max block size \(maxBlockSize) bytes, \(options.entries) entries, local disk")

    // String → UInt32
    var stringReader: BlockfileReader<UInt32>!
    let buildS = try await seconds {
        let writer = OrderedBlockfileWriter<UInt32>(
            store: store, location: location, keyType: .string, cache: cache, maxBlockSize: maxBlockSize)
        for i in 0..<options.entries { try await writer.append(BlockfileKey("", idKey(i)), UInt32(i)) }
        stringReader = try await writer.commit()
    }
    print(
        "string→uint32 build: \(rate(options.entries, buildS)), \(stringReader.root.blocks.count) blocks, \(stringReader.root.byteSize) bytes"
    )
    var random = LCG(state: 7)
    let probes = (0..<options.gets).map { _ in BlockfileKey("", idKey(Int(random.next() % UInt64(options.entries)))) }
    for probe in probes.prefix(10_000) { _ = try await stringReader.get(probe) }  // warm every block
    var found = 0
    let getS = try await seconds {
        for probe in probes { if try await stringReader.get(probe) != nil { found += 1 } }
    }
    precondition(found == probes.count)
    print(
        "string→uint32 warm get: \(rate(probes.count, getS)) (\(String(format: "%.2f", getS / Double(probes.count) * 1e6)) µs each)"
    )
    var scanned = 0
    let scanS = try await seconds {
        for _ in 0..<options.scanRepeat { for try await _ in stringReader.scan() { scanned += 1 } }
    }
    print("string→uint32 scan: \(rate(scanned, scanS))")
    var batched = 0
    let batchS = try await seconds {
        for _ in 0..<options.scanRepeat {
            for try await batch in stringReader.scan().batches() { batched += batch.count }
        }
    }
    print("string→uint32 scan in batches: \(rate(batched, batchS))")
    // 1% fork, uniformly random keys and clustered keys.
    let forks: [(String, [Int])] = [
        ("uniform", (0..<options.entries / 100).map { _ in Int(random.next() % UInt64(options.entries)) }),
        ("clustered", Array((options.entries / 2)..<(options.entries / 2 + options.entries / 100))),
    ]
    for (label, keys) in options.readsOnly ? [] : forks {
        let writer = BlockfileWriter(forking: stringReader)
        for k in keys { try writer.set(BlockfileKey("", idKey(k)), UInt32(k) &+ 1) }
        var forked: BlockfileReader<UInt32>!
        let forkS = try await seconds { forked = try await writer.commit() }
        // Bytes of objects the fork wrote: rewritten base blocks and new deltas (the root excluded).
        let old = Set(stringReader.root.blocks.flatMap(\.objectIDs))
        let rewritten = forked.root.blocks.reduce(0) { total, block in
            total + (old.contains(block.blockID) ? 0 : block.byteSize)
                + (block.deltaID.map { old.contains($0) ? 0 : block.deltaByteSize } ?? 0)
        }
        print(
            "string→uint32 1% fork (\(label)): commit \(String(format: "%.3f", forkS)) s, rewrote \(rewritten) of \(forked.root.byteSize) bytes (\(String(format: "%.1f", 100 * Double(rewritten) / Double(forked.root.byteSize)))%)"
        )
        report["fork_\(label)_\(maxBlockSize)"] = [
            "seconds": forkS, "rewritten_bytes": rewritten, "total_bytes": forked.root.byteSize,
        ]
    }
    report["string_uint32_\(maxBlockSize)"] = [
        "build_per_s": Double(options.entries) / buildS, "warm_get_per_s": Double(probes.count) / getS,
        "scan_per_s": Double(scanned) / scanS, "batch_scan_per_s": Double(batched) / batchS,
        "bytes": stringReader.root.byteSize,
    ]

    if options.readsOnly { continue }

    // UInt32 → DataRecord(128-d)
    let dimension = 128
    var recordReader: BlockfileReader<DataRecord>!
    var embedding = [Float](repeating: 0, count: dimension)
    let recordBuildS = try await seconds {
        let writer = OrderedBlockfileWriter<DataRecord>(
            store: store,
            location: BlockfileLocation(
                collection: ObjectPath().collection(tenant: "bench", database: "bench", collectionID: "c"),
                segmentID: "records"),
            keyType: .uint32, cache: cache, maxBlockSize: maxBlockSize)
        for i in 0..<options.entries {
            for d in 0..<dimension { embedding[d] = Float(Int(random.next() % 2000) - 1000) / 1000 }
            try await writer.append(
                BlockfileKey("", UInt32(i)),
                DataRecord(
                    id: idKey(i), embedding: embedding, metadataJSON: "{\"cat\":\(i % 1000)}", document: "doc \(i)"))
        }
        recordReader = try await writer.commit()
    }
    let recordBytes = recordReader.root.byteSize
    print(
        "uint32→record build: \(rate(options.entries, recordBuildS)) (\(String(format: "%.0f", Double(recordBytes) / recordBuildS / 1e6)) MB/s), \(recordReader.root.blocks.count) blocks, \(recordBytes) bytes"
    )
    let recordProbes = (0..<options.gets).map { _ in BlockfileKey("", UInt32(random.next() % UInt64(options.entries))) }
    for probe in recordProbes.prefix(20_000) { _ = try await recordReader.get(probe) }
    let recordGetS = try await seconds { for probe in recordProbes { _ = try await recordReader.get(probe) } }
    print("uint32→record warm get: \(rate(recordProbes.count, recordGetS))")
    var recordScanned = 0
    let recordScanS = try await seconds { for try await _ in recordReader.scan() { recordScanned += 1 } }
    print("uint32→record scan: \(rate(recordScanned, recordScanS))")
    report["uint32_record_\(maxBlockSize)"] = [
        "build_per_s": Double(options.entries) / recordBuildS,
        "warm_get_per_s": Double(recordProbes.count) / recordGetS,
        "scan_per_s": Double(recordScanned) / recordScanS, "bytes": recordBytes,
    ]

    // Cold gets from S3: fresh cache for every probe, so each get costs a root-known block fetch.
    if let s3URL = options.s3URL {
        let s3 = try StoreFactory.open(url: s3URL)
        let copyS = try await seconds {
            for key in try await store.listAll(prefix: location.segment.root) {
                try await s3.put(key.key, data: try await store.get(key.key).data)
            }
        }
        print("copied the string→uint32 blockfile to S3 in \(String(format: "%.1f", copyS)) s")
        var latencies: [Double] = []
        for probe in probes.prefix(50) {
            let coldCache = BlockCache(blockCapacity: 1 << 30)
            let reader = try await BlockfileReader<UInt32>.open(
                store: s3, location: location, rootID: stringReader.root.rootID, cache: coldCache)
            latencies.append(try await seconds { _ = try await reader.get(probe) })
        }
        print(
            "cold get from S3 (root cached, one block fetched): p50 \(String(format: "%.1f", percentile(latencies, 0.5) * 1000)) ms, p99 \(String(format: "%.1f", percentile(latencies, 0.99) * 1000)) ms"
        )
        report["s3_cold_get_\(maxBlockSize)"] = [
            "p50_ms": percentile(latencies, 0.5) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000,
        ]
    }
}

// SQLite reference: the same String → UInt32 data in a primary-key table, and the records in a second table.
do {
    let path = options.directory + "-sqlite.db"
    try? FileManager.default.removeItem(atPath: path)
    var configuration = Configuration()
    configuration.journalMode = .wal
    let db = try DatabaseQueue(path: path, configuration: configuration)
    try await db.write { db in
        try db.execute(sql: "CREATE TABLE kv (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID")
    }
    let buildS = try await seconds {
        try await db.write { db in
            let statement = try db.makeStatement(sql: "INSERT INTO kv (key, value) VALUES (?, ?)")
            for i in 0..<options.entries { try statement.execute(arguments: [idKey(i), i]) }
        }
    }
    print("sqlite string→int build: \(rate(options.entries, buildS))")
    var random = LCG(state: 7)
    let probes = (0..<options.gets).map { _ in idKey(Int(random.next() % UInt64(options.entries))) }
    let getS = try await seconds {
        try await db.read { db in
            let statement = try db.makeStatement(sql: "SELECT value FROM kv WHERE key = ?")
            for probe in probes { _ = try Int.fetchOne(statement, arguments: [probe]) }
        }
    }
    print(
        "sqlite warm get: \(rate(probes.count, getS)) (\(String(format: "%.2f", getS / Double(probes.count) * 1e6)) µs each)"
    )
    var scanned = 0
    let scanS = try await seconds {
        scanned = try await db.read { db in
            var rows = 0
            let cursor = try Row.fetchCursor(db, sql: "SELECT key, value FROM kv ORDER BY key")
            while let row = try cursor.next() {
                let _: String = row[0]
                rows += 1
            }
            return rows
        }
    }
    print("sqlite scan: \(rate(scanned, scanS))")
    report["sqlite"] = [
        "build_per_s": Double(options.entries) / buildS, "warm_get_per_s": Double(probes.count) / getS,
        "scan_per_s": Double(scanned) / scanS,
    ]
    try? FileManager.default.removeItem(atPath: path)
}
try? FileManager.default.removeItem(atPath: options.directory)
if let json = try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]) {
    print("JSON " + String(decoding: json, as: UTF8.self))
}
