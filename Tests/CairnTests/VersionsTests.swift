import Foundation
import StorageTesting
import Testing

@testable import Cairn

// A collection's kept versions (issue 20, decision 0021): listed with their counts, read exactly as they were, and
// made current again by a restore that rewrites no history.
@Suite struct VersionsTests {
    struct Model: Equatable {
        var records: [String: (vector: [Float], document: String)] = [:]
        static func == (a: Model, b: Model) -> Bool {
            a.records.keys == b.records.keys && a.records.allSatisfy { b.records[$0.key]! == $0.value }
        }
    }

    static func vector(_ seed: Int) -> [Float] {
        var random = SplitMix64(seed: UInt64(seed))
        return (0..<8).map { _ in Float.random(in: -1...1, using: &random) }
    }

    /// Random writes and compactions; every version read as of it answers as the model did when it was
    /// published (get, count, query), and the list names each with its count.
    @Test func everyKeptVersionReadsAsItWas() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: .manualMaintenance)
            let collection = try await client.createCollection("history")
            var model = Model()
            var atVersion: [UInt64: Model] = [:]
            var random = SplitMix64(seed: 20)
            var next = 0
            var updates = 0  // each update a vector of its own: equal vectors would tie in queries
            for round in 0..<6 {
                for _ in 0..<40 {
                    let pick = Int.random(in: 0..<10, using: &random)
                    if pick < 6 || model.records.isEmpty {
                        let id = "r\(next)"
                        next += 1
                        model.records[id] = (Self.vector(next), "doc \(id) round \(round)")
                        try await collection.add(
                            ids: [id], embeddings: [model.records[id]!.vector],
                            documents: [model.records[id]!.document])
                    } else if pick < 8 {
                        let id = model.records.keys.sorted()[Int.random(in: 0..<model.records.count, using: &random)]
                        updates += 1
                        model.records[id] = (Self.vector(100_000 + updates), "updated \(id) round \(round)")
                        try await collection.update(
                            ids: [id], embeddings: [model.records[id]!.vector],
                            documents: [model.records[id]!.document])
                    } else {
                        let id = model.records.keys.sorted()[Int.random(in: 0..<model.records.count, using: &random)]
                        model.records[id] = nil
                        try await collection.delete(ids: [id])
                    }
                }
                try await collection.compact()
                let current = try #require(try await collection.versions().last)
                #expect(current.isCurrent)
                atVersion[current.version] = model
            }
            // Writes after the last compaction belong to no version.
            try await collection.add(ids: ["late"], embeddings: [Self.vector(9999)], documents: ["late"])

            let versions = try await collection.versions()
            #expect(versions.map(\.version) == versions.map(\.version).sorted())
            #expect(versions.filter(\.isCurrent).count == 1)
            for (version, expected) in atVersion {
                let listed = try #require(versions.first { $0.version == version })
                #expect(listed.recordCount == expected.records.count)
                #expect(try await collection.count(asOf: .version(version)) == expected.records.count)
                let got = try await collection.get(include: Include(.documents, .embeddings), asOf: .version(version))
                var read = Model()
                for (index, id) in got.ids.enumerated() {
                    read.records[id] = (got.embeddings![index]!, got.documents![index]!)
                }
                #expect(read == expected, "version \(version)")
                if let (id, record) = expected.records.first {
                    let found = try await collection.query(
                        queryEmbeddings: [record.vector], nResults: 1, asOf: .version(version))
                    #expect(found.ids[0] == [id])
                }
                // A time just after the version was published reads the same version.
                #expect(
                    try await collection.count(asOf: .time(listed.createdAt)) == expected.records.count)
            }
            #expect(try await collection.count() == model.records.count + 1)
        }
    }

    @Test func aVersionThatIsNotKeptIsRefusedByName() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: .manualMaintenance)
            let collection = try await client.createCollection("history")
            try await collection.add(ids: ["a"], embeddings: [Self.vector(1)])
            try await collection.compact()
            do {
                _ = try await collection.get(asOf: .version(99))
                Issue.record("version 99 was read")
            } catch let error as CairnError {
                #expect(error.code == .notFound)
                #expect(error.message.contains("does not keep version 99"))
            }
            do {
                _ = try await collection.count(asOf: .time(Date(timeIntervalSince1970: 0)))
                Issue.record("a time before the collection was read")
            } catch let error as CairnError {
                #expect(error.code == .notFound)
            }
        }
    }

    /// A restore publishes the old version's segments as a new version: uncompacted writes made before it are left
    /// behind, writes after it apply on top, later compactions build on it, and it survives a reopen.
    @Test func restoreMakesAnOldVersionCurrentAgain() async throws {
        try await TemporaryDirectory.with { folder in
            var restoredVersion: UInt64 = 0
            do {
                let client = try await Client.open(folder.path, options: .manualMaintenance)
                let collection = try await client.createCollection("history")
                try await collection.add(ids: ["a", "b"], embeddings: [Self.vector(1), Self.vector(2)])
                try await collection.compact()
                let first = try #require(try await collection.versions().last).version
                try await collection.delete(ids: ["a"])
                try await collection.add(ids: ["c"], embeddings: [Self.vector(3)])
                try await collection.compact()
                try await collection.add(ids: ["d"], embeddings: [Self.vector(4)])  // in the log only

                let restored = try await collection.restore(version: first)
                restoredVersion = restored.version
                #expect(restored.isCurrent && restored.recordCount == 2)
                #expect(try await collection.get().ids == ["a", "b"])
                #expect(try await collection.get(asOf: .version(first + 1)).ids == ["b", "c"], "history is kept")

                try await collection.add(ids: ["e"], embeddings: [Self.vector(5)])
                #expect(try await collection.get().ids == ["a", "b", "e"])
                let found = try await collection.query(queryEmbeddings: [Self.vector(5)], nResults: 1)
                #expect(found.ids[0] == ["e"])
                try await collection.compact()
                #expect(try await collection.get().ids == ["a", "b", "e"])
            }
            let reopened = try await Client.open(folder.path, options: .manualMaintenance)
            let collection = try await reopened.getCollection("history")
            #expect(try await collection.get().ids == ["a", "b", "e"])
            #expect(try await collection.versions().contains { $0.version == restoredVersion && $0.recordCount == 2 })
        }
    }
}

