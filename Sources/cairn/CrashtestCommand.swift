// `cairn crashtest write|verify URL`: the worker and the verifier of the process crash test (Tests/CairnTests/
// ProcessCrashTests.swift, `make crashtest`). The worker writes deterministic batches — each an upsert, a delete
// and an update — compacting and collecting garbage as it goes, and prints `acked N` once batch N is durable.
// It is killed with SIGKILL at random moments and restarted after its last acknowledged batch (a batch is
// idempotent, so re-applying one that partly landed is harmless). The verifier recomputes the expected
// collection from the seed, compares every record and a set of queries with it, and runs `check`.
import ArgumentParser
import Cairn
import Foundation

struct CrashtestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crashtest", abstract: "Worker and verifier of the kill -9 crash test.",
        subcommands: [CrashtestWrite.self, CrashtestVerify.self], helpNames: [.long])
}

/// The deterministic workload: batch `b` (1-based) of seed `seed`.
struct CrashtestWorkload {
    static let collection = "crashtest"
    /// Forks are named after the last batch they hold.
    static let forkPrefix = "crashtest-fork-"
    static func forkName(_ batch: Int) -> String { forkPrefix + String(batch) }
    static let dimension = 8
    static let perBatch = 20

    let seed: UInt64

    static func id(_ batch: Int, _ i: Int) -> String { "b\(batch)-\(i)" }

    func embedding(_ batch: Int, _ i: Int) -> [Float] {
        var state = seed &+ UInt64(batch) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(i) &* 0xBF58_476D_1CE4_E5B9
        return (0..<Self.dimension).map { _ in
            state = state &+ 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float(z >> 40) / Float(1 << 24) * 2 - 1
        }
    }

    struct Record: Equatable {
        var embedding: [Float]
        var metadata: Metadata
        var document: String
    }

    /// The three calls of batch `b`, as data.
    func upserts(_ b: Int) -> [(String, Record)] {
        (0..<Self.perBatch).map { i in
            (
                Self.id(b, i),
                Record(
                    embedding: embedding(b, i), metadata: ["batch": .int(Int64(b)), "i": .int(Int64(i))],
                    document: "batch \(b) record \(i)")
            )
        }
    }
    func deletions(_ b: Int) -> [String] {
        b > 3 ? (0..<Self.perBatch).filter { $0 % 5 == 0 }.map { Self.id(b - 3, $0) } : []
    }
    func updates(_ b: Int) -> [String] {
        b > 1 ? (0..<Self.perBatch).filter { $0 % 7 == 0 }.map { Self.id(b - 1, $0) } : []
    }

    /// The collection after batches 1...n.
    func expected(through n: Int) -> [String: Record] {
        var state: [String: Record] = [:]
        guard n > 0 else { return state }
        for b in 1...n {
            for (id, record) in upserts(b) { state[id] = record }
            for id in deletions(b) { state[id] = nil }
            for id in updates(b) where state[id] != nil {
                state[id]!.metadata["updated"] = .int(Int64(b))
                state[id]!.document = "updated by batch \(b)"
            }
        }
        return state
    }

    /// Applies batch `b` to the collection: three calls, each idempotent.
    func apply(_ b: Int, to collection: Collection) async throws {
        let upserts = upserts(b)
        try await collection.upsert(
            ids: upserts.map(\.0), embeddings: upserts.map(\.1.embedding), metadatas: upserts.map(\.1.metadata),
            documents: upserts.map(\.1.document))
        let deletions = deletions(b)
        if !deletions.isEmpty { try await collection.delete(ids: deletions) }
        let updates = updates(b)
        if !updates.isEmpty {
            try await collection.update(
                ids: updates, metadatas: updates.map { _ in ["updated": .some(.int(Int64(b)))] },
                documents: updates.map { _ in "updated by batch \(b)" })
        }
    }
}

struct CrashtestWrite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write", abstract: "Write batches, printing `acked N` as each becomes durable.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Workload seed.") var seed: UInt64 = 1
    @Option(help: "First batch to write (1-based).") var from: Int = 1
    @Option(help: "Last batch to write.") var through: Int
    @Option(help: "Compact after every Nth batch (0: never).") var compactEvery: Int = 10
    @Option(help: "Collect garbage after every Nth batch (0: never).") var gcEvery: Int = 25
    @Option(help: "Fork the collection after every Nth batch, deleting the forks made before (0: never).")
    var forkEvery: Int = 15

    func run() async throws {
        let client = try await store.open()
        let collection = try await client.getOrCreateCollection(CrashtestWorkload.collection)
        let workload = CrashtestWorkload(seed: seed)
        for b in from...max(from, through) where b <= through {
            try await workload.apply(b, to: collection)
            say("acked \(b)")
            if compactEvery > 0, b % compactEvery == 0 {
                say("compacting")
                do {
                    let summary = try await collection.compact()
                    say("compacted \(summary.map { "version \($0.version)" } ?? "nothing")")
                } catch let error as CairnError where error.code == .conflict {
                    say("compaction conflict: \(error)")  // a roll-forward happened; the next run proceeds
                }
            }
            if forkEvery > 0, b % forkEvery == 0 {
                // A fork holds batches 1…b; the older forks go, so garbage collection follows references both ways.
                say("forking")
                let fork = try await collection.fork(CrashtestWorkload.forkName(b))
                say("forked \(fork.name)")
                for other in try await client.listCollections()
                where other.name.hasPrefix(CrashtestWorkload.forkPrefix) && other.name != fork.name {
                    try await client.deleteCollection(other.name)
                }
            }
            if gcEvery > 0, b % gcEvery == 0 {
                say("collecting")
                let report = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
                say("collected \(report.deletions.count) objects")
            }
        }
        say("done")
    }

    private func say(_ line: String) {
        print(line)
        fflush(nil)
    }
}

