// IndexBench: the VectorIndex benchmark (same code as `cairn bench index`), printing JSON on stdout and
// progress on stderr. Usage: IndexBench [data-dir] (default $PEERS_DATA_DIR or /tmp/peers-data).
// Calibration knobs (environment): CAIRN_BENCH_INDEX_CACHE=path reuses a built index;
// CAIRN_BENCH_PLANNERS="name=graphCost,distancesPerEF,efExponent,maxEF,seedCount,budgetFactor;..." measures
// planner variants beside the default.
import Foundation
import IndexBenchmarking
import ObjectStore
import ObjectStoreS3
import VectorIndex

let environment = ProcessInfo.processInfo.environment
let directory = CommandLine.arguments.dropFirst().first ?? environment["PEERS_DATA_DIR"] ?? "/tmp/peers-data"
var benchmark = IndexBenchmark(dataDirectory: URL(fileURLWithPath: directory))
benchmark.cachedIndexPath = environment["CAIRN_BENCH_INDEX_CACHE"]
if let url = environment["CAIRN_BENCH_S3_URL"] {
    benchmark.s3Store = RetryingStore(try StoreFactory.open(url: url))
}
for spec in (environment["CAIRN_BENCH_PLANNERS"] ?? "").split(separator: ";") {
    let parts = spec.split(separator: "=")
    let values = parts.count == 2 ? parts[1].split(separator: ",").compactMap { Double($0) } : []
    guard values.count == 6 else {
        FileHandle.standardError.write(Data("IndexBench: ignoring planner spec \(spec)\n".utf8))
        continue
    }
    benchmark.plannerVariants[String(parts[0])] = FilteredSearchPlanner(
        graphDistanceCost: values[0], distancesPerEF: values[1], efExponent: values[2], maxEF: Int(values[3]),
        budgetFactor: values[5], seedCount: Int(values[4]))
}
do {
    let report = try await benchmark.run { line in
        FileHandle.standardError.write(Data(("[IndexBench] " + line + "\n").utf8))
    }
    let json = try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
    print(String(decoding: json, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("IndexBench: \(error)\n".utf8))
    exit(1)
}
