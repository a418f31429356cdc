// Crash consistency, copy-on-write sharing, and what corrupt or missing objects do to a reader.
import Blockfile
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct BlockfileCrashTests {
    let location = BlockfileLocation(
        collection: ObjectPath().collection(tenant: "t", database: "d", collectionID: "c"), segmentID: "s")

    func build(_ store: any ObjectStore, entries: Int, maxBlockSize: Int = 2048) async throws -> BlockfileReader<String>
    {
        let writer = OrderedBlockfileWriter<String>(
            store: store, location: location, keyType: .uint32, cache: BlockCache(blockCapacity: 1 << 20),
            maxBlockSize: maxBlockSize)
        for i in 0..<entries { try await writer.append(BlockfileKey("p", UInt32(i)), "value \(i)") }
        return try await writer.commit()
    }

    @Test func aCrashAtAnyPointOfACommitLeavesThePreviousVersionIntact() async throws {
        let base = InMemoryStore()
        let v1 = try await build(base, entries: 500)
        // How many store operations does one fork commit make?
        let probe = FaultInjectingStore(base)
        let probeParent = try await BlockfileReader<String>.open(
            store: probe, location: location, rootID: v1.root.rootID, cache: BlockCache(blockCapacity: 1 << 20))
        let probeWriter = BlockfileWriter(forking: probeParent)
        for i in stride(from: 0, to: 500, by: 37) { try probeWriter.set(BlockfileKey("p", UInt32(i)), "changed") }
        _ = try await probeWriter.commit()
        let operations = probe.mutationCount
        #expect(operations > 3)

        for crashAt in 1...operations {
            for mode in [FaultInjectingStore.CrashMode.beforeApplying, .afterApplying] {
                let faulty = FaultInjectingStore(base, seed: UInt64(crashAt))
                let parent = try await BlockfileReader<String>.open(
                    store: faulty, location: location, rootID: v1.root.rootID, cache: BlockCache(blockCapacity: 1 << 20)
                )
                let writer = BlockfileWriter(forking: parent)
                for i in stride(from: 0, to: 500, by: 37) { try writer.set(BlockfileKey("p", UInt32(i)), "changed") }
                faulty.crash(afterOperations: crashAt, mode: mode)
                await #expect(throws: (any Error).self) { _ = try await writer.commit() }
                // "Restart": the previous version reads exactly as before, with a cold cache.
                let reopened = try await BlockfileReader<String>.open(
                    store: base, location: location, rootID: v1.root.rootID, cache: BlockCache(blockCapacity: 1 << 20))
                var count = 0
                for try await (key, value) in reopened.scan() {
                    guard case .uint32(let i) = key.key else { continue }
                    #expect(value == "value \(i)")
                    count += 1
                }
                #expect(count == 500, "crash at operation \(crashAt): previous version has \(count) entries")
            }
        }
    }

    @Test func theCacheWeighsCompressedBlocksByTheMemoryTheyHold() async throws {
        let store = InMemoryStore()
        // Repetitive values: every block is stored ZSTD-compressed, several times smaller than it decodes.
        let writer = OrderedBlockfileWriter<String>(
            store: store, location: location, keyType: .uint32, cache: BlockCache(blockCapacity: 1 << 20),
            maxBlockSize: 64 << 10)
        for i in 0..<2000 { try await writer.append(BlockfileKey("p", UInt32(i)), String(repeating: "abc", count: 20)) }
        let root = try await writer.commit().root
        let cache = BlockCache(blockCapacity: 1 << 30)
        let reader = try await BlockfileReader<String>.open(
            store: store, location: location, rootID: root.rootID, cache: cache)
        var count = 0
        for try await _ in reader.scan() { count += 1 }
        #expect(count == 2000)
        let stored = root.blocks.reduce(0) { $0 + $1.byteSize }
        #expect(cache.statistics.entries == root.blocks.count)
        #expect(cache.statistics.bytes > 2 * stored, "cached \(cache.statistics.bytes) bytes for \(stored) stored")
    }

    @Test func aSmallForkSharesUntouchedBlocks() async throws {
        let store = InMemoryStore()
        let v1 = try await build(store, entries: 20_000, maxBlockSize: 16 << 10)
        let writer = BlockfileWriter(forking: v1)
        // 1% of the keys, clustered (as ids allocated together are): only the blocks holding them are rewritten.
        for i in 5000..<5200 { try writer.set(BlockfileKey("p", UInt32(i)), "changed \(i)") }
        let v2 = try await writer.commit()
        let shared = Set(v1.root.blocks.map(\.blockID)).intersection(v2.root.blocks.map(\.blockID))
        let rewritten = v2.root.blocks.filter { !shared.contains($0.blockID) }
        let rewrittenBytes = rewritten.reduce(0) { $0 + $1.byteSize }
        #expect(rewritten.count <= 4, "\(rewritten.count) of \(v1.root.blocks.count) blocks rewritten")
        #expect(
            rewrittenBytes * 10 < v1.root.byteSize, "a 1% fork rewrote \(rewrittenBytes) of \(v1.root.byteSize) bytes")
        #expect(try await v1.get(BlockfileKey("p", UInt32(5100))) == "value 5100", "the parent version is unchanged")
        #expect(try await v2.get(BlockfileKey("p", UInt32(5100))) == "changed 5100")
        #expect(v2.count == 20_000)
    }

    @Test func aUniformOnePercentForkWritesDeltasOfAboutOnePercent() async throws {
        let store = InMemoryStore()
        let v1 = try await build(store, entries: 50_000, maxBlockSize: 64 << 10)
        let writer = BlockfileWriter(forking: v1)
        var random = SplitMix64(seed: 8)
        var changed: [UInt32: String] = [:]
        for _ in 0..<500 {
            let i = UInt32.random(in: 0..<50_000, using: &random)
            changed[i] = "changed \(i)"
            try writer.set(BlockfileKey("p", i), changed[i]!)
        }
        try writer.delete(BlockfileKey("p", UInt32(7)))
        let before = Set(store.keys)
        let v2 = try await writer.commit()
        let written = store.keys.filter { !before.contains($0) }
        var writtenBytes = 0
        for key in written where !key.contains("/root/") { writtenBytes += try await store.head(key).size }
        #expect(v2.root.blocks.allSatisfy { $0.deltaID != nil }, "every block got a delta, none was rewritten")
        // About 1% of the bytes (delta entries carry a change column) plus each delta object's Arrow framing.
        let bound = v1.root.byteSize * 2 / 100 + v2.root.blocks.count * 3072
        #expect(writtenBytes < bound, "wrote \(writtenBytes) of \(v1.root.byteSize) bytes (bound \(bound))")
        #expect(v2.count == 50_000 - (changed[7] == nil ? 1 : 0))
        for (i, value) in changed where i != 7 { #expect(try await v2.get(BlockfileKey("p", i)) == value) }
        #expect(try await v2.get(BlockfileKey("p", UInt32(7))) == nil)
        #expect(try await v2.get(BlockfileKey("p", UInt32(8))) == (changed[8] ?? "value 8"))
        #expect(try await v2.rank(of: BlockfileKey("p", UInt32(100))) == 99)
        // A reader with a cold cache sees the same, and the parent version is untouched.
        let reopened = try await BlockfileReader<String>.open(
            store: store, location: location, rootID: v2.root.rootID, cache: BlockCache(blockCapacity: 1 << 30))
        var count = 0
        for try await _ in reopened.scan() { count += 1 }
        #expect(count == v2.count)
        #expect(try await v1.get(BlockfileKey("p", UInt32(7))) == "value 7")
    }

    @Test func corruptAndMissingBlocksGiveTypedErrorsNamingTheBlock() async throws {
        let store = InMemoryStore()
        let v1 = try await build(store, entries: 300)
        let victim = v1.root.blocks[1]
        let key = location.segment.block(victim.blockID)
        let original = try await store.get(key).data
        var random = SplitMix64(seed: 3)
        for attempt in 0..<200 {
            var bytes = original
            if attempt % 2 == 0 {
                bytes = bytes.prefix(Int.random(in: 0..<bytes.count, using: &random))
            } else {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            }
            try await store.put(key, data: bytes)
            let reader = try await BlockfileReader<String>.open(
                store: store, location: location, rootID: v1.root.rootID, cache: BlockCache(blockCapacity: 1 << 20))
            do {
                let value = try await reader.get(victim.firstKey)
                // A flip inside a value's bytes can leave a well-formed block; it must still be the right key.
                #expect(value != nil)
            } catch let error as BlockfileError {
                #expect(error.blockID == victim.blockID, "\(error)")
                #expect(error.blockfileID == v1.root.blockfileID)
            }
        }
        try await store.delete(key)
        let reader = try await BlockfileReader<String>.open(
            store: store, location: location, rootID: v1.root.rootID, cache: BlockCache(blockCapacity: 1 << 20))
        await #expect {
            _ = try await reader.get(victim.firstKey)
        } throws: { error in
            (error as? BlockfileError)?.code == .notFound && (error as? BlockfileError)?.blockID == victim.blockID
        }
    }

    @Test func rootsOfUnknownVersionsOrGarbageAreRefused() async throws {
        let store = InMemoryStore()
        let v1 = try await build(store, entries: 10)
        try await store.put(location.segment.root("garbage"), data: Data("not arrow".utf8))
        await #expect {
            _ = try await BlockfileReader<String>.open(
                store: store, location: location, rootID: "garbage", cache: BlockCache(blockCapacity: 1 << 20))
        } throws: { ($0 as? BlockfileError)?.code == .corrupt }
        await #expect {
            _ = try await BlockfileReader<String>.open(
                store: store, location: location, rootID: "missing", cache: BlockCache(blockCapacity: 1 << 20))
        } throws: { ($0 as? BlockfileError)?.code == .notFound }
        await #expect {
            _ = try await BlockfileReader<UInt32>.open(
                store: store, location: location, rootID: v1.root.rootID, cache: BlockCache(blockCapacity: 1 << 20))
        } throws: { ($0 as? BlockfileError)?.code == .invalidArgument }
    }

    @Test func writersRefuseBadInputAndChangeNothing() async throws {
        let store = InMemoryStore()
        let writer = OrderedBlockfileWriter<String>(
            store: store, location: location, keyType: .uint32, cache: BlockCache(blockCapacity: 1 << 20))
        try await writer.append(BlockfileKey("p", UInt32(5)), "a")
        await #expect(throws: BlockfileError.self) { try await writer.append(BlockfileKey("p", UInt32(5)), "dup") }
        await #expect(throws: BlockfileError.self) { try await writer.append(BlockfileKey("p", UInt32(4)), "back") }
        await #expect(throws: BlockfileError.self) { try await writer.append(BlockfileKey("p", "string"), "type") }
        let fork = BlockfileWriter<String>(
            store: store, location: location, keyType: .float32, cache: BlockCache(blockCapacity: 1 << 20))
        #expect(throws: BlockfileError.self) { try fork.set(BlockfileKey("p", Float.nan), "nan") }
        #expect(store.keys.isEmpty, "rejected input must write nothing")
    }
}