struct CrashtestVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Compare the collection with batches 1…N and check the store.")

    @OptionGroup var store: StoreOptions
    @Option(help: "Workload seed.") var seed: UInt64 = 1
    @Option(help: "Last batch written.") var through: Int

    func run() async throws {
        let client = try await store.open()
        let collection = try await client.getCollection(CrashtestWorkload.collection)
        let workload = CrashtestWorkload(seed: seed)
        let expected = workload.expected(through: through)
        var problems: [String] = []

        let all = try await collection.get(include: Include(.embeddings, .metadatas, .documents))
        if Set(all.ids).count != all.ids.count { problems.append("get returned an id twice") }
        let missing = Set(expected.keys).subtracting(all.ids)
        let extra = Set(all.ids).subtracting(expected.keys)
        if !missing.isEmpty {
            problems.append("\(missing.count) acknowledged records missing, e.g. \(missing.sorted().prefix(5))")
        }
        if !extra.isEmpty {
            problems.append("\(extra.count) records that should not exist, e.g. \(extra.sorted().prefix(5))")
        }
        for (index, id) in all.ids.enumerated() {
            guard let want = expected[id] else { continue }
            let got = CrashtestWorkload.Record(
                embedding: all.embeddings?[index] ?? [], metadata: all.metadatas?[index] ?? [:],
                document: all.documents?[index] ?? "")
            if got != want { problems.append("record \(id) differs: \(got) vs \(want)") }
        }
        if try await collection.count() != expected.count {
            problems.append("count \(try await collection.count()) != \(expected.count)")
        }

        // Queries: every hit is a live record at its true distance, and recall against brute force is high.
        var found = 0
        var wanted = 0
        for q in 0..<20 {
            let query = workload.embedding(1_000_000, q)
            func distance(_ record: CrashtestWorkload.Record) -> Float {
                zip(record.embedding, query).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            }
            let exact = expected.map { ($0.key, distance($0.value)) }.sorted { $0.1 < $1.1 }.prefix(5).map(\.0)
            let result = try await collection.query(queryEmbeddings: [query], nResults: 5)
            let ids = result.ids.first ?? []
            for (id, got) in zip(ids, result.distances?.first ?? []) {
                guard let record = expected[id] else {
                    problems.append("query \(q) returned \(id), which should not exist")
                    continue
                }
                if abs(distance(record) - got) > 1e-3 { problems.append("query \(q): \(id) at distance \(got)") }
            }
            found += Set(ids).intersection(exact).count
            wanted += exact.count
        }
        if wanted > 0, Double(found) / Double(wanted) < 0.9 {
            problems.append("query recall@5 \(Double(found) / Double(wanted)) is below 0.9")
        }

        // Every fork the worker finished holds exactly the batches it was made after.
        for fork in try await client.listCollections() where fork.name.hasPrefix(CrashtestWorkload.forkPrefix) {
            guard let batch = Int(fork.name.dropFirst(CrashtestWorkload.forkPrefix.count)) else { continue }
            let held = try await fork.get(include: Include(.embeddings, .metadatas, .documents))
            let want = workload.expected(through: batch)
            var differ = Set(held.ids) != Set(want.keys)
            for (index, id) in held.ids.enumerated() where !differ {
                differ =
                    want[id]
                    != CrashtestWorkload.Record(
                        embedding: held.embeddings?[index] ?? [], metadata: held.metadatas?[index] ?? [:],
                        document: held.documents?[index] ?? "")
            }
            if differ { problems.append("fork \(fork.name) does not hold batches 1…\(batch)") }
        }

        let report = try await client.check(loadIndexes: true)
        problems += report.problems.map { "check: \($0)" }
        print("verified \(all.ids.count) records of \(through) batches; \(report.versions) version(s) checked")
        for problem in problems.prefix(50) { print("PROBLEM \(problem)") }
        if !problems.isEmpty { throw ExitCode(1) }
        print("ok")
    }
}
