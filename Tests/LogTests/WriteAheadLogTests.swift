// The write-ahead log: fragments round-trip, concurrent appends share fragments and lose nothing, two writers
// never own one offset, appends racing a compaction land above it, and bad fragments are refused.
import Foundation
import Log
import ObjectStore
import StorageTesting
import Synchronization
import Testing

@Suite struct WriteAheadLogTests {
    let path = ObjectPath().collection(tenant: "t", database: "d", collectionID: "c")

    func record(_ i: Int, _ operation: LogOperation = .add) -> LogRecord {
        LogRecord(
            operation, id: "id-\(i)", embedding: operation == .delete ? nil : [Float(i), 0.5, -1],
            metadataJSON: i % 3 == 0 ? nil : "{\"n\":\(i),\"s\":\"é😀\"}", document: i % 2 == 0 ? "doc \(i)" : nil)
    }

    /// Every record in the log, in order.
    func allRecords(_ log: WriteAheadLog, after: UInt64 = 0) async throws -> [LogRecord] {
        try await log.read(after: after, limit: 100_000).flatMap(\.records)
    }

    @Test func fragmentsRoundTripEveryOperationAndField() async throws {
        let store = InMemoryStore()
        let log = WriteAheadLog(store: store, path: path)
        let records =
            LogOperation.allCases.enumerated().map { record($0.offset, $0.element) } + [
                LogRecord(.update, id: "u", embedding: nil, metadataJSON: "{\"gone\":null}", document: nil)
            ]
        let offset = try await log.append(records)
        #expect(offset == 1)
        let fragment = try #require(try await log.fragment(at: 1))
        #expect(fragment.records == records)
        #expect(fragment.writerID == log.writerID)
        #expect(try await log.fragment(at: 2) == nil)
    }

    /// A writer remembers what it wrote lately (its process's readers take it in without the store), in offset
    /// order from where they ask, and forgets it once a version holds it.
    @Test func recentFragmentsAreServedFromMemory() async throws {
        let store = InMemoryStore()
        let log = WriteAheadLog(store: store, path: path)
        for i in 0..<3 { _ = try await log.append([record(i)]) }
        #expect(log.recentFragments(after: 0).map(\.offset) == [1, 2, 3])
        #expect(log.recentFragments(after: 2).map(\.records) == [[record(2)]])
        // Another writer's fragment is not this writer's to serve: readers go to the store for it.
        let other = WriteAheadLog(store: store, path: path)
        #expect(try await other.append([record(9)]) == 4)
        #expect(log.recentFragments(after: 3).isEmpty)
        #expect(try await log.read(after: 3).flatMap(\.records) == [record(9)])
        // Served from memory: the store no longer has fragment 2, the writer still answers for it.
        try await store.delete(path.log(offset: 2))
        #expect(try await log.fragment(at: 2)?.records == [record(1)])
        log.forgetRecent(through: 2)
        #expect(try await log.fragment(at: 2) == nil)
        #expect(log.recentFragments(after: 2).map(\.offset) == [3])
    }

    @Test func concurrentAppendsShareFragmentsAndLoseNothing() async throws {
        let store = InMemoryStore()
        let faulty = FaultInjectingStore(store)
        faulty.setLatency(.milliseconds(2))  // a store with some latency, so appends pile up behind a write
        let log = WriteAheadLog(store: faulty, path: path)
        let offsets = try await withThrowingTaskGroup(of: (Int, UInt64).self) { group in
            for i in 0..<200 { group.addTask { (i, try await log.append([record(i)])) } }
            var offsets: [Int: UInt64] = [:]
            for try await (i, offset) in group { offsets[i] = offset }
            return offsets
        }
        let fragments = try await log.read(after: 0, limit: 1000)
        #expect(fragments.count < 200, "group commit should share fragments (\(fragments.count) for 200 appends)")
        #expect(fragments.map(\.offset) == Array(1...UInt64(fragments.count)), "offsets are contiguous")
        let ids = fragments.flatMap(\.records).map(\.id)
        #expect(ids.sorted() == (0..<200).map { "id-\($0)" }.sorted(), "every append exactly once")
        for (i, offset) in offsets {
            let fragment = try #require(fragments.first { $0.offset == offset })
            #expect(fragment.records.contains(record(i)), "append \(i) acknowledged with offset \(offset)")
        }
    }

