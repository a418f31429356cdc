// CollectionBench: Cairn's embedded collections on the standard dataset, measured as chroma_bench.py measures
// chromadb (same data, filters, ground truth and JSON shape), so run-collection.sh can print the two side by side.
// Usage: CollectionBench [--data DIR] [--dir FOLDER] [--n N] [--nq-filter N]   (prints JSON on stdout)
import Cairn
import Foundation
import Segments

enum CollectionBench {
    static let collectionName = "peers_bench"
    static let batch = 1000
    static var passthroughArguments: [String] {
        ["--data", option("--data") ?? defaultData, "--n", option("--n") ?? "100000"]
    }
    static let defaultData = ProcessInfo.processInfo.environment["PEERS_DATA_DIR"] ?? "/tmp/peers-data"

    static func option(_ name: String) -> String? {
        let arguments = CommandLine.arguments
        guard let at = arguments.firstIndex(of: name), at + 1 < arguments.count else { return nil }
        return arguments[at + 1]
    }

    static func log(_ text: String) {
        FileHandle.standardError.write(Data("[collection_bench] \(text)\n".utf8))
    }

    static func json(_ value: Any, pretty: Bool = true) throws -> String {
        let data = try JSONSerialization.data(
            withJSONObject: value, options: pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func main() async throws {
        _ = ColdStart.processStart
        let n = Int(option("--n") ?? "") ?? 100_000
        let data = try Dataset(folder: option("--data") ?? defaultData, n: n)
        if let folder = option("--cold-child") {
            try await ColdStart.child(folder: folder, data: data)
            return
        }
        let filterQueries = Int(option("--nq-filter") ?? "") ?? data.queryCount
        let folder = option("--dir") ?? "/tmp/peers-cairn"
        try? FileManager.default.removeItem(atPath: folder)
        guard n == 100_000 else { throw BenchError("ground truth files exist for n = 100000 only") }
        let truth = try data.groundTruth("all")

        var out: [String: Any] = ["n": n, "dim": Dataset.dim, "batch": batch, "persist_dir": folder, "space": "l2"]
        out["rss_before_client_mib"] = Measure.statusMiB("VmRSS")
        var options = Client.Options()
        // Ingest is timed to "acknowledged" (durable in the log); indexing is the explicit compaction after it.
        options.compactionThreshold = nil
        let client = try await Client.open(folder, options: options)
        let collection = try await client.createCollection(collectionName, metadata: ["hnsw:space": "l2"])
        let hnsw = collection.configuration.hnsw
        out["collection_configuration"] = [
            "space": hnsw.space.rawValue, "ef_construction": hnsw.constructionEF, "ef_search": hnsw.searchEF,
            "max_neighbors": hnsw.m,
        ]

        // Ingest, then compaction (the HNSW build and the metadata indexes).
        log("ingest \(n) ...")
        let ids = (0..<n).map(data.id)
        var batchLatencies: [Double] = []
        let start = ContinuousClock.now
        for s in stride(from: 0, to: n, by: batch) {
            let range = s..<min(n, s + batch)
            let embeddings = range.map(data.vector)
            let metadatas: [Metadata?] = range.map(data.metadata)
            let documents: [String?] = range.map(data.document)
            let began = ContinuousClock.now
            try await collection.add(
                ids: Array(ids[range]), embeddings: embeddings, metadatas: metadatas, documents: documents)
            batchLatencies.append((ContinuousClock.now - began).seconds)
            if (s / batch) % 20 == 19 {
                log(
                    "  \(range.upperBound) added, \(Int(Double(range.upperBound) / (ContinuousClock.now - start).seconds)) vec/s"
                )
            }
        }
        let added = ContinuousClock.now
        _ = try await collection.query(queryEmbeddings: [data.query(0)], nResults: 10, include: Include(.distances))
        let queryable = ContinuousClock.now
        log("compact ...")
        try await collection.compact()
        let indexed = ContinuousClock.now
        let count = try await collection.count()
        guard count == n else { throw BenchError("count \(count) after ingest, expected \(n)") }
        let addSeconds = (added - start).seconds
        out["ingest"] = [
            "add_wall_s": addSeconds, "vectors_per_s": Double(n) / addSeconds,
            "until_queryable_wall_s": (queryable - start).seconds,
            "first_query_after_ingest_ms": (queryable - added).seconds * 1e3,
            "compact_s": (indexed - queryable).seconds, "until_indexed_wall_s": (indexed - start).seconds,
            "indexed_vectors_per_s": Double(n) / (indexed - start).seconds,
            "batch_p50_ms": Measure.percentile(batchLatencies, 50) * 1e3,
            "batch_p99_ms": Measure.percentile(batchLatencies, 99) * 1e3,
            "first_batch_ms": batchLatencies[0] * 1e3, "last_batch_ms": batchLatencies[batchLatencies.count - 1] * 1e3,
            "count": count,
        ]
        out["rss_after_ingest_mib"] = Measure.statusMiB("VmRSS")
        log("ingest \(try json(out["ingest"]!, pretty: false))")

        // Unfiltered queries.
        log("query ...")
        out["query"] = try await Runs.queries(collection, data, truth: truth, count: data.queryCount)
        out["query_default_include"] = try await Runs.queries(
            collection, data, truth: truth, count: 200, include: Include(.metadatas, .documents, .distances))
        let all = (0..<data.queryCount).map(data.query)
        var batchResult: QueryResult?
        let batchSeconds = try await Measure.seconds {
            batchResult = try await collection.query(queryEmbeddings: all, nResults: 10, include: Include(.distances))
        }
        out["query_batch_1000_in_one_call"] = [
            "qps": Double(all.count) / batchSeconds, "wall_s": batchSeconds,
            "recall_at_10": Dataset.recall((batchResult?.ids ?? []).map { $0.map(Dataset.index(of:)) }, truth),
        ]
        log("query \(try json(out["query"]!, pretty: false))")

        // Filtered queries: chroma_bench.py's four filters, recall against dataset.py's filtered ground truth.
        let filters: [(String, Where, Int)] = [
            ("cat_lt_500", .lt("cat", 500), 500), ("cat_lt_100", .lt("cat", 100), 100),
            ("cat_lt_10", .lt("cat", 10), 10), ("cat_eq_7", .eq("cat", 7), 1),
        ]
        var filtered: [String: Any] = [:]
        for (name, filter, cats) in filters {
            let allowed = n / 1000 * cats
            log("filtered \(name) (\(allowed) allowed) ...")
            var stats = try await Runs.queries(
                collection, data, truth: try data.groundTruth("\(name)_n\(n)"), count: filterQueries, where: filter)
            stats["allowed"] = allowed
            stats["selectivity"] = Double(allowed) / Double(n)
            filtered[name] = stats
            log("   \(try json(stats, pretty: false))")
        }
        out["filtered_query"] = filtered

        // Metadata-only gets and count.
        var generator = SplitMix(seed: 5)
        var picked = Set<Int>()
        while picked.count < 100 { picked.insert(Int(generator.next() % UInt64(n))) }
        let randomIDs = picked.sorted().map(data.id)
        out["get"] = [
            "where_shard_eq_3_limit_100": try await Runs.timed(50) {
                try await collection.get(where: .eq("shard", 3), limit: 100, include: Include(.metadatas)).ids.count
            },
            "where_shard_eq_3_limit_100_docs": try await Runs.timed(50) {
                try await collection.get(where: .eq("shard", 3), limit: 100, include: Include(.metadatas, .documents))
                    .ids.count
            },
            "where_tag_eq_alpha_limit_100": try await Runs.timed(50) {
                try await collection.get(where: .eq("tag", "alpha"), limit: 100, include: Include(.metadatas)).ids.count
            },
            "where_cat_eq_7_all": try await Runs.timed(50) {
                try await collection.get(where: .eq("cat", 7), include: Include(.metadatas)).ids.count
            },
            "by_100_ids_with_embeddings": try await Runs.timed(50) {
                try await collection.get(ids: randomIDs, include: Include(.embeddings, .metadatas, .documents)).ids
                    .count
            },
            "count": try await Runs.timed(50) {
                _ = try await collection.count()
                return 1
            },
        ]
        log("get \(try json(out["get"]!, pretty: false))")
        out["rss_before_close_mib"] = Measure.statusMiB("VmRSS")
        out["maxrss_main_process_mib"] = Measure.statusMiB("VmHWM")
        out["disk_after_ingest"] = Measure.diskBytes(folder)
        log("disk \(try json(out["disk_after_ingest"]!, pretty: false))")

        log("cold start (page cache warm) ...")
        out["cold_start_warm_cache"] = try ColdStart.run(folder: folder, dropCache: false)
        log("cold start (page cache dropped for persist dir) ...")
        let cold = try ColdStart.run(folder: folder, dropCache: true)
        out["cold_start_dropped_cache"] = cold
        log("cold \(cold["process_start_to_first_result_s"] ?? 0) s process start → first result")
        print(try json(out))
    }
}

/// A small deterministic generator for the random id sample (numpy's generator is not reproduced; any 100 ids do).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

try await CollectionBench.main()
