// `cairn bench index`: the VectorIndex benchmark on the standard dataset (build, QPS/recall, filtered search,
// memory, persistence). JSON on stdout, progress on stderr. Build in release for meaningful figures.
import ArgumentParser
import Foundation
import IndexBenchmarking
import VectorIndex

struct BenchIndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Benchmark HNSW build, search and filtered search on the standard dataset.")

    @Option(help: "Directory of the dataset's .npy files (python3 Benchmarks/dataset.py).")
    var data: String = ProcessInfo.processInfo.environment["PEERS_DATA_DIR"] ?? "/tmp/peers-data"

    @Option(parsing: .upToNextOption, help: "Search widths for the unfiltered sweep.")
    var ef: [Int] = [10, 20, 30, 50, 75, 100, 150, 200, 300]

    func run() async throws {
        var benchmark = IndexBenchmark(dataDirectory: URL(fileURLWithPath: data))
        benchmark.efs = ef
        let report = try await benchmark.run { line in
            FileHandle.standardError.write(Data(("[bench index] " + line + "\n").utf8))
        }
        let json = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
