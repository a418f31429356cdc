import CHNSW
import CRoaring
import Foundation
import ObjectStore
// The index benchmark behind `cairn bench index` and Benchmarks/IndexBench: build rate, unfiltered QPS and
// latency against recall, filtered recall and latency per selectivity, memory, persistence and hydration,
// on the standard dataset (Benchmarks/dataset.py). Prints progress through `log`, returns JSON values.
import VectorIndex

public struct IndexBenchmark: Sendable {
    /// Where dataset.py cached the `.npy` files (and index_reference.py its filters, in `index-bench/`).
    public var dataDirectory: URL
    public var threadCounts = [1, 2]
    public var efs = [10, 20, 30, 50, 75, 100, 150, 200, 300]
    public var parameters = HNSWParameters(space: .l2, m: 16, constructionEF: 100, searchEF: 100)
    public var seed = 100
    /// The planner measured in the filtered section, and variants measured beside it (for calibration).
    public var planner = FilteredSearchPlanner.default
    public var plannerVariants: [String: FilteredSearchPlanner] = [:]
    /// A store on the local S3 server to measure loading the index from (nil: not measured).
    public var s3Store: (any ObjectStore)?
    /// When set and the file exists, the index is loaded from it instead of built (no build figures);
    /// when set and missing, the built index is saved there.
    public var cachedIndexPath: String?

    public init(dataDirectory: URL) { self.dataDirectory = dataDirectory }

    struct Dataset {
        var base: [Float]
        var queries: [Float]
        var truth: [Int]
        var dimension: Int
        var count: Int { base.count / dimension }
        var queryCount: Int { queries.count / dimension }
        func query(_ i: Int) -> [Float] { Array(queries[i * dimension..<(i + 1) * dimension]) }
    }

