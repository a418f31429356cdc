// Metadata segment benchmark (release build): builds the segment for 100,000 records shaped like the standard dataset
// ({"cat": i % 1000, "shard": i % 10, "tag": …} plus a float "price", document "doc {i} cluster {c}"), reopens it,
// and times filters with warm blocks. Beside it, in the same run, SQLite (GRDB) over Chroma's local metadata layout
// (one row per key and value, indexed by key and value; documents in FTS5 with the trigram tokenizer) answers the
// same filters, as chromadb's embedded SQLite metadata segment does.
import Bitmaps
import Blockfile
import Foundation
import GRDB
import ObjectStore
import Segments
import Synchronization

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct Verifier: MetadataSegmentVerifier {
    let documents: [String]
    func documents(for offsetIDs: [UInt32]) async throws -> [String?] { offsetIDs.map { documents[Int($0)] } }
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func measure(_ iterations: Int, _ body: () async throws -> Int) async rethrows -> (p50: Double, p99: Double, rows: Int)
{
    var times: [Double] = []
    var rows = 0
    for _ in 0..<iterations {
        let start = ContinuousClock.now
        rows = try await body()
        let d = ContinuousClock.now - start
        times.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
    return (percentile(times, 0.5), percentile(times, 0.99), rows)
}

let n = Int(ProcessInfo.processInfo.environment["SEGMENTS_BENCH_N"] ?? "") ?? 100_000
let tags = ["alpha", "beta", "gamma", "delta"]
var random = SplitMix64(state: 42)
var metadatas: [Metadata] = []
var documents: [String] = []
for i in 0..<n {
    let tag = tags[Int(random.next() % 4)]
    let price = Double(random.next() % 1_000_000) / 1_000_000
    metadatas.append([
        "cat": .int(Int64(i % 1000)), "shard": .int(Int64(i % 10)), "tag": .string(tag), "price": .float(price),
    ])
    documents.append("doc \(i) cluster \(random.next() % 100)")
}

// MARK: JSON: metadata text → Metadata and back, beside Foundation's JSONSerialization (which merges 1 and 1.0)

let texts = metadatas.map(\.jsonText)
if ProcessInfo.processInfo.environment["SEGMENTS_BENCH_JSON_ONLY"] != nil {
    let start = ContinuousClock.now
    var values = 0
    for _ in 0..<5 { for text in texts { if case .object(let o) = try JSONValue(parsing: text) { values += o.count } } }
    print("JSONValue parse only: \((ContinuousClock.now - start) / 5)")
    exit(0)
}
var start = ContinuousClock.now
var decoded = 0
for text in texts { decoded += try Metadata(jsonText: text).count }
let cairnParse = ContinuousClock.now - start
start = ContinuousClock.now
var encodedBytes = 0
for metadata in metadatas { encodedBytes += metadata.jsonText.utf8.count }
let cairnEncode = ContinuousClock.now - start
start = ContinuousClock.now
var foundationDecoded = 0
for text in texts {
    if let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
        foundationDecoded += object.count
    }
}
let foundationParse = ContinuousClock.now - start
let objects = try texts.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) }
start = ContinuousClock.now
var foundationBytes = 0
for object in objects {
    foundationBytes += try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).count
}
let foundationEncode = ContinuousClock.now - start
precondition(decoded == foundationDecoded && encodedBytes > 0 && foundationBytes > 0)

// MARK: Cairn

let store = InMemoryStore()
let segment = ObjectPath().collection(tenant: "t", database: "d", collectionID: "bench").segment("metadata")
start = ContinuousClock.now
let writer = MetadataSegmentWriter(
    forking: .empty(store: store, segment: segment, cache: BlockCache(blockCapacity: 1 << 30)))
for i in 0..<n { try writer.add(offsetID: UInt32(i), metadata: metadatas[i], document: documents[i]) }
let indexed = ContinuousClock.now - start
let files = try await writer.commit()
let built = ContinuousClock.now - start
let reader = try await MetadataSegmentReader.open(
    store: store, segment: segment, files: files, cache: BlockCache(blockCapacity: 1 << 30))
let universe = RoaringBitmap(0..<UInt32(n))
let verifier = Verifier(documents: documents)
let bytes = try await store.listAll(prefix: segment.root).reduce(0) { $0 + $1.size }