    @Test func twoWritersNeverOwnOneOffset() async throws {
        let store = InMemoryStore()
        let writers = [WriteAheadLog(store: store, path: path), WriteAheadLog(store: store, path: path)]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (w, log) in writers.enumerated() {
                group.addTask {
                    for i in 0..<60 { _ = try await log.append([record(w * 1000 + i)]) }
                }
            }
            try await group.waitForAll()
        }
        let fragments = try await writers[0].read(after: 0, limit: 1000)
        #expect(fragments.map(\.offset) == Array(1...UInt64(fragments.count)))
        let ids = fragments.flatMap(\.records).map(\.id)
        #expect(ids.count == 120 && Set(ids).count == 120, "each of 120 appends exactly once")
        #expect(Set(fragments.map(\.writerID)).count == 2)
    }

    @Test func anAppendRacingACompactionLandsAboveIt() async throws {
        let store = InMemoryStore()
        let floor = CompactedOffset()
        let stale = WriteAheadLog(store: store, path: path, compactedOffset: { floor.value })
        let other = WriteAheadLog(store: store, path: path, compactedOffset: { floor.value })
        #expect(try await stale.append([record(1)]) == 1)  // stale now believes the next offset is 2
        #expect(try await other.append([record(2)]) == 2)
        #expect(try await other.append([record(3)]) == 3)
        // A compaction consumes 1...3 and deletes them.
        floor.set(3)
        try await other.removeFragments(before: 3)
        let offset = try await stale.append([record(4)])
        #expect(offset == 4, "an append below the compacted offset would be lost; it went to \(offset)")
        #expect(try await allRecords(stale, after: 3).map(\.id) == ["id-4"])
        #expect(store.keys == [path.log(offset: 3), path.log(offset: 4)], "the misplaced fragment was removed")
    }

    @Test func aWriterThatKnowsNothingOfCompactionStillAppendsAboveIt() async throws {
        // The process crash test found this: a fresh process appending before it has read the compacted offset.
        let store = InMemoryStore()
        let first = WriteAheadLog(store: store, path: path)
        for i in 1...3 { _ = try await first.append([record(i)]) }
        try await first.removeFragments(before: 3)  // a compaction through 3
        let fresh = WriteAheadLog(store: store, path: path)  // compacted offset unknown (0)
        #expect(try await fresh.append([record(4)]) == 4)
    }

    @Test func aWriterWithAStaleFloorNeverAppendsBelowAnotherProcesssCompaction() async throws {
        // Two nodes: `stale` compacted through its own write 1 and then saw nothing; `other` wrote 2...5,
        // compacted through 5 (published: the store's newest version says so) and deleted 1...4, keeping 5.
        // `stale` still believes the next offset is 2 and its catalog says 1.
        let store = InMemoryStore()
        let staleFloor = CompactedOffset()
        let published = CompactedOffset()
        let stale = WriteAheadLog(
            store: store, path: path, compactedOffset: { staleFloor.value },
            publishedCompactedOffset: { published.value })
        #expect(try await stale.append([record(1)]) == 1)
        staleFloor.set(1)
        published.set(1)
        let other = WriteAheadLog(store: store, path: path, compactedOffset: { 1 })
        for i in 2...5 { #expect(try await other.append([record(i)]) == UInt64(i)) }
        published.set(5)
        try await other.removeFragments(before: 5)
        #expect(try await stale.append([record(6)]) == 6, "offset 2 is below the other node's compaction")
        #expect(store.keys == [path.log(offset: 5), path.log(offset: 6)])
    }

    @Test func anAppendRightAboveACompactionStaysWhenItsHighWaterMarkLandsAboveIt() async throws {
        // Found by the model test: a compaction through 2 looks for a fragment above 2, finds none, and appends
        // its high-water mark; a write takes 3 first, so the mark lands at 4, and the compaction deletes 1...2.
        // The write then finds its predecessor 2 missing and a fragment above it: it must still stay at 3 (moving
        // it would leave a gap at 3 that hides every later write).
        let base = InMemoryStore()
        let store = AfterPutStore(base)
        let published = CompactedOffset()
        let writer = WriteAheadLog(
            store: store, path: path, compactedOffset: { published.value },
            publishedCompactedOffset: { published.value })
        for i in 1...2 { _ = try await writer.append([record(i)]) }
        let compaction = WriteAheadLog(store: base, path: path)
        store.afterPut(path.log(offset: 3)) {
            // What `markHighWater(above: 2)` leaves when it listed the log before this put: its mark conflicted
            // at 3 and went to 4. The version through 2 was published before that.
            published.set(2)
            #expect(try await compaction.append([.highWaterMark]) == 4)
            try await compaction.removeFragments(before: 3)
        }
        #expect(try await writer.append([record(3)]) == 3)
        #expect(base.keys == [path.log(offset: 3), path.log(offset: 4)], "the write and the mark above it")
        #expect(try await allRecords(writer, after: 2).map(\.id) == ["id-3", ""])
    }

    @Test func aLogEmptiedBeforeTheHighWaterMarkStillTakesAppends() async throws {
        let store = InMemoryStore()
        let log = WriteAheadLog(store: store, path: path, compactedOffset: { 3 })  // fragments 1...3 all gone
        #expect(try await log.append([record(4)]) == 4)
        #expect(try await log.append([record(5)]) == 5)
    }

    @Test func badFragmentsAreRefusedWithTypedErrors() async throws {
        let store = InMemoryStore()
        let log = WriteAheadLog(store: store, path: path)
        _ = try await log.append([record(1)])
        let good = try await store.get(path.log(offset: 1)).data
        // A fragment under another offset's key.
        try await store.put(path.log(offset: 2), data: good)
        await #expect { _ = try await log.fragment(at: 2) } throws: { ($0 as? LogError)?.code == .corrupt }
        // Truncations and byte flips: a typed error or the same records, never a crash.
        var random = SplitMix64(seed: 21)
        for _ in 0..<500 {
            var bytes = good
            if Bool.random(using: &random) {
                bytes = bytes.prefix(Int.random(in: 0..<bytes.count, using: &random))
            } else {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            }
            try await store.put(path.log(offset: 3), data: bytes)
            do {
                _ = try await log.fragment(at: 3)
            } catch let error as LogError {
                #expect(error.offset == 3)
            }
        }
    }

    @Test func invalidAppendsWriteNothing() async throws {
        let store = InMemoryStore()
        let log = WriteAheadLog(store: store, path: path)
        await #expect { _ = try await log.append([]) } throws: { ($0 as? LogError)?.code == .invalidArgument }
        let huge = LogRecord(.add, id: "x", document: String(repeating: "a", count: WriteAheadLog.maxFragmentBytes + 1))
        await #expect { _ = try await log.append([huge]) } throws: { ($0 as? LogError)?.code == .invalidArgument }
        #expect(store.keys.isEmpty)
    }

    @Test func aFailedAppendIsNotAcknowledgedAndTheNextOneSucceeds() async throws {
        let store = InMemoryStore()
        let faulty = FaultInjectingStore(store)
        let log = WriteAheadLog(store: faulty, path: path)
        _ = try await log.append([record(1)])
        faulty.failNext(1, with: .accessDenied, on: [.put])
        await #expect(throws: LogError.self) { _ = try await log.append([record(2)]) }
        #expect(try await log.append([record(3)]) == 2)
        #expect(try await allRecords(log).map(\.id) == ["id-1", "id-3"])
    }
}

/// A compacted offset that a test moves by hand.
final class CompactedOffset: Sendable {
    private let offset = Mutex<UInt64>(0)
    var value: UInt64 { offset.withLock { $0 } }
    func set(_ value: UInt64) { offset.withLock { $0 = value } }
}

/// A store that runs a hook once right after a put to a given key succeeds (before the writer's next step).
final class AfterPutStore: WrappingStore {
    let base: InMemoryStore
    var wrapped: any ObjectStore { base }
    private let hooks = Mutex<[String: @Sendable () async throws -> Void]>([:])

    init(_ base: InMemoryStore) { self.base = base }

    func afterPut(_ key: String, _ hook: @escaping @Sendable () async throws -> Void) {
        hooks.withLock { $0[key] = hook }
    }

    func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        let info = try await base.put(key, data: data, condition: condition)
        if let hook = hooks.withLock({ $0.removeValue(forKey: key) }) { try await hook() }
        return info
    }
}
