import Foundation
import StorageTesting
import Testing

// A node whose writers outpace its compactions holds every uncompacted write in memory (its collection's log tail):
// past `maxBacklogBytes` a write waits for compaction, and is refused — changing nothing — if it does not catch up
// within `backlogWait` (what a user sees as a RateLimitError to retry; issue 22, many tenants on one node).
@testable import Cairn

@Suite struct BacklogTests {
    static func embedding(_ i: Int) -> [Float] { [Float(i), 1, Float(i % 7)] }

    static func options(hooks: RuntimeHooks, wait: Duration) -> Client.Options {
        var options = Client.Options()
        options.compactionThreshold = 100
        options.compactionMaxAge = nil
        options.compactionQuietPeriod = nil
        options.garbageCollectionInterval = nil
        options.maxBacklogBytes = 1  // any write not compacted yet fills it
        options.backlogWait = wait
        options.runtimeHooks = hooks
        return options
    }

    /// A collection whose first 150 records (past the threshold) are being compacted, the compaction held after
    /// it published: the backlog stays full until `hooks` releases it.
    static func withHeldCompaction(
        wait: Duration, _ body: (Client, Collection, RuntimeHooks) async throws -> Void
    ) async throws {
        let hooks = RuntimeHooks()
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: options(hooks: hooks, wait: wait))
            let collection = try await client.createCollection("backlog")
            hooks.hold(.compactionPublished)
            // Nothing waits yet: this write is let through, and starts a compaction (past the threshold).
            try await collection.add(ids: (0..<150).map { "a\($0)" }, embeddings: (0..<150).map(Self.embedding))
            await hooks.waitForArrivals(at: .compactionPublished, count: 1)
            #expect(client.context.maintenance.backlogBytes > 1)
            defer { hooks.release(.compactionPublished) }  // the client's close waits for its compaction
            try await body(client, collection, hooks)
        }
    }

    @Test func aWriteIsRefusedCleanlyWhenCompactionDoesNotCatchUp() async throws {
        try await Self.withHeldCompaction(wait: .milliseconds(200)) { _, collection, _ in
            do {
                try await collection.add(ids: ["refused"], embeddings: [Self.embedding(1)])
                Issue.record("a write past the backlog limit went through while compaction could not catch up")
            } catch let error as CairnError {
                #expect(error.code == .overloaded, "\(error)")
                #expect(error.message.contains("backlog is full"), "\(error)")
            }
            #expect(try await collection.count() == 150)
            #expect(try await collection.get(ids: ["refused"]).ids.isEmpty, "the refused write changed nothing")
        }
    }

    @Test func aWriteWaitsForCompactionPastTheBacklogLimit() async throws {
        try await Self.withHeldCompaction(wait: .seconds(120)) { client, collection, hooks in
            let late = Task { try await collection.add(ids: ["late"], embeddings: [Self.embedding(2)]) }
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await collection.get(ids: ["late"]).ids.isEmpty, "the write waits while the backlog is full")
            hooks.release(.compactionPublished)
            try await late.value
            #expect(try await collection.count() == 151)
            #expect(client.context.maintenance.backlogBytes < 1_000)
        }
    }

    @Test func withoutBackgroundCompactionWritesAreNeverHeldBack() async throws {
        var options = Client.Options()
        options.compactionThreshold = nil  // nothing would drain the backlog: no bound
        options.maxBacklogBytes = 1
        options.garbageCollectionInterval = nil
        try await TemporaryDirectory.with { folder in
            let collection = try await Client.open(folder.path, options: options).createCollection("unbounded")
            for batch in 0..<3 {
                try await collection.add(
                    ids: (0..<50).map { "b\(batch)-\($0)" }, embeddings: (0..<50).map(Self.embedding))
            }
            #expect(try await collection.count() == 150)
        }
    }
}
