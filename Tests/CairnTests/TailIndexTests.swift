import Blockfile
import Foundation
import StorageTesting
import Synchronization
import Testing

// Fresh writes are queried through the log tail's own index (issue 19): an in-memory HNSW over the tail, built in
// the background, exact comparison for what it does not hold yet, filter matches kept per filter. What users rely
// on: the answers are those of an exact search over the current records, updates and deletes in the tail included.
@testable import Cairn

@Suite struct TailIndexTests {
    static let dimension = 16

    static func options(maxVectors: Int = 200_000) -> Client.Options {
        var options = Client.Options()
        options.compactionThreshold = nil  // everything stays in the tail
        options.garbageCollectionInterval = nil
        options.tailIndexMaxVectors = maxVectors
        options.tailIndexMinVectors = 0  // these tests hold small tails: indexed from the first record
        return options
    }

    static func vectors(_ count: Int, seed: UInt64) -> [[Float]] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &random) } }
    }

    /// Waits until the tail index holds every slot it may (a read asks it to catch up).
    static func waitForTailIndex(_ collection: Collection, upTo limit: Int = .max) async throws {
        for _ in 0..<3000 {
            _ = try await collection.count()
            let progress = await collection.runtime.tailIndexProgress()
            if progress.indexed >= min(progress.slots, limit) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the tail index did not catch up")
    }

    /// The exact top `k` ids among `records` (squared L2), nearest first.
    static func exact(_ query: [Float], _ records: [String: [Float]], k: Int) -> [String] {
        records.map { id, vector in (id, zip(query, vector).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }) }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(k).map(\.0)
    }

    /// A collection whose compactions the test holds at the runtime's hooks; reads never look past the version the
    /// test installs.
    static func withHeldCompactions(_ body: (Collection, RuntimeHooks) async throws -> Void) async throws {
        try await TemporaryDirectory.with { folder in
            let hooks = RuntimeHooks()
            var options = Self.options()
            options.runtimeHooks = hooks
            options.refreshInterval = .seconds(3600)
            let client = try await Client.open(folder.path, options: options)
            try await body(try await client.createCollection("fresh"), hooks)
        }
    }

    func withCollection(maxVectors: Int = 200_000, _ body: (Collection) async throws -> Void) async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: Self.options(maxVectors: maxVectors))
            try await body(try await client.createCollection("fresh"))
        }
    }

    @Test func freshRecordsAreFoundAsAnExactSearchFindsThem() async throws {
        try await withCollection { collection in try await checkFreshRecords(collection) }
    }

    func checkFreshRecords(_ collection: Collection) async throws {
        let vectors = Self.vectors(3000, seed: 7)
        var current: [String: [Float]] = [:]
        for start in stride(from: 0, to: vectors.count, by: 500) {
            let ids = (start..<start + 500).map { "r\($0)" }
            try await collection.add(
                ids: ids, embeddings: Array(vectors[start..<start + 500]),
                metadatas: (start..<start + 500).map { ["group": .int(Int64($0 % 10))] })
            for (id, vector) in zip(ids, vectors[start..<start + 500]) { current[id] = vector }
        }
        try await Self.waitForTailIndex(collection)

        // Each record's own vector finds it first; top-10 agrees with exact search.
        var agreed = 0
        for i in stride(from: 0, to: 3000, by: 60) {
            let result = try await collection.query(queryEmbeddings: [vectors[i]], nResults: 10)
            #expect(result.ids[0].first == "r\(i)")
            agreed += Set(result.ids[0]).intersection(Self.exact(vectors[i], current, k: 10)).count
        }
        #expect(Double(agreed) / Double(50 * 10) >= 0.95)

        // A filtered query returns only matches, the exact ones.
        let group3 = current.filter { Int($0.key.dropFirst())! % 10 == 3 }
        let filtered = try await collection.query(
            queryEmbeddings: [vectors[5]], nResults: 10, where: .field("group", .eq(.int(3))))
        #expect(filtered.ids[0] == Self.exact(vectors[5], group3, k: 10))

        // Updates and deletes after the records were indexed: a deleted record is never returned, an updated one
        // is found where it moved, and counts follow.
        let moved = Self.vectors(100, seed: 99).map { $0.map { $0 + 10 } }
        try await collection.update(ids: (0..<100).map { "r\($0)" }, embeddings: moved)
        try await collection.delete(ids: (100..<200).map { "r\($0)" })
        for i in 0..<100 { current["r\(i)"] = moved[i] }
        for i in 100..<200 { current["r\(i)"] = nil }
        #expect(try await collection.count() == 2900)
        for i in stride(from: 0, to: 100, by: 10) {
            let result = try await collection.query(queryEmbeddings: [moved[i]], nResults: 3)
            #expect(result.ids[0].first == "r\(i)")
        }
        for i in stride(from: 100, to: 200, by: 10) {
            let result = try await collection.query(queryEmbeddings: [vectors[i]], nResults: 10)
            #expect(!result.ids[0].contains { (100..<200).map { "r\($0)" }.contains($0) })
        }
        try await Self.waitForTailIndex(collection)
        let afterIndexing = try await collection.query(queryEmbeddings: [vectors[150]], nResults: 10)
        #expect(Set(afterIndexing.ids[0]).intersection(Self.exact(vectors[150], current, k: 10)).count >= 9)
        #expect(!afterIndexing.ids[0].contains("r150"))
    }

    /// Writes that arrive while a compaction publishes are not folded by it: the new version's tail takes over
    /// their slots (and their place in the tail index) instead of copying and indexing them again; answers and
    /// the order of `get` stay those of the records.
    @Test func aCompactionKeepsTheTailItDidNotFold() async throws {
        try await Self.withHeldCompactions { collection, hooks in
            let vectors = Self.vectors(400, seed: 3)
            try await collection.add(ids: (0..<200).map { "a\($0)" }, embeddings: Array(vectors[0..<200]))
            #expect(try await collection.count() == 200)

            hooks.hold(.compactionPublished)
            let compaction = Task { try await collection.compact() }
            await hooks.waitForArrivals(at: .compactionPublished, count: 1)
            let late = (0..<200).map { "b\($0)" }
            try await collection.add(ids: late, embeddings: Array(vectors[200..<400]))
            try await Self.waitForTailIndex(collection)
            let before = await collection.runtime.tailIndexProgress()
            #expect(before.slots == 400)
            // The first version is installed, then `compact()` goes on to fold the late batch: held there.
            hooks.release(.compactionPublished)
            hooks.hold(.compactionPublished)
            await hooks.waitForArrivals(at: .compactionPublished, count: 2)

            // Installed: the tail is the late batch, on the same slots, already indexed.
            #expect(try await collection.count() == 400)
            let after = await collection.runtime.tailIndexProgress()
            #expect(after.slots == before.slots, "the late records were not copied again")
            #expect(after.indexed == before.indexed)
            #expect(try await collection.get().ids == (0..<200).map { "a\($0)" } + late)
            for i in [0, 150, 200, 399] {
                let result = try await collection.query(queryEmbeddings: [vectors[i]], nResults: 1)
                #expect(result.ids[0] == [i < 200 ? "a\(i)" : "b\(i - 200)"])
            }
            hooks.release(.compactionPublished)
            _ = try await compaction.value
            #expect(await collection.runtime.tailIndexProgress().slots == 0, "everything folded: no tail")
            #expect(try await collection.get().ids == (0..<200).map { "a\($0)" } + late)
        }
    }

    /// Compaction publishes the tail index's graph instead of building the same one again (decision 0020): the
    /// version's index is a copy relabelled to offset ids, replaced and deleted slots marked deleted, what the
    /// tail had not indexed added. Answers stay those of an exact search, after a second seeded compaction (whose
    /// untouched records are found through the first) and in a fresh client reading the index from the store.
    @Test func compactionPublishesTheTailsGraph() async throws {
        try await TemporaryDirectory.with { folder in
            let vectors = Self.vectors(3000, seed: 11)
            var current: [String: [Float]] = [:]
            let hooks = RuntimeHooks()
            let lines = LockedLines()
            var options = Self.options()
            options.runtimeHooks = hooks
            options.log = { lines.append($0) }
            // Reads look past the version they have only for their own writes: none loads the first version
            // while it holds none of the tail (the tail would then start a fresh store).
            options.refreshInterval = .seconds(3600)
            let client = try await Client.open(folder.path, options: options)
            let collection = try await client.createCollection("fresh")
            try await collection.add(
                ids: (0..<2000).map { "r\($0)" }, embeddings: Array(vectors[0..<2000]),
                metadatas: (0..<2000).map { ["group": .int(Int64($0 % 10))] })
            for i in 0..<2000 { current["r\(i)"] = vectors[i] }
            try await Self.waitForTailIndex(collection)
            // Changed after indexing: moved vectors (their old slots go stale), deletes, metadata only.
            let moved = Self.vectors(100, seed: 12).map { $0.map { $0 + 5 } }
            try await collection.update(ids: (0..<100).map { "r\($0)" }, embeddings: moved)
            for i in 0..<100 { current["r\(i)"] = moved[i] }
            try await collection.delete(ids: (100..<150).map { "r\($0)" })
            for i in 100..<150 { current["r\(i)"] = nil }
            try await collection.update(
                ids: (150..<200).map { "r\($0)" }, metadatas: (150..<200).map { _ in ["group": .int(42)] })

            // Writes that arrive while the first version publishes are folded by a second run of the same
            // `compact()`: new records, two moved again, the rest found through the first run's slots. (Enough of
            // them that the new tail keeps the shared slots: see `LogTailBuilder.mostSlotsStale`.)
            hooks.hold(.compactionPublished)
            let compaction = Task { try await collection.compact() }
            await hooks.waitForArrivals(at: .compactionPublished, count: 1)
            try await collection.add(ids: (2000..<3000).map { "r\($0)" }, embeddings: Array(vectors[2000..<3000]))
            for i in 2000..<3000 { current["r\(i)"] = vectors[i] }
            let flipped = [moved[50], moved[51]].map { $0.map { -$0 } }
            try await collection.update(ids: ["r500", "r501"], embeddings: flipped)
            (current["r500"], current["r501"]) = (flipped[0], flipped[1])
            try await Self.waitForTailIndex(collection)
            hooks.release(.compactionPublished)
            let summary = try #require(try await compaction.value)
            #expect(summary.seededIndex)
            #expect(lines.lines.count { $0.contains("starts from the log tail's graph") } == 2, "\(lines.lines)")
            try await checkAnswers(collection, current, probes: vectors, moved: moved)
            let report = try await client.check(loadIndexes: true)
            #expect(report.isClean, "\(report.problems)")

            // A fresh client reads the published index from the store.
            let reopened = try await Client.open(folder.path, options: Self.options())
            try await checkAnswers(try await reopened.getCollection("fresh"), current, probes: vectors, moved: moved)
        }
    }

    /// After a version is published from the tail's graph, writes go on in the tail on the same slots: one search
    /// of that graph answers for the version's records and the tail's (`TailCoverage`), with the version's records
    /// the tail changed since (moved, deleted, metadata changed) left out, filtered or not.
    @Test func aVersionPublishedFromTheTailsGraphIsSearchedInIt() async throws {
        try await Self.withHeldCompactions { collection, hooks in
            let vectors = Self.vectors(3000, seed: 21)
            var current: [String: [Float]] = [:]
            var group: [String: Int64] = [:]
            try await collection.add(
                ids: (0..<2000).map { "r\($0)" }, embeddings: Array(vectors[0..<2000]),
                metadatas: (0..<2000).map { ["group": .int(Int64($0 % 10))] })
            for i in 0..<2000 { (current["r\(i)"], group["r\(i)"]) = (vectors[i], Int64(i % 10)) }
            try await Self.waitForTailIndex(collection)

            // The first version is published from the tail's graph; meanwhile the tail takes new records and
            // changes some of the version's. It is installed, and the run folding the rest is held.
            hooks.hold(.compactionPublished)
            let compaction = Task { try await collection.compact() }
            await hooks.waitForArrivals(at: .compactionPublished, count: 1)
            try await collection.add(
                ids: (2000..<3000).map { "r\($0)" }, embeddings: Array(vectors[2000..<3000]),
                metadatas: (2000..<3000).map { ["group": .int(Int64($0 % 10))] })
            for i in 2000..<3000 { (current["r\(i)"], group["r\(i)"]) = (vectors[i], Int64(i % 10)) }
            let moved = Self.vectors(50, seed: 22).map { $0.map { $0 + 5 } }
            try await collection.update(ids: (0..<50).map { "r\($0)" }, embeddings: moved)
            for i in 0..<50 { current["r\(i)"] = moved[i] }
            try await collection.delete(ids: (50..<100).map { "r\($0)" })
            for i in 50..<100 { (current["r\(i)"], group["r\(i)"]) = (nil, nil) }
            try await collection.update(
                ids: (100..<150).map { "r\($0)" }, metadatas: (100..<150).map { _ in ["group": .int(3)] })
            for i in 100..<150 { group["r\(i)"] = 3 }
            try await Self.waitForTailIndex(collection)
            hooks.release(.compactionPublished)
            hooks.hold(.compactionPublished)
            await hooks.waitForArrivals(at: .compactionPublished, count: 2)

            let state = try await collection.runtime.current(parameters: collection.configuration.hnsw)
            let coverage = state.tail.coverage
            try #require(coverage != nil, "the version was published from the tail's graph")
            #expect(coverage?.versionSlots.count == state.snapshot.live.count)
            #expect(try await collection.count() == current.count)
            for (name, filter, wanted) in [
                ("unfiltered", Where?.none, { (_: String) in true }),
                ("group 3", .field("group", .eq(.int(3))), { group[$0] == 3 }),
            ] {
                var agreed = 0
                var asked = 0
                for i in stride(from: 0, to: 3000, by: 37) {
                    let result = try await collection.query(queryEmbeddings: [vectors[i]], nResults: 10, where: filter)
                    #expect(!result.ids[0].contains { current[$0] == nil }, "\(name): a deleted record came back")
                    #expect(Set(result.ids[0]).count == result.ids[0].count, "\(name): a record twice")
                    #expect(result.ids[0].allSatisfy(wanted), "\(name): a record outside the filter")
                    if current["r\(i)"] == vectors[i], wanted("r\(i)") {
                        #expect(result.ids[0].first == "r\(i)", "\(name)")
                    }
                    let expected = Self.exact(vectors[i], current.filter { wanted($0.key) }, k: 10)
                    agreed += Set(result.ids[0]).intersection(expected).count
                    asked += 10
                }
                #expect(Double(agreed) / Double(asked) >= 0.95, "\(name): \(agreed) of \(asked)")
            }
            for i in stride(from: 0, to: 50, by: 7) {
                #expect(try await collection.query(queryEmbeddings: [moved[i]], nResults: 1).ids[0] == ["r\(i)"])
                let old = try await collection.query(queryEmbeddings: [vectors[i]], nResults: 10)
                #expect(old.distances?[0].first != 0, "a moved record's old vector is not found")
            }
            hooks.release(.compactionPublished)
            _ = try await compaction.value
        }
    }

    /// Each live record's own vector finds it first, deleted ones never come back, top-10 agrees with exact search.
    func checkAnswers(_ collection: Collection, _ current: [String: [Float]], probes: [[Float]], moved: [[Float]])
        async throws
    {
        #expect(try await collection.count() == current.count)
        var agreed = 0
        var asked = 0
        for i in stride(from: 0, to: probes.count, by: 25) {
            let result = try await collection.query(queryEmbeddings: [probes[i]], nResults: 10)
            let id = "r\(i)"
            if current[id] == probes[i] { #expect(result.ids[0].first == id) }
            #expect(!result.ids[0].contains { current[$0] == nil })
            agreed += Set(result.ids[0]).intersection(Self.exact(probes[i], current, k: 10)).count
            asked += 10
        }
        #expect(Double(agreed) / Double(asked) >= 0.95)
        for i in stride(from: 0, to: 100, by: 10) where current["r\(i)"] == moved[i] {
            #expect(try await collection.query(queryEmbeddings: [moved[i]], nResults: 1).ids[0] == ["r\(i)"])
        }
        let group42 = try await collection.get(where: .field("group", .eq(.int(42))))
        #expect(Set(group42.ids) == Set((150..<200).map { "r\($0)" }))
    }

    /// A tail's slots live in chunks that start small and double (a collection with a few fresh records holds
    /// kilobytes, not a whole chunk of megabytes), and every slot is found where it was written.
    @Test func tailSlotsGrowInDoublingChunks() {
        #expect(TailSlots.capacity(ofChunk: 0) == 64)
        #expect(TailSlots.capacity(ofChunk: 6) == 4096)
        #expect(TailSlots.capacity(ofChunk: 9) == 4096)
        var expected: (chunk: Int, position: Int) = (0, 0)
        for slot in 0..<20_000 {
            #expect(TailSlots.locate(slot) == expected, "slot \(slot)")
            expected.position += 1
            if expected.position == TailSlots.capacity(ofChunk: expected.chunk) { expected = (expected.chunk + 1, 0) }
        }
        let slots = TailSlots(dimension: 2)
        for i in 0..<300 {
            let record = DataRecord(id: "r\(i)", embedding: [Float(i), -Float(i)], metadataJSON: nil, document: nil)
            #expect(slots.append(TailRecord(record: record, metadata: nil, offsetID: nil, createdAt: nil)) == UInt32(i))
        }
        #expect(slots[299].record.id == "r299")
        #expect(
            slots.vectors([0, 63, 64, 191, 192, 299]) == [0, 0, 63, -63, 64, -64, 191, -191, 192, -192, 299, -299])
    }

    /// Past `tailIndexMaxVectors` the rest of the tail is compared exactly: nothing is missed.
    @Test func recordsBeyondTheTailIndexBoundAreComparedExactly() async throws {
        try await withCollection(maxVectors: 1000) { collection in
            let vectors = Self.vectors(2500, seed: 11)
            try await collection.add(ids: (0..<2500).map { "r\($0)" }, embeddings: vectors)
            try await Self.waitForTailIndex(collection, upTo: 1000)
            #expect(await collection.runtime.tailIndexProgress().indexed == 1000)
            for i in [0, 999, 1000, 1700, 2499] {
                let result = try await collection.query(queryEmbeddings: [vectors[i]], nResults: 1)
                #expect(result.ids[0] == ["r\(i)"])
            }
        }
    }

    /// A large unindexed tail (the index off here; right after a bulk load it has not caught up) is compared by
    /// its int8 codes first and its best rows exactly: the answers are an exact search's, with exact distances,
    /// updates and deletes included.
    @Test func aLargeUnindexedTailIsSearchedExactly() async throws {
        try await withCollection(maxVectors: 0) { collection in
            let vectors = Self.vectors(6000, seed: 13)
            try await collection.add(ids: (0..<6000).map { "r\($0)" }, embeddings: vectors)
            try await collection.delete(ids: (0..<6000).filter { $0 % 7 == 0 }.map { "r\($0)" })
            var current: [String: [Float]] = [:]
            for i in 0..<6000 where i % 7 != 0 { current["r\(i)"] = vectors[i] }
            #expect(await collection.runtime.tailIndexProgress().indexed == 0)
            for i in stride(from: 1, to: 6000, by: 250) {
                let query = vectors[(i * 31) % 6000].map { $0 * 0.9 }
                let result = try await collection.query(
                    queryEmbeddings: [query], nResults: 10, include: Include(.distances))
                let expected = Self.exact(query, current, k: 10)
                #expect(result.ids[0] == expected)
                let distance = zip(query, current[expected[0]]!).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                #expect(abs(result.distances![0][0] - distance) < 1e-4)
            }
        }
    }

    /// Filter matches are kept per filter and extended to new records only: a write after a filtered query is
    /// matched by the next one, and a record updated out of the filter leaves it.
    @Test func aSmallTailIsComparedExactlyWithoutAnIndex() async throws {
        // A node with many small tenants must not hold an hnswlib index (2.5 MiB fixed) per written collection.
        var options = Self.options()
        options.tailIndexMinVectors = 300
        try await TemporaryDirectory.with { folder in
            let collection = try await Client.open(folder.path, options: options).createCollection("small")
            let vectors = Self.vectors(400, seed: 9)
            try await collection.add(ids: (0..<299).map { "r\($0)" }, embeddings: Array(vectors[0..<299]))
            var current: [String: [Float]] = [:]
            for i in 0..<299 { current["r\(i)"] = vectors[i] }
            let small = try await collection.query(queryEmbeddings: [vectors[350]], nResults: 10)
            #expect(small.ids[0] == Self.exact(vectors[350], current, k: 10), "exact without an index")
            #expect(await collection.runtime.currentTailIndex == nil)
            // The record that reaches the minimum starts the index, which then takes every slot.
            try await collection.add(ids: ["r299"], embeddings: [vectors[299]])
            current["r299"] = vectors[299]
            try await Self.waitForTailIndex(collection)
            #expect(await collection.runtime.tailIndexProgress() == (indexed: 300, slots: 300))
            let indexed = try await collection.query(queryEmbeddings: [vectors[350]], nResults: 10)
            #expect(Set(indexed.ids[0]).intersection(Self.exact(vectors[350], current, k: 10)).count >= 9)
        }
    }

    @Test func keptFilterMatchesFollowNewWrites() async throws {
        try await withCollection { collection in try await checkKeptFilters(collection) }
    }

    func checkKeptFilters(_ collection: Collection) async throws {
        let vectors = Self.vectors(400, seed: 5)
        try await collection.add(
            ids: (0..<200).map { "r\($0)" }, embeddings: Array(vectors[0..<200]),
            metadatas: (0..<200).map { ["even": .bool($0 % 2 == 0)] })
        let filter = Where.field("even", .eq(.bool(true)))
        #expect(try await collection.get(where: filter).ids.count == 100)
        try await collection.add(
            ids: (200..<400).map { "r\($0)" }, embeddings: Array(vectors[200..<400]),
            metadatas: (200..<400).map { ["even": .bool($0 % 2 == 0)] })
        #expect(try await collection.get(where: filter).ids.count == 200)
        try await collection.update(ids: ["r0", "r2"], metadatas: [["even": .bool(false)], ["even": .bool(false)]])
        let matched = try await collection.get(where: filter).ids
        #expect(matched.count == 198)
        #expect(!matched.contains("r0") && !matched.contains("r2"))
        #expect(matched == (4..<400).filter { $0 % 2 == 0 }.map { "r\($0)" })
        let nearest = try await collection.query(queryEmbeddings: [vectors[0]], nResults: 5, where: filter)
        #expect(!nearest.ids[0].contains("r0"))
    }
}

/// Lines a log callback received, in order.
final class LockedLines: Sendable {
    private let state = Mutex<[String]>([])
    func append(_ line: String) { state.withLock { $0.append(line) } }
    var lines: [String] { state.withLock { $0 } }
}
