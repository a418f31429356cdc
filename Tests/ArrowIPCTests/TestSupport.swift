// Helpers for the ArrowIPC suites: fixture paths, expected values from Fixtures/arrow/expected.json, and a
// comparison of our JSON rendering of a column with pyarrow's `to_pylist()`.
import ArrowIPC
import Foundation
import StorageTesting
import Testing

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/arrow")

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }

    /// Every fixture file (`.arrow` and `.arrows`), sorted.
    static func all() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { ($0.hasSuffix(".arrow") || $0.hasSuffix(".arrows")) && !$0.hasPrefix("unsupported_") }.sorted()
    }

    static func expected() throws -> [String: Any] {
        let d = try data("expected.json")
        return try #require(try JSONSerialization.jsonObject(with: d) as? [String: Any])
    }
}

/// Whether our JSON rendering of a value equals pyarrow's (parsed by JSONSerialization). Numbers compare
/// exactly (bar JSON parsing): float32 values are exact doubles on both sides.
func jsonMatches(_ v: ArrowJSONValue, _ e: Any) -> Bool {
    switch v {
    case .null: return e is NSNull
    case .bool(let b): return (e as? NSNumber)?.boolValue == b && !(e is String)
    case .int(let i): return (e as? NSNumber).map { $0.int64Value == i && $0.doubleValue == Double(i) } ?? false
    case .uint(let u): return (e as? NSNumber).map { $0.uint64Value == u && $0.doubleValue == Double(u) } ?? false
    case .double(let d):
        // Foundation's JSON parser on Linux can be one ulp off on decimal input; float32 neighbours are 1e-7
        // apart, so 4 ulps of tolerance still pins every float32 value exactly.
        guard let x = (e as? NSNumber)?.doubleValue else { return false }
        return x == d || abs(x - d) <= 4 * d.ulp
    case .string(let s): return (e as? String) == s
    case .array(let xs):
        guard let ys = e as? [Any], ys.count == xs.count else { return false }
        return zip(xs, ys).allSatisfy { jsonMatches($0, $1) }
    case .object(let kvs):
        guard let d = e as? [String: Any], d.count == kvs.count else { return false }
        return kvs.allSatisfy { k, x in d[k].map { jsonMatches(x, $0) } ?? false }
    }
}

/// The shared deterministic generator (SplitMix64, StorageTesting).
typealias SeededRandom = SplitMix64