struct Case {
    var name: String
    var filter: Where?
    var document: WhereDocument?
    var sql: String
}

let cases: [Case] = [
    Case(name: "{cat: 7}", filter: .eq("cat", 7), sql: "SELECT id FROM m WHERE key='cat' AND int_value=7"),
    Case(
        name: "{shard: {$in: [1,2]}}", filter: .isIn("shard", [1, 2]),
        sql: "SELECT id FROM m WHERE key='shard' AND int_value IN (1,2)"),
    Case(
        name: "{tag: alpha}", filter: .eq("tag", "alpha"),
        sql: "SELECT id FROM m WHERE key='tag' AND string_value='alpha'"),
    Case(name: "{cat: {$lt: 10}}", filter: .lt("cat", 10), sql: "SELECT id FROM m WHERE key='cat' AND int_value<10"),
    Case(name: "{cat: {$lt: 500}}", filter: .lt("cat", 500), sql: "SELECT id FROM m WHERE key='cat' AND int_value<500"),
    Case(
        name: "{$and: [{cat: {$lt: 500}}, {tag: alpha}]}", filter: .and([.lt("cat", 500), .eq("tag", "alpha")]),
        sql:
            "SELECT id FROM m WHERE key='cat' AND int_value<500 INTERSECT SELECT id FROM m WHERE key='tag' AND string_value='alpha'"
    ),
    Case(
        name: "{cat: {$ne: 3}}", filter: .ne("cat", 3),
        sql: "SELECT id FROM e WHERE id NOT IN (SELECT id FROM m WHERE key='cat' AND int_value=3)"),
    Case(
        name: "{price: {$gt: 0.99}} (1k distinct floats)", filter: .gt("price", .float(0.99)),
        sql: "SELECT id FROM m WHERE key='price' AND float_value>0.99"),
    Case(
        name: "{price: {$gt: 0.5}} (50k distinct floats)", filter: .gt("price", .float(0.5)),
        sql: "SELECT id FROM m WHERE key='price' AND float_value>0.5"),
    Case(
        name: "doc $contains 'cluster 42'", document: .contains("cluster 42"),
        sql: "SELECT rowid FROM fts WHERE doc LIKE '%cluster 42%'"),
    Case(
        name: "doc $regex 'cluster 4[0-9]$'", document: .regex("cluster 4[0-9]$"),
        sql: "SELECT rowid FROM fts WHERE doc REGEXP 'cluster 4[0-9]$'"),
    Case(
        name: "doc $contains 'c 12' (verified)", document: .contains("c 12"),
        sql: "SELECT rowid FROM fts WHERE doc LIKE '%c 12%'"),
]

var cairnResults: [(String, Double, Double, Int)] = []
let only = ProcessInfo.processInfo.environment["SEGMENTS_BENCH_ONLY"]
for c in cases where only.map({ c.name.contains($0) }) ?? true {
    _ = try await reader.filter(where: c.filter, whereDocument: c.document, universe: universe, verifier: verifier)
    let iterations = c.document == nil ? 200 : 20
    let r = try await measure(iterations) {
        try await reader.filter(where: c.filter, whereDocument: c.document, universe: universe, verifier: verifier)
            .count
    }
    cairnResults.append((c.name, r.p50, r.p99, r.rows))
}

// SEGMENTS_BENCH_ONLY=substring: only the Cairn side of the matching cases (for profiling).
if only != nil {
    for c in cairnResults { print("\(c.0): p50 \(c.1 * 1000) ms, rows \(c.3)") }
    exit(0)
}

// MARK: SQLite (Chroma's local layout)

let dir = FileManager.default.temporaryDirectory.appendingPathComponent("segments-bench-\(getpid())")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: dir) }
var configuration = Configuration()
configuration.journalMode = .wal
// Chroma registers the Rust regex crate as SQLite's REGEXP; here Foundation's NSRegularExpression plays that part.
enum RegexCache {
    static let compiled = Mutex<[String: NSRegularExpression]>([:])

