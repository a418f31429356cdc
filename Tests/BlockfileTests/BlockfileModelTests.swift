// Property tests: random sets, deletes, forks, commits and reopens checked against an in-memory sorted map,
// for every key type and value type, with small blocks so that splits and merges happen all the time.
import Bitmaps
import Blockfile
import Foundation
import ObjectStore
import StorageTesting
import Testing

/// A random value of each type, and the model used to check it.
protocol RandomBlockfileValue: BlockfileValue {
    static func random(using random: inout SplitMix64) -> Self
}

extension String: RandomBlockfileValue {
    static func random(using random: inout SplitMix64) -> String {
        String((0..<Int.random(in: 0...40, using: &random)).map { _ in "abcdéxyz😀 ".randomElement(using: &random)! })
    }
}

/// Random list elements.
protocol RandomListElement: BlockfileListElement {
    static func random(using random: inout SplitMix64) -> Self
}

extension UInt32: RandomBlockfileValue, RandomListElement {
    static func random(using random: inout SplitMix64) -> UInt32 { UInt32.random(in: 0...UInt32.max, using: &random) }
}

extension Array: RandomBlockfileValue where Element: RandomListElement {
    static func random(using random: inout SplitMix64) -> [Element] {
        (0..<Int.random(in: 0...12, using: &random)).map { _ in Element.random(using: &random) }
    }
}

extension Float: RandomListElement {
    static func random(using random: inout SplitMix64) -> Float { Float.random(in: -1...1, using: &random) }
}

extension RoaringBitmap: RandomBlockfileValue {
    static func random(using random: inout SplitMix64) -> RoaringBitmap {
        RoaringBitmap(
            (0..<Int.random(in: 0...50, using: &random)).map { _ in UInt32.random(in: 0..<100_000, using: &random) })
    }
}

extension DataRecord: RandomBlockfileValue {
    static func random(using random: inout SplitMix64) -> DataRecord {
        let hasEmbedding = Int.random(in: 0..<10, using: &random) > 0
        return DataRecord(
            id: "id-\(UInt32.random(in: 0...UInt32.max, using: &random))",
            embedding: hasEmbedding ? (0..<8).map { _ in Float.random(in: -1...1, using: &random) } : nil,
            metadataJSON: Bool.random(using: &random) ? "{\"k\":\(Int.random(in: 0..<100, using: &random))}" : nil,
            document: Bool.random(using: &random) ? String.random(using: &random) : nil)
    }
}

func randomKey(_ type: KeyType, using random: inout SplitMix64) -> BlockfileKey {
    let prefix = ["", "a", "b", "color", "colour", "é"].randomElement(using: &random)!
    switch type {
    case .string: return BlockfileKey(prefix, .string("k\(Int.random(in: 0..<300, using: &random))"))
    case .uint32: return BlockfileKey(prefix, .uint32(UInt32.random(in: 0..<300, using: &random)))
    case .float32: return BlockfileKey(prefix, .float32(Float(Int.random(in: -150..<150, using: &random)) / 7))
    case .bool: return BlockfileKey(prefix, .bool(Bool.random(using: &random)))
    }
}

struct BlockfileModelChecker<Value: RandomBlockfileValue> {
    let keyType: KeyType
    let seed: UInt64
    /// Small blocks split and merge all the time; larger ones let forks write deltas instead of rewriting.
    var maxBlockSize = 2048

