// Reopen → first query result in a fresh process (as chroma_bench.py's cold child): the parent spawns this same
// executable with `--cold-child FOLDER`, which opens a new Client on the folder and times the first query.
import Cairn
import Foundation

enum ColdStart {
    static let processStart = Date().timeIntervalSince1970

    /// The child: prints one JSON line.
    static func child(folder: String, data: Dataset) async throws {
        let truth = try data.groundTruth("all")
        let rssBefore = Measure.statusMiB("VmRSS")
        let opened = ContinuousClock.now
        var options = Client.Options()
        options.compactionThreshold = nil
        let client = try await Client.open(folder, options: options)
        let clientReady = ContinuousClock.now
        let collection = try await client.getCollection(CollectionBench.collectionName)
        let collectionReady = ContinuousClock.now
        let first = try await collection.query(
            queryEmbeddings: [data.query(0)], nResults: 10, include: Include(.distances))
        let firstDone = ContinuousClock.now
        let firstWall = Date().timeIntervalSince1970
        // run-coldstart-s3.sh's proxy counts the requests and bytes up to here when told so (SIGUSR2).
        if let pid = ProcessInfo.processInfo.environment["COLD_MARK_PID"].flatMap({ Int32($0) }) {
            kill(pid, SIGUSR2)
        }
        let firstIDs = Set((first.ids.first ?? []).map(Dataset.index(of:)))
        let rssFirst = Measure.statusMiB("VmRSS")
        let second = try await Measure.seconds {
            _ = try await collection.query(queryEmbeddings: [data.query(1)], nResults: 10, include: Include(.distances))
        }
        let stats = try await Runs.queries(collection, data, truth: truth, count: data.queryCount)
        let out: [String: Any] = [
            "t_process_start_wall": processStart, "t_first_result_wall": firstWall,
            "open_client_s": (clientReady - opened).seconds,
            "get_collection_s": (collectionReady - clientReady).seconds,
            "first_query_s": (firstDone - collectionReady).seconds,
            "open_to_first_result_s": (firstDone - opened).seconds,
            "first_result_recall": Double(firstIDs.intersection(truth[0].prefix(10)).count) / 10,
            "second_query_ms": second * 1e3, "rss_before_open_mib": rssBefore, "rss_after_first_query_mib": rssFirst,
            "queries_after_cold_open": stats, "rss_after_1000_queries_mib": Measure.statusMiB("VmRSS"),
            "maxrss_mib": Measure.statusMiB("VmHWM"), "count": try await collection.count(),
        ]
        print(try CollectionBench.json(out, pretty: false))
    }

    /// The parent: spawns the child and adds process-level timings.
    static func run(folder: String, dropCache: Bool) throws -> [String: Any] {
        let evicted = dropCache ? Measure.dropPageCache(folder) : 0
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !CommandLine.arguments[0].contains("/") {
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        }
        process.arguments = ["--cold-child", folder] + CollectionBench.passthroughArguments
        let pipe = Pipe()
        process.standardOutput = pipe
        let spawned = Date().timeIntervalSince1970
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let ended = Date().timeIntervalSince1970
        guard process.terminationStatus == 0,
            let line = String(data: output, encoding: .utf8)?.split(separator: "\n").last,
            var child = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw BenchError("the cold-start child failed (status \(process.terminationStatus))") }
        let firstWall = child["t_first_result_wall"] as? Double ?? 0
        let startWall = child["t_process_start_wall"] as? Double ?? 0
        child["process_start_to_first_result_s"] = firstWall - spawned
        child["process_start_latency_s"] = startWall - spawned
        child["child_total_wall_s"] = ended - spawned
        child["page_cache_dropped"] = dropCache
        if dropCache { child["files_evicted"] = evicted }
        return child
    }
}