    static func matches(_ pattern: String, _ text: String) throws -> Bool {
        let regex = try compiled.withLock { cache in
            if let regex = cache[pattern] { return regex }
            let regex = try NSRegularExpression(pattern: pattern)
            cache[pattern] = regex
            return regex
        }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
configuration.prepareDatabase { db in
    db.add(
        function: DatabaseFunction("regexp", argumentCount: 2, pure: true) { values in
            guard let pattern = String.fromDatabaseValue(values[0]), let text = String.fromDatabaseValue(values[1])
            else { return false }
            return try RegexCache.matches(pattern, text)
        })
}
let db = try DatabaseQueue(path: dir.appendingPathComponent("meta.sqlite").path, configuration: configuration)
start = ContinuousClock.now
try await db.write { db in
    try db.execute(sql: "CREATE TABLE e (id INTEGER PRIMARY KEY)")
    try db.execute(
        sql:
            "CREATE TABLE m (id INTEGER NOT NULL, key TEXT NOT NULL, string_value TEXT, int_value INTEGER, float_value REAL, PRIMARY KEY (id, key))"
    )
    try db.execute(sql: "CREATE VIRTUAL TABLE fts USING fts5(doc, tokenize='trigram')")
    let e = try db.makeStatement(sql: "INSERT INTO e (id) VALUES (?)")
    let m = try db.makeStatement(
        sql: "INSERT INTO m (id, key, string_value, int_value, float_value) VALUES (?, ?, ?, ?, ?)")
    let f = try db.makeStatement(sql: "INSERT INTO fts (rowid, doc) VALUES (?, ?)")
    for i in 0..<n {
        try e.execute(arguments: [i])
        for (key, value) in metadatas[i] {
            switch value {
            case .string(let s): try m.execute(arguments: [i, key, s, nil, nil])
            case .int(let v): try m.execute(arguments: [i, key, nil, v, nil])
            case .float(let v): try m.execute(arguments: [i, key, nil, nil, v])
            default: break
            }
        }
        try f.execute(arguments: [i, documents[i]])
    }
    try db.execute(sql: "CREATE INDEX m_s ON m (key, string_value)")
    try db.execute(sql: "CREATE INDEX m_i ON m (key, int_value)")
    try db.execute(sql: "CREATE INDEX m_f ON m (key, float_value)")
}
let sqliteBuilt = ContinuousClock.now - start

var sqliteResults: [(Double, Double, Int)] = []
for c in cases {
    let iterations = c.document == nil ? 50 : 10
    let r = try await measure(iterations) {
        try await db.read { db in try Int64.fetchAll(db, sql: c.sql).count }
    }
    sqliteResults.append((r.p50, r.p99, r.rows))
}

func ms(_ seconds: Double) -> String { String(format: "%.3f", seconds * 1000) }
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
func secs(_ d: Duration) -> String {
    String(format: "%.2f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
}

print("SegmentsBench: \(n) records, metadata {cat, shard, tag, price}, documents 'doc i cluster c'")
print("cairn build: index in memory \(secs(indexed)), with commit \(secs(built)); \(bytes / 1024) KiB in the store")
print("sqlite build (EAV + FTS5 trigram, WAL): \(secs(sqliteBuilt))")
print(
    "metadata JSON, \(n) objects: parse cairn \(secs(cairnParse)) vs JSONSerialization \(secs(foundationParse)) "
        + "(\(String(format: "%.1fx", seconds(foundationParse) / seconds(cairnParse)))); encode cairn \(secs(cairnEncode)) "
        + "vs JSONSerialization sortedKeys \(secs(foundationEncode)) (\(String(format: "%.1fx", seconds(foundationEncode) / seconds(cairnEncode))))"
)
print("")
print("filter (warm)                               | cairn p50 ms | p99 ms | rows  | sqlite p50 ms | rows  | ratio")
print(String(repeating: "-", count: 112))
for (i, c) in cairnResults.enumerated() {
    let s = sqliteResults[i]
    let name = c.0.padding(toLength: 43, withPad: " ", startingAt: 0)
    let note = c.3 == s.2 ? "" : "  (row counts differ: sqlite LIKE is case-insensitive)"
    print(
        "\(name) | \(ms(c.1).leftPad(12)) | \(ms(c.2).leftPad(6)) | \(String(c.3).leftPad(5)) | \(ms(s.0).leftPad(13)) | \(String(s.2).leftPad(5)) | \(String(format: "%.0fx", s.0 / c.1))\(note)"
    )
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