    func run(operations: Int = 600) async throws {
        var random = SplitMix64(seed: seed)
        let store = InMemoryStore()
        let cache = BlockCache(blockCapacity: 1 << 20)
        let location = BlockfileLocation(
            collection: ObjectPath().collection(tenant: "t", database: "d", collectionID: "c"), segmentID: "s")
        var committed: [BlockfileKey: Value] = [:]
        var pending = committed
        var writer = BlockfileWriter<Value>(
            store: store, location: location, keyType: keyType, cache: cache, maxBlockSize: maxBlockSize)
        var reader: BlockfileReader<Value>?
        var deltas = 0
        for step in 0..<operations {
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<60:
                let key = randomKey(keyType, using: &random)
                let value = Value.random(using: &random)
                try writer.set(key, value)
                pending[key] = value
            case 60..<85:
                let key = randomKey(keyType, using: &random)
                try writer.delete(key)
                pending[key] = nil
            case 85..<95:
                let next = try await writer.commit()
                deltas += next.root.blocks.filter { $0.deltaID != nil }.count
                committed = pending
                try await check(next, committed, step: step, random: &random)
                // Sometimes reopen from the store with a cold cache, as a new process would.
                if Bool.random(using: &random) {
                    reader = try await BlockfileReader<Value>.open(
                        store: store, location: location, rootID: next.root.rootID,
                        cache: BlockCache(blockCapacity: 1 << 20))
                    try await check(reader!, committed, step: step, random: &random)
                } else {
                    reader = next
                }
                writer = BlockfileWriter(forking: reader!)
            default:
                // Abandon the fork: its changes vanish and the committed version is what a new fork sees.
                if let reader {
                    writer = BlockfileWriter(forking: reader)
                    pending = committed
                }
            }
        }
        let last = try await writer.commit()
        try await check(last, pending, step: operations, random: &random)
        // The blocks stay within the size bound (one entry alone may exceed it, which these values never do).
        for block in last.root.blocks {
            #expect(block.byteSize <= maxBlockSize * 2, "block of \(block.byteSize) bytes")
        }
        if maxBlockSize >= 16384 && keyType != .bool {
            #expect(deltas > 0, "forks never wrote a delta block")
        }
        if maxBlockSize == 2048 && pending.count > 200 {
            #expect(last.root.blocks.count >= 5, "\(pending.count) entries in only \(last.root.blocks.count) blocks")
        }
    }

    func check(
        _ reader: BlockfileReader<Value>, _ model: [BlockfileKey: Value], step: Int, random: inout SplitMix64
    ) async throws {
        let sorted = model.sorted { $0.key < $1.key }
        #expect(reader.count == model.count, "step \(step): count")
        var scanned: [(BlockfileKey, Value)] = []
        for try await entry in reader.scan() { scanned.append(entry) }
        #expect(scanned.map(\.0) == sorted.map(\.key), "step \(step): full scan keys")
        #expect(scanned.map(\.1) == sorted.map(\.value), "step \(step): full scan values")
        for _ in 0..<20 {
            let key = randomKey(keyType, using: &random)
            #expect(try await reader.get(key) == model[key], "step \(step): get \(key)")
            #expect(try await reader.rank(of: key) == sorted.filter { $0.key < key }.count, "step \(step): rank \(key)")
        }
        let probes = (0..<30).map { _ in randomKey(keyType, using: &random) }
        #expect(try await reader.get(probes) == probes.map { model[$0] }, "step \(step): batch get")
        for prefix in ["", "a", "color", "colour", "é", "zz"] {
            let expected = sorted.filter { $0.key.prefix.utf8.elementsEqual(prefix.utf8) }
            #expect(try await reader.count(prefix: prefix) == expected.count, "step \(step): count prefix \(prefix)")
            var got: [BlockfileKey] = []
            for try await entry in reader.scan(prefix: prefix) { got.append(entry.key) }
            #expect(got == expected.map(\.key), "step \(step): scan prefix \(prefix)")
        }
        let a = randomKey(keyType, using: &random)
        let b = randomKey(keyType, using: &random)
        let (low, high) = a < b ? (a, b) : (b, a)
        var ranged: [BlockfileKey] = []
        for try await entry in reader.scan(from: low, through: high) { ranged.append(entry.key) }
        #expect(ranged == sorted.map(\.key).filter { low <= $0 && $0 <= high }, "step \(step): range scan")
    }
}

@Suite struct BlockfileModelTests {
    @Test(arguments: KeyType.allCases)
    func stringValues(_ keyType: KeyType) async throws {
        try await BlockfileModelChecker<String>(keyType: keyType, seed: 100).run()
    }

    @Test(arguments: KeyType.allCases)
    func uint32Values(_ keyType: KeyType) async throws {
        try await BlockfileModelChecker<UInt32>(keyType: keyType, seed: 200).run()
    }

    /// Blocks large enough that forks write deltas: reads merge base and delta, later forks fold deltas.
    @Test(arguments: [KeyType.string, .uint32])
    func deltaBlocks(_ keyType: KeyType) async throws {
        try await BlockfileModelChecker<String>(keyType: keyType, seed: 700, maxBlockSize: 16384).run(operations: 1500)
        try await BlockfileModelChecker<DataRecord>(keyType: keyType, seed: 800, maxBlockSize: 32768).run(
            operations: 1500)
    }

    @Test func uint32ListValues() async throws {
        try await BlockfileModelChecker<[UInt32]>(keyType: .string, seed: 300).run()
    }

    @Test func float32ListValues() async throws {
        try await BlockfileModelChecker<[Float]>(keyType: .uint32, seed: 400).run()
    }

    @Test func roaringBitmapValues() async throws {
        try await BlockfileModelChecker<RoaringBitmap>(keyType: .string, seed: 500).run()
    }

    @Test func dataRecordValues() async throws {
        try await BlockfileModelChecker<DataRecord>(keyType: .uint32, seed: 600).run()
    }
}