@Suite struct BlockfileBatchScanTests {
    @Test func batchesHoldTheSameEntriesAsTheScan() async throws {
        let store = InMemoryStore()
        let location = BlockfileLocation(
            collection: ObjectPath().collection(tenant: "t", database: "d", collectionID: "c"), segmentID: "s")
        let writer = OrderedBlockfileWriter<UInt32>(
            store: store, location: location, keyType: .uint32, cache: BlockCache(blockCapacity: 1 << 20),
            maxBlockSize: 4096)
        for prefix in ["a", "b", "c"] {
            for i in 0..<700 { try await writer.append(BlockfileKey(prefix, UInt32(i)), UInt32(i)) }
        }
        let reader = try await writer.commit()
        #expect(reader.root.blocks.count > 3)
        for (scan, expected) in [(reader.scan(), 2100), (reader.scan(prefix: "b"), 700)] {
            var fromEntries: [BlockfileKey] = []
            for try await (key, _) in scan { fromEntries.append(key) }
            var fromBatches: [BlockfileKey] = []
            for try await batch in scan.batches(size: 97) {
                #expect(batch.count <= 97 && batch.count == batch.values.count)
                fromBatches += batch.keys
            }
            #expect(fromEntries.count == expected)
            #expect(fromBatches == fromEntries)
        }
    }
}
