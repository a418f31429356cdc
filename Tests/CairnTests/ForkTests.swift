import Foundation
import ObjectStore
import StorageTesting
import Testing

@testable import Cairn

// Forks (issue 20, decision 0021): a fork holds what its parent held, costs no copy of the parent's files, and the
// two diverge freely; garbage collection keeps a file while any descendant names it, whichever is deleted first.
@Suite struct ForkTests {
    static func vector(_ seed: Int) -> [Float] {
        var random = SplitMix64(seed: UInt64(seed) &+ 7)
        return (0..<8).map { _ in Float.random(in: -1...1, using: &random) }
    }

    static func add(_ collection: Collection, _ range: Range<Int>, _ tag: String) async throws {
        try await collection.add(
            ids: range.map { "r\($0)" }, embeddings: range.map(vector), documents: range.map { "\(tag) \($0)" })
    }

    /// A client on a fresh folder with a collection "parent" holding records `range` (tagged `tag`), compacted.
    static func withCompactedParent(
        _ range: Range<Int>, _ tag: String, _ body: (URL, Client, Collection) async throws -> Void
    ) async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: .manualMaintenance)
            let parent = try await client.createCollection("parent")
            try await add(parent, range, tag)
            try await parent.compact()
            try await body(folder, client, parent)
        }
    }

    @Test func aForkHoldsItsParentAndTheyDivergeFreely() async throws {
        try await Self.withCompactedParent(0..<300, "first") { folder, client, parent in
            try await Self.add(parent, 300..<350, "tail")  // in the log only: the fork takes it too
            try await parent.delete(ids: ["r5"])

            let before = try await MaintenanceTests.keys(folder)
            let child = try await parent.fork("child")
            let written = try await MaintenanceTests.keys(folder).subtracting(before)
            #expect(
                written.allSatisfy { key in
                    !key.contains("/block/") && !key.contains("/root/") && !key.contains("/hnsw/")
                }, "a fork copies no block, root or index: \(written.sorted())")
            #expect(try await RecordContents.of(child) == RecordContents.of(parent))
            #expect(try await child.count() == 349)
            let near = try await child.query(queryEmbeddings: [Self.vector(42)], nResults: 1)
            #expect(near.ids[0] == ["r42"])

            // Diverging writes, compactions, deletes and a rename of one never show in the other.
            try await Self.add(parent, 1000..<1010, "parent only")
            try await child.update(ids: ["r1"], documents: ["child's r1"])
            try await child.delete(ids: ["r2"])
            try await Self.add(child, 2000..<2010, "child only")
            try await child.compact()
            try await parent.compact()
            try await parent.modify(name: "renamed")
            let parentNow = try await RecordContents.of(parent)
            let childNow = try await RecordContents.of(child)
            #expect(parentNow["r1000"] != nil && childNow["r1000"] == nil)
            #expect(childNow["r2000"] != nil && parentNow["r2000"] == nil)
            #expect(parentNow["r2"] != nil && childNow["r2"] == nil)
            #expect(childNow["r1"]?.hasPrefix("child's r1") == true && parentNow["r1"]?.hasPrefix("first 1") == true)
            #expect(try await client.getCollection("child").name == "child")

            // A fork of a fork; fork counts cover the family.
            let grandchild = try await child.fork("grandchild")
            #expect(try await RecordContents.of(grandchild) == childNow)
            #expect(try await parent.forkCount() == 2)
            #expect(try await grandchild.forkCount() == 2)
            try await Self.add(grandchild, 3000..<3005, "grandchild only")
            try await grandchild.compact()
            #expect(try await RecordContents.of(child) == childNow)
            #expect(try await client.check().isClean)

            // Reopened from the folder alone, everything reads the same.
            let reopened = try await Client.open(folder.path, options: .manualMaintenance)
            #expect(try await RecordContents.of(try await reopened.getCollection("child")) == childNow)
        }
    }

    @Test func aForkOfAnOldVersionHoldsThatVersion() async throws {
        try await Self.withCompactedParent(0..<50, "v") { folder, client, parent in
            let version = try #require(try await parent.versions().last).version
            let then = try await RecordContents.of(parent)
            try await parent.delete(ids: (0..<25).map { "r\($0)" })
            try await parent.compact()
            try await Self.add(parent, 50..<60, "later")  // log only, not in any version
            let restored = try await parent.fork("restored", asOf: .version(version))
            #expect(try await RecordContents.of(restored) == then)
            try await Self.add(restored, 100..<101, "new")
            #expect(try await restored.count() == 51)
            #expect(try await parent.count() == 35)
            do {
                _ = try await parent.fork("restored")
                Issue.record("a fork took a name that is taken")
            } catch let error as CairnError {
                #expect(error.code == .alreadyExists)
            }
        }
    }

    /// Garbage collection keeps what a fork names after its parent is deleted, and takes everything once both are.
    @Test(arguments: [true, false])
    func garbageCollectionFollowsReferencesAcrossCollections(parentFirst: Bool) async throws {
        try await Self.withCompactedParent(0..<200, "p") { folder, client, parent in
            let child = try await parent.fork("child")
            try await Self.add(child, 500..<510, "c")
            try await child.compact()
            try await Self.add(parent, 600..<610, "p2")
            try await parent.compact()
            let childContents = try await RecordContents.of(child)
            let parentContents = try await RecordContents.of(parent)

            let (first, second) = parentFirst ? ("parent", "child") : ("child", "parent")
            try await client.deleteCollection(first)
            _ = try await client.collectGarbage(MaintenanceTests.collectAll)
            let check = try await client.check()
            #expect(check.isClean, "\(check.problems)")
            let survivor = try await client.getCollection(second)
            #expect(try await RecordContents.of(survivor) == (parentFirst ? childContents : parentContents))
            let found = try await survivor.query(queryEmbeddings: [Self.vector(17)], nResults: 1)
            #expect(found.ids[0] == ["r17"])
            try await survivor.compact()
            _ = try await client.collectGarbage(MaintenanceTests.collectAll)
            #expect(try await RecordContents.of(survivor) == (parentFirst ? childContents : parentContents))

            try await client.deleteCollection(second)
            _ = try await client.collectGarbage(MaintenanceTests.collectAll)
            _ = try await client.collectGarbage(MaintenanceTests.collectAll)  // a fork's markers go once its folder has
            let left = try await MaintenanceTests.keys(folder).filter { $0.contains("/collection/") }
            #expect(left.isEmpty, "left behind: \(left.sorted())")
        }
    }

    /// A deleted fork's folder may outlive the parent's files it named (garbage collection of the parent ran, and
    /// the process died before the fork's folder went): `check` does not hold a deleted collection's versions to
    /// files that are garbage (found by the S3 kill -9 crash test).
    @Test func checkAcceptsADeletedForkWhoseParentFilesWentFirst() async throws {
        try await Self.withCompactedParent(0..<200, "p") { folder, client, parent in
            let child = try await parent.fork("child")
            try await client.deleteCollection("child")
            try await Self.add(parent, 0..<50, "p2")  // new files for the parent; the old ones only the fork names
            try await parent.compact()
            let versions = folder.appendingPathComponent(
                "tenant/default_tenant/database/default_database/collection/\(child.id)/version")
            let kept = try FileManager.default.contentsOfDirectory(atPath: versions.path).map { name in
                (name, try Data(contentsOf: versions.appendingPathComponent(name)))
            }
            #expect(kept.count == 2, "the fork's version and its tombstone")
            _ = try await client.collectGarbage(MaintenanceTests.collectAll)
            // The fork's folder as a process killed right after the parent's collection leaves it.
            try FileManager.default.createDirectory(at: versions, withIntermediateDirectories: true)
            for (name, data) in kept { try data.write(to: versions.appendingPathComponent(name)) }
            let check = try await client.check()
            #expect(check.isClean, "\(check.problems)")
            _ = try await client.collectGarbage(MaintenanceTests.collectAll)
            #expect(try await client.check().isClean)
            #expect(!FileManager.default.fileExists(atPath: versions.path), "the next collection takes the folder")
        }
    }
}
