// The measured operations shared by the main run and the cold-start child: sequential single queries (QPS,
// p50/p99, recall@10) and repeated gets.
import Cairn
import Foundation
import Segments

enum Runs {
    /// One query per call, sequentially, like chroma_bench.run_queries.
    static func queries(
        _ collection: Collection, _ data: Dataset, truth: [[Int]], count: Int, where filter: Where? = nil,
        include: Include = Include(.distances)
    ) async throws -> [String: Any] {
        var latencies: [Double] = []
        var results: [[Int]] = []
        var fewest = Int.max
        let start = ContinuousClock.now
        for q in 0..<count {
            let embedding = data.query(q)
            let began = ContinuousClock.now
            let result = try await collection.query(
                queryEmbeddings: [embedding], nResults: Dataset.k, where: filter, include: include)
            latencies.append((ContinuousClock.now - began).seconds)
            let row = result.ids.first ?? []
            fewest = min(fewest, row.count)
            results.append(row.map(Dataset.index(of:)))
        }
        let total = (ContinuousClock.now - start).seconds
        return [
            "queries": count, "qps": Double(count) / total, "p50_ms": Measure.percentile(latencies, 50) * 1e3,
            "p99_ms": Measure.percentile(latencies, 99) * 1e3, "mean_ms": total / Double(count) * 1e3,
            "recall_at_10": Dataset.recall(results, Array(truth.prefix(count))), "min_results_returned": fewest,
        ]
    }

    /// Repeats a call and reports p50/p99 and the rows of the last call.
    static func timed(_ reps: Int, _ body: () async throws -> Int) async throws -> [String: Any] {
        var latencies: [Double] = []
        var rows = 0
        for _ in 0..<reps {
            let began = ContinuousClock.now
            rows = try await body()
            latencies.append((ContinuousClock.now - began).seconds)
        }
        return [
            "reps": reps, "p50_ms": Measure.percentile(latencies, 50) * 1e3,
            "p99_ms": Measure.percentile(latencies, 99) * 1e3, "rows": rows,
        ]
    }
}