extension VersionsTests {
    /// A garbage collection that deleted the restored version's manifest before the restore committed may be
    /// deleting its files: the restore puts the version before it back and says so.
    @Test func aRestoreRacingGarbageCollectionLeavesTheCollectionAsItWas() async throws {
        try await TemporaryDirectory.with { folder in
            let hooks = RuntimeHooks()
            var options = Client.Options.manualMaintenance
            options.runtimeHooks = hooks
            let client = try await Client.open(folder.path, options: options)
            let collection = try await client.createCollection("history")
            try await collection.add(ids: ["a"], embeddings: [Self.vector(1)])
            try await collection.compact()
            let first = try #require(try await collection.versions().last).version
            try await collection.add(ids: ["b"], embeddings: [Self.vector(2)])
            try await collection.compact()
            try await collection.add(ids: ["c"], embeddings: [Self.vector(3)])  // in the log only

            hooks.hold(.restoreCommitted)
            let restore = Task { try await collection.restore(version: first) }
            await hooks.waitForArrivals(at: .restoreCommitted, count: 1)
            let manifest = collection.context.catalog.manifests.key(
                tenant: collection.tenant, database: collection.database, collectionID: collection.id,
                version: first)
            try await collection.context.store.delete(manifest)
            hooks.release(.restoreCommitted)
            await #expect(throws: CairnError.self) { try await restore.value }
            #expect(try await collection.get().ids == ["a", "b", "c"])
        }
    }
}

extension VersionsTests {
    /// `keepFor` keeps replaced versions readable for that long on top of the newest `keepVersions`; without it
    /// they go, and a read as of one is refused by name. The store checks clean either way.
    @Test func retentionKeepsReplacedVersionsForKeepFor() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: .manualMaintenance)
            let collection = try await client.createCollection("history")
            for round in 0..<3 {
                try await collection.add(ids: ["r\(round)"], embeddings: [Self.vector(round)])
                try await collection.compact()
            }
            let before = try await collection.versions()
            #expect(before.count >= 4)
            _ = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0, keepFor: 3600))
            #expect(try await collection.versions() == before)
            let oldest = try #require(before.first { $0.recordCount == 1 })
            #expect(try await collection.count(asOf: .version(oldest.version)) == 1)

            _ = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
            #expect(try await collection.versions().map(\.version) == [before.last!.version])
            await #expect(throws: CairnError.self) { try await collection.count(asOf: .version(oldest.version)) }
            #expect(try await collection.count() == 3)
            #expect(try await client.check().isClean)
        }
    }
}
