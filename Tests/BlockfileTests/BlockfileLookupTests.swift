// Lookups in large blocks: a block of more than 128 entries is searched through a sample of every 32nd key and
// then between two samples, so every key, every gap between keys, and the ends of every prefix are checked
// against a sorted model, for each key type, in a base block and in a base with a delta.
import Blockfile
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct BlockfileLookupTests {
    let location = BlockfileLocation(
        collection: ObjectPath().collection(tenant: "t", database: "d", collectionID: "c"), segmentID: "s")

    /// Sorted distinct keys: `perPrefix` keys under each of several prefixes, every other value of the key type's
    /// range, so that a key between two neighbours exists (`gap`).
    static func keys(_ type: KeyType, perPrefix: Int) -> [BlockfileKey] {
        ["", "a", "ab", "b", "é"].flatMap { prefix in
            (0..<perPrefix).map { i -> BlockfileKey in
                switch type {
                case .string: BlockfileKey(prefix, String(format: "k%06d", 2 * i))
                case .uint32: BlockfileKey(prefix, UInt32(2 * i))
                case .float32: BlockfileKey(prefix, Float(2 * i) - 500)
                case .bool: BlockfileKey(prefix + String(format: "%05d", i / 2), i % 2 == 1)
                }
            }
        }.sorted()
    }

    /// A key just after `key` and before the next key of `keys` (nil for bool keys, which have no gaps).
    static func gap(after key: BlockfileKey) -> BlockfileKey? {
        switch key.key {
        case .string(let s): BlockfileKey(key.prefix, s + "0")
        case .uint32(let v): BlockfileKey(key.prefix, v + 1)
        case .float32(let v): BlockfileKey(key.prefix, v + 1)
        case .bool: nil
        }
    }

    /// The first key `prefix` can have.
    static func lowest(_ prefix: String, _ type: KeyType) -> BlockfileKey {
        switch type {
        case .string: BlockfileKey(prefix, "")
        case .uint32: BlockfileKey(prefix, UInt32(0))
        case .float32: BlockfileKey(prefix, -Float.infinity)
        case .bool: BlockfileKey(prefix, false)
        }
    }

    @Test(arguments: KeyType.allCases)
    func largeBlocksFindEveryKeyAndGap(_ type: KeyType) async throws {
        let keys = Self.keys(type, perPrefix: 1000)
        let writer = OrderedBlockfileWriter<UInt32>(
            store: InMemoryStore(), location: location, keyType: type, cache: BlockCache(blockCapacity: 64 << 20),
            maxBlockSize: 1 << 20)
        for (i, key) in keys.enumerated() { try await writer.append(key, UInt32(i)) }
        let reader = try await writer.commit()
        #expect(reader.root.blocks.count == 1, "one block of \(keys.count) entries")
        try await check(reader, Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, UInt32($0)) }))
    }

    @Test(arguments: [KeyType.string, .uint32])
    func largeBlocksWithADelta(_ type: KeyType) async throws {
        let keys = Self.keys(type, perPrefix: 600)
        let writer = OrderedBlockfileWriter<UInt32>(
            store: InMemoryStore(), location: location, keyType: type, cache: BlockCache(blockCapacity: 64 << 20),
            maxBlockSize: 1 << 20)
        for (i, key) in keys.enumerated() { try await writer.append(key, UInt32(i)) }
        let base = try await writer.commit()
        var model = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, UInt32($0)) })
        // A few updates, deletes and inserts (into gaps), few enough to be written as a delta.
        let fork = BlockfileWriter(forking: base)
        for (n, key) in keys.enumerated() where n % 97 == 0 {
            switch n % 3 {
            case 0:
                try fork.set(key, 1_000_000 + UInt32(n))
                model[key] = 1_000_000 + UInt32(n)
            case 1:
                try fork.delete(key)
                model[key] = nil
            default:
                let gap = Self.gap(after: key)!
                try fork.set(gap, 2_000_000 + UInt32(n))
                model[gap] = 2_000_000 + UInt32(n)
            }
        }
        try fork.delete(keys[0])  // the first and last keys change too
        model[keys[0]] = nil
        try fork.set(keys[keys.count - 1], 7)
        model[keys[keys.count - 1]] = 7
        let forked = try await fork.commit()
        #expect(forked.root.blocks.contains { $0.deltaID != nil }, "the fork wrote a delta")
        try await check(forked, model)
    }

    func check(_ reader: BlockfileReader<UInt32>, _ model: [BlockfileKey: UInt32]) async throws {
        let sorted = model.keys.sorted()
        #expect(reader.count == sorted.count)
        var probes = sorted
        probes += sorted.compactMap(Self.gap(after:))
        probes += ["", "a\u{0}", "zz"].map { Self.lowest($0, sorted[0].key.type) }
        let expected = probes.map { model[$0] }
        var got: [UInt32?] = []
        for probe in probes { got.append(try await reader.get(probe)) }
        #expect(got == expected, "point gets")
        #expect(try await reader.get(probes) == expected, "batch get")
        for probe in probes.shuffled().prefix(300) {
            #expect(try await reader.rank(of: probe) == sorted.count { $0 < probe }, "rank of \(probe)")
        }
        // Range scans with bounds on keys, on gaps, and open.
        for _ in 0..<40 {
            let a = probes.randomElement()!
            let b = probes.randomElement()!
            let (low, high) = a < b ? (a, b) : (b, a)
            var ranged: [BlockfileKey] = []
            for try await batch in reader.scan(from: low, through: high).batches(size: 33) { ranged += batch.keys }
            #expect(ranged == sorted.filter { low <= $0 && $0 <= high }, "range \(low)...\(high)")
        }
        for prefix in ["", "a", "ab", "b", "é", "c"] {
            var keys: [BlockfileKey] = []
            var values: [UInt32] = []
            for try await (key, value) in reader.scan(prefix: prefix) {
                keys.append(key)
                values.append(value)
            }
            let inPrefix = sorted.filter { $0.prefix.hasPrefix(prefix) && $0.prefix.utf8.count == prefix.utf8.count }
            #expect(keys == inPrefix, "prefix \(prefix)")
            #expect(values == inPrefix.map { model[$0]! }, "prefix \(prefix) values")
            #expect(try await reader.count(prefix: prefix) == inPrefix.count, "count of prefix \(prefix)")
        }
    }
}
