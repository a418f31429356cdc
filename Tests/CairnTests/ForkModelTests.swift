import Foundation
import ObjectStore
import StorageTesting
import Testing

@testable import Cairn

// The model test of issue 20: random writes, compactions, forks of the current state and of kept versions,
// restores, deletes of parents and of forks, and garbage collection in between. Every collection answers as the
// model says; every kept version of every collection reads exactly as it was published; the store checks clean.
@Suite struct ForkModelTests {
    typealias Records = [String: String]

    struct Tracked {
        var collection: Collection
        /// What the collection holds now (its versions plus its log).
        var live: Records = [:]
        /// What each version published by a compaction, a fork or a restore holds (other versions — renames,
        /// metadata — hold what the version before held).
        var versions: [UInt64: Records] = [:]

        /// What kept version `version` must hold.
        func expected(at version: UInt64) -> Records? {
            versions.filter { $0.key <= version }.max { $0.key < $1.key }?.value
        }
    }

    static func vector(_ seed: Int) -> [Float] {
        var random = SplitMix64(seed: UInt64(seed) &* 31 &+ 5)
        return (0..<8).map { _ in Float.random(in: -1...1, using: &random) }
    }

    static func entry(_ document: String, _ seed: Int) -> String { "\(document)|\(vector(seed))|{}" }

    static func current(_ collection: Collection) async throws -> UInt64 {
        try #require(try await collection.versions().last { $0.isCurrent }).version
    }

    @Test func forksVersionsAndGarbageCollectionFollowTheModel() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: .manualMaintenance)
            var random = SplitMix64(seed: 2020)
            var collections: [String: Tracked] = [:]
            let first = try await client.createCollection("col0")
            collections["col0"] = Tracked(collection: first, versions: [1: [:]])
            var nextName = 1
            var nextSeed = 1

            func verify(_ step: Int) async throws {
                for (name, tracked) in collections.sorted(by: { $0.key < $1.key }) {
                    #expect(
                        try await RecordContents.of(tracked.collection) == tracked.live, "step \(step): \(name) now")
                    for version in try await tracked.collection.versions() {
                        guard let expected = tracked.expected(at: version.version) else {
                            Issue.record("step \(step): \(name) keeps version \(version.version) the model lacks")
                            continue
                        }
                        let read = try await RecordContents.of(tracked.collection, asOf: .version(version.version))
                        #expect(read == expected, "step \(step): \(name) as of version \(version.version)")
                        #expect(version.recordCount == expected.count, "step \(step): \(name) v\(version.version)")
                    }
                }
                let report = try await client.check()
                #expect(report.isClean, "step \(step): \(report.problems)")
            }

            for step in 0..<120 {
                let names = collections.keys.sorted()
                let name = names[Int.random(in: 0..<names.count, using: &random)]
                var tracked = collections[name]!
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<40:  // a few writes
                    for _ in 0..<Int.random(in: 1...6, using: &random) {
                        let existing = tracked.live.keys.sorted()
                        nextSeed += 1
                        if existing.isEmpty || Int.random(in: 0..<3, using: &random) > 0 {
                            let id = "r\(nextSeed)"
                            try await tracked.collection.add(
                                ids: [id], embeddings: [Self.vector(nextSeed)], documents: ["\(name) \(nextSeed)"])
                            tracked.live[id] = Self.entry("\(name) \(nextSeed)", nextSeed)
                        } else if Bool.random(using: &random) {
                            let id = existing[Int.random(in: 0..<existing.count, using: &random)]
                            try await tracked.collection.update(
                                ids: [id], embeddings: [Self.vector(nextSeed)], documents: ["updated \(nextSeed)"])
                            tracked.live[id] = Self.entry("updated \(nextSeed)", nextSeed)
                        } else {
                            let id = existing[Int.random(in: 0..<existing.count, using: &random)]
                            try await tracked.collection.delete(ids: [id])
                            tracked.live[id] = nil
                        }
                    }
                    collections[name] = tracked
                case 40..<60:  // compaction
                    try await tracked.collection.compact()
                    tracked.versions[try await Self.current(tracked.collection)] = tracked.live
                    collections[name] = tracked
                case 60..<78:  // a fork, of the current state or of a kept version
                    let forkName = "col\(nextName)"
                    nextName += 1
                    let kept = try await tracked.collection.versions()
                    let fork: Collection
                    var forked = Tracked(collection: first)
                    if Bool.random(using: &random), let version = kept.randomElement(using: &random) {
                        fork = try await tracked.collection.fork(forkName, asOf: .version(version.version))
                        forked.live = tracked.expected(at: version.version) ?? [:]
                        forked.versions = [1: forked.live]
                    } else {
                        fork = try await tracked.collection.fork(forkName)
                        forked.live = tracked.live
                        // Its first version holds the parent's current version; the parent's log is copied.
                        forked.versions = [1: tracked.expected(at: try await Self.current(tracked.collection)) ?? [:]]
                    }
                    forked.collection = fork
                    collections[forkName] = forked
                case 78..<86:  // a restore of a kept version
                    let kept = try await tracked.collection.versions()
                    guard let version = kept.randomElement(using: &random) else { continue }
                    let restored = try await tracked.collection.restore(version: version.version)
                    tracked.live = tracked.expected(at: version.version) ?? [:]
                    tracked.versions[restored.version] = tracked.live
                    collections[name] = tracked
                case 86..<93:  // delete a collection (a parent or a fork), keeping at least one
                    guard collections.count > 1 else { continue }
                    try await client.deleteCollection(name)
                    collections[name] = nil
                default:  // garbage collection
                    let keep = Int.random(in: 1...3, using: &random)
                    let report = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: keep, minAge: 0))
                    #expect(report.failures.isEmpty && report.skipped.isEmpty, "step \(step): \(report)")
                    try await verify(step)
                }
            }
            _ = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
            try await verify(120)
            for name in collections.keys { try await client.deleteCollection(name) }
            _ = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
            _ = try await client.collectGarbage(GarbageCollectionPolicy(keepVersions: 1, minAge: 0))
            let left = try await LocalFileStore(root: folder).listAll(prefix: "tenant/").map(\.key)
                .filter { $0.contains("/collection/") }
            #expect(left.isEmpty, "left behind: \(left.sorted())")
        }
    }
}