    func file(_ prefix: String) throws(VectorIndexError) -> URL {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory.path)) ?? []
        guard
            let name = names.sorted().first(where: {
                $0.hasPrefix(prefix + "-") && $0.hasSuffix(".npy") && !$0.contains(".tmp")
            })
        else {
            throw VectorIndexError(
                .io, "no \(prefix)-*.npy in \(dataDirectory.path): run python3 Benchmarks/dataset.py first")
        }
        return dataDirectory.appendingPathComponent(name)
    }

    func loadDataset() throws(VectorIndexError) -> Dataset {
        let base = try NumpyFile(contentsOf: try file("base"))
        let queries = try NumpyFile(contentsOf: try file("queries"))
        let truth = try NumpyFile(contentsOf: try file("gt_all"))
        guard base.shape.count == 2, queries.shape.count == 2, base.shape[1] == queries.shape[1] else {
            throw VectorIndexError(.invalidArgument, "dataset shapes do not match: \(base.shape) \(queries.shape)")
        }
        return Dataset(
            base: try base.floats(), queries: try queries.floats(), truth: try truth.integers(),
            dimension: base.shape[1])
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = p / 100 * Double(sorted.count - 1)
        let low = Int(position)
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }

    static func recall(_ found: [Neighbor], truth: ArraySlice<Int>) -> Double {
        let expected = Set(truth.filter { $0 >= 0 })
        guard !expected.isEmpty else { return 1 }
        return Double(found.prefix(10).filter { expected.contains(Int($0.id)) }.count) / Double(expected.count)
    }

    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
        }
        return 0
    }

    /// Runs everything; `log` gets one line per measurement.
    public func run(log: (String) -> Void) async throws(VectorIndexError) -> [String: Any] {
        let clock = ContinuousClock()
        let data = try loadDataset()
        let n = data.count
        let ids = (0..<n).map { OffsetID($0) }
        var out: [String: Any] = [
            "n": n, "dim": data.dimension, "M": parameters.m, "ef_construction": parameters.constructionEF,
            "kernel": String(cString: cairn_hnsw_kernel_name()),
        ]
        log("dataset: \(n) x \(data.dimension), \(data.queryCount) queries, shim kernel \(out["kernel"]!)")

        out["kernels_ns_per_distance"] = kernelTimings(data)
        log("kernels (ns per d=\(data.dimension) distance): \(out["kernels_ns_per_distance"]!)")

        // Build with 1 and 2 threads (one add call, as Python's add_items).
        var index: HNSWIndex?
        var builds: [String: Any] = [:]
        if let path = cachedIndexPath, FileManager.default.fileExists(atPath: path) {
            index = try HNSWIndex.load(fromFile: path, dimension: data.dimension, parameters: parameters)
            log("loaded the index from \(path) (no build figures)")
        }
        let loadedFromCache = index != nil
        for threads in threadCounts where !loadedFromCache {
            index = nil
            var p = parameters
            p.numThreads = threads
            let rssBefore = Self.residentBytes()
            let fresh = try HNSWIndex.create(dimension: data.dimension, parameters: p, capacity: n, seed: seed)
            let start = clock.now
            try fresh.add(flat: data.base, ids: ids)
            let elapsed = Self.seconds(clock.now - start)
            builds["threads\(threads)"] = ["wall_s": elapsed, "vectors_per_s": Double(n) / elapsed]
            log(
                "build \(threads) thread(s): \(Int(Double(n) / elapsed)) vectors/s (\(String(format: "%.2f", elapsed)) s)"
            )
            if threads == threadCounts.first {
                let rss = Self.residentBytes() - rssBefore
                out["memory"] = [
                    "native_bytes_per_vector": Double(fresh.memoryBytes) / Double(n),
                    "rss_delta_bytes_per_vector": Double(rss) / Double(n),
                    "raw_vector_bytes": data.dimension * 4,
                ]
                log("memory: \(out["memory"]!)")
            }
            index = fresh
        }
        out["build"] = builds
        guard let index else { return out }
        if let path = cachedIndexPath, !FileManager.default.fileExists(atPath: path) { try index.save(toFile: path) }

        // Unfiltered: one query per call on one thread, per ef.
        var sweep: [[String: Any]] = []
        for ef in efs {
            var latencies: [Double] = []
            var total = 0.0
            let start = clock.now
            for q in 0..<data.queryCount {
                let query = data.query(q)
                let t0 = clock.now
                let found = try index.search(query, k: 10, ef: ef)
                latencies.append(Self.seconds(clock.now - t0))
                total += Self.recall(found, truth: data.truth[(q * 10)..<(q * 10 + 10)])
            }
            let wall = Self.seconds(clock.now - start)
            latencies.sort()
            let row: [String: Any] = [
                "ef": ef, "recall_at_10": total / Double(data.queryCount), "qps": Double(data.queryCount) / wall,
                "p50_ms": Self.percentile(latencies, 50) * 1e3, "p99_ms": Self.percentile(latencies, 99) * 1e3,
            ]
            sweep.append(row)
            log(
                String(
                    format: "ef=%d recall=%.4f qps=%.0f p50=%.3f ms p99=%.3f ms", ef, row["recall_at_10"] as! Double,
                    row["qps"] as! Double, row["p50_ms"] as! Double, row["p99_ms"] as! Double))
        }
        out["unfiltered"] = sweep
        for target in [0.95, 0.99] {
            if let row = sweep.first(where: { ($0["recall_at_10"] as! Double) >= target }) {
                out["unfiltered_at_recall_\(target)"] = row
            }
        }

        out["filtered"] = try filtered(index, data: data, planner: planner, log: log)
        for (name, variant) in plannerVariants.sorted(by: { $0.key < $1.key }) {
            log("planner variant \(name): \(variant)")
            out["filtered_\(name)"] = try filtered(index, data: data, planner: variant, log: log)
        }
        out["persistence"] = try await persistence(index, data: data, log: log)
        return out
    }

    func filtered(_ index: HNSWIndex, data: Dataset, planner: FilteredSearchPlanner, log: (String) -> Void)
        throws(VectorIndexError) -> [String: Any]
    {
        let directory = dataDirectory.appendingPathComponent("index-bench")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasPrefix("allowed_") && $0.hasSuffix(".npy") }.sorted()
        guard !names.isEmpty else {
            log("no filters in \(directory.path): run Benchmarks/index_reference.py first")
            return [:]
        }
        let clock = ContinuousClock()
        var result: [String: Any] = [:]
        for name in names {
            let filter = String(name.dropFirst("allowed_".count).dropLast(".npy".count))
            let allowed = try NumpyFile(contentsOf: directory.appendingPathComponent(name)).integers().map {
                UInt32($0)
            }
            let truth = try NumpyFile(contentsOf: directory.appendingPathComponent("gt_\(filter).npy")).integers()
            // The where-clause result arrives as a roaring bitmap; converting it is part of each query.
            let bitmap = allowed.withUnsafeBufferPointer { roaring_bitmap_of_ptr($0.count, $0.baseAddress) }
            guard let bitmap else { throw VectorIndexError(.outOfMemory, "roaring bitmap for \(filter)") }
            defer { roaring_bitmap_free(bitmap) }
            var latencies: [Double] = []
            var total = 0.0
            var plans: [String: Int] = [:]
            let start = clock.now
            for q in 0..<data.queryCount {
                let query = data.query(q)
                let t0 = clock.now
                let set = AllowedSet(roaring: bitmap)
                let answer = try index.search(query, k: 10, allowed: set, planner: planner)
                latencies.append(Self.seconds(clock.now - t0))
                total += Self.recall(answer.neighbors, truth: truth[(q * 10)..<(q * 10 + 10)])
                plans[String(describing: answer.plan), default: 0] += 1
            }
            let wall = Self.seconds(clock.now - start)
            latencies.sort()
            let row: [String: Any] = [
                "allowed": allowed.count, "selectivity": Double(allowed.count) / Double(data.count),
                "recall_at_10": total / Double(data.queryCount), "qps": Double(data.queryCount) / wall,
                "p50_ms": Self.percentile(latencies, 50) * 1e3, "p99_ms": Self.percentile(latencies, 99) * 1e3,
                "plans": plans,
            ]
            result[filter] = row
            log(
                String(
                    format: "filter %@ (%d allowed): recall=%.4f qps=%.0f p50=%.3f ms p99=%.3f ms %@", filter,
                    allowed.count, row["recall_at_10"] as! Double, row["qps"] as! Double, row["p50_ms"] as! Double,
                    row["p99_ms"] as! Double, plans.description))
        }
        return result
    }

    func persistence(_ index: HNSWIndex, data: Dataset, log: (String) -> Void) async throws(VectorIndexError)
        -> [String: Any]
    {
        let clock = ContinuousClock()
        let store = InMemoryStore()
        let location = HNSWIndexLocation(
            collection: ObjectPath(prefix: "bench").collection(tenant: "t", database: "d", collectionID: "c"),
            segmentID: "s", indexID: UUID().uuidString)
        var start = clock.now
        try await index.write(to: location, store: store)
        let write = Self.seconds(clock.now - start)
        let provider = HnswIndexProvider(store: store, capacityBytes: 1 << 34)
        start = clock.now
        let loaded = try await provider.get(location)
        _ = try loaded.search(data.query(0), k: 10)
        let hydrate = Self.seconds(clock.now - start)
        var result: [String: Any] = [
            "index_file_bytes": store.totalBytes, "write_to_memory_store_s": write,
            "hydrate_from_memory_store_and_first_query_s": hydrate,
        ]
        if let remote = s3Store {
            // The same through the local S3 server: write, then a fresh provider hydrates and answers a query.
            try await index.write(to: location, store: remote)
            let fresh = HnswIndexProvider(store: remote, capacityBytes: 1 << 34)
            start = clock.now
            let fromS3 = try await fresh.get(location)
            _ = try fromS3.search(data.query(0), k: 10)
            result["load_from_s3_and_first_query_s"] = Self.seconds(clock.now - start)
        } else {
            result["s3_load"] = "not measured: set CAIRN_BENCH_S3_URL (run-index.sh starts a local S3 server)"
        }
        log("persistence: \(result)")
        return result
    }
}
