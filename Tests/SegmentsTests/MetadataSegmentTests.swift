// The metadata segment against a brute-force model: random records and random filters of every operator, through a
// segment written to an InMemoryStore, reopened, and forked with adds, updates and removes.
import Bitmaps
import Blockfile
import ObjectStore
import StorageTesting
import Testing

@testable import Segments

/// Documents by offset id, for verification.
struct DictionaryVerifier: MetadataSegmentVerifier {
    var documents: [UInt32: String]
    func documents(for offsetIDs: [UInt32]) async throws -> [String?] { offsetIDs.map { documents[$0] } }
}

/// Random records and filters over small value pools, so that filters hit often and numbers collide across types.
struct RecordGenerator {
    var random: SplitMix64
    static let words = ["alpha", "beta", "Gamma", "delta", "épée", "naïve", "中文", "rock", "rocket", "ab", "a", "Zz"]
    static let names = ["ann", "bob", "cy", "", "Ann", "é"]

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }

    mutating func number() -> MetadataValue {
        switch int(0...5) {
        case 0: return .float(Double(int(-3...12)))  // integral floats meet ints
        case 1: return .float(Double(int(-30...120)) / 10)
        case 2: return .int(Int64(9_007_199_254_740_992) + Int64(int(-2...2)))  // around 2^53
        case 3: return .float(9_007_199_254_740_992)
        default: return .int(Int64(int(-3...12)))
        }
    }

    mutating func scalar() -> MetadataValue {
        switch int(0...4) {
        case 0: return .string(Self.names[int(0...Self.names.count - 1)])
        case 1: return .bool(chance(0.5))
        default: return number()
        }
    }

    mutating func list() -> MetadataValue {
        let n = int(1...3)
        switch int(0...3) {
        case 0: return .stringArray((0..<n).map { _ in Self.names[int(0...Self.names.count - 1)] })
        case 1: return .intArray((0..<n).map { _ in Int64(int(-3...5)) })
        case 2: return .floatArray((0..<n).map { _ in Double(int(-6...10)) / 2 })
        default: return .boolArray((0..<n).map { _ in chance(0.5) })
        }
    }

    mutating func metadata() -> Metadata? {
        if chance(0.1) { return nil }
        var m: Metadata = [:]
        if chance(0.9) { m["cat"] = .int(Int64(int(0...9))) }
        if chance(0.7) { m["price"] = number() }
        if chance(0.6) { m["name"] = .string(Self.names[int(0...Self.names.count - 1)]) }
        if chance(0.5) { m["flag"] = .bool(chance(0.5)) }
        if chance(0.5) { m["mixed"] = chance(0.3) ? list() : scalar() }
        if chance(0.4) { m["tags"] = list() }
        return m.isEmpty ? nil : m
    }

    mutating func document() -> String? {
        if chance(0.15) { return nil }
        return (0..<int(0...6)).map { _ in Self.words[int(0...Self.words.count - 1)] }.joined(separator: " ")
    }

    static let keys = ["cat", "price", "name", "flag", "mixed", "tags", "absent"]

    mutating func condition() -> FieldCondition {
        let operand = chance(0.2) ? list().elements[0] : scalar()
        switch int(0...9) {
        case 0: return .eq(operand)
        case 1: return .ne(operand)
        case 2: return .gt(number())
        case 3: return .gte(number())
        case 4: return .lt(number())
        case 5: return .lte(number())
        case 6: return .in((0..<int(1...3)).map { _ in number() })
        case 7: return .nin((0..<int(1...3)).map { _ in chance(0.5) ? number() : scalar() })
        case 8: return .contains(list().elements[0])
        default: return .notContains(list().elements[0])
        }
    }

    mutating func filter(depth: Int = 0) -> Where {
        if depth < 2 && chance(0.35) {
            let children = (0..<int(2...3)).map { _ in filter(depth: depth + 1) }
            return chance(0.5) ? .and(children) : .or(children)
        }
        let condition = condition()
        switch condition {
        case .contains, .notContains:
            return .field(
                chance(0.8) ? (chance(0.5) ? "tags" : "mixed") : Self.keys[int(0...Self.keys.count - 1)], condition)
        case .gt, .gte, .lt, .lte, .in, .nin:
            return .field(
                chance(0.8) ? (chance(0.5) ? "cat" : "price") : Self.keys[int(0...Self.keys.count - 1)], condition)
        default:
            return .field(Self.keys[int(0...Self.keys.count - 1)], condition)
        }
    }

    static let needles = ["a", "ab", "rock", "rocket", "ock", "é", "épée", "中文", "ta b", "a d", "Gam", "zzz", "lph"]
    static let patterns = [
        "^rock", "rock(et)?$", "[A-Z]", "é|中", "\\bbeta\\b", "a.a", "^$", "épée", "a+lpha", "ro?cket", "lta [bG]",
        "ta.+ro", "\\bab\\b", "中文$",
    ]

    mutating func documentFilter(depth: Int = 0) -> WhereDocument {
        if depth < 2 && chance(0.3) {
            let children = (0..<int(2...3)).map { _ in documentFilter(depth: depth + 1) }
            return chance(0.5) ? .and(children) : .or(children)
        }
        switch int(0...3) {
        case 0: return .contains(Self.needles[int(0...Self.needles.count - 1)])
        case 1: return .notContains(Self.needles[int(0...Self.needles.count - 1)])
        case 2: return .regex(Self.patterns[int(0...Self.patterns.count - 1)])
        default: return .notRegex(Self.patterns[int(0...Self.patterns.count - 1)])
        }
    }
}

struct ModelRecord {
    var metadata: Metadata?
    var document: String?
}

@Suite struct MetadataSegmentTests {
    let segment = ObjectPath().collection(tenant: "t", database: "d", collectionID: "c").segment("metadata")

    func expected(_ model: [UInt32: ModelRecord], _ filter: Where?, _ documentFilter: WhereDocument?) throws -> [UInt32]
    {
        let compiled = try documentFilter?.compiled()
        return model.filter { _, record in
            (filter?.matches(record.metadata) ?? true) && (compiled?.matches(document: record.document) ?? true)
        }.keys.sorted()
    }

    func check(
        _ reader: MetadataSegmentReader, _ model: [UInt32: ModelRecord], generator: inout RecordGenerator,
        rounds: Int
    ) async throws {
        let universe = RoaringBitmap(model.keys)
        let verifier = DictionaryVerifier(documents: model.compactMapValues(\.document))
        var selective = 0
        for round in 0..<rounds {
            let filter: Where? = round % 5 == 4 ? nil : generator.filter()
            let documentFilter: WhereDocument? = round % 3 == 0 ? generator.documentFilter() : nil
            let got = try await reader.filter(
                where: filter, whereDocument: documentFilter, universe: universe, verifier: verifier)
            let want = try expected(model, filter, documentFilter)
            if !want.isEmpty && want.count < model.count { selective += 1 }
            let gotIDs = got.array
            let missing = Set(want).subtracting(gotIDs).sorted().prefix(5)
            let extra = Set(gotIDs).subtracting(want).sorted().prefix(5)
            #expect(
                missing.isEmpty && extra.isEmpty,
                "missing \(Array(missing)), extra \(Array(extra)), round \(round): \(filter.map { $0.json.jsonText } ?? "-") \(documentFilter.map { $0.json.jsonText } ?? "-"): got \(got.count), want \(want.count)"
            )
        }
        // Most filters select some records but not all, so the comparison is not vacuous.
        #expect(selective > rounds / 3, "only \(selective) of \(rounds) filters were selective")
    }

    /// Range summaries every 3 values, so that the few distinct values of the pools are summarised too.
    @Test(arguments: [3, 256])
    func filtersEqualBruteForceAfterWriteReopenAndFork(summaryEvery: Int) async throws {
        let store = InMemoryStore()
        var generator = RecordGenerator(seed: 42)
        var model: [UInt32: ModelRecord] = [:]
        let writer = MetadataSegmentWriter(
            forking: .empty(
                store: store, segment: segment, cache: BlockCache(blockCapacity: 1 << 24), maxBlockSize: 16 << 10),
            summaryEvery: summaryEvery)
        for id in UInt32(0)..<3000 {
            let record = ModelRecord(metadata: generator.metadata(), document: generator.document())
            model[id] = record
            try writer.add(offsetID: id, metadata: record.metadata, document: record.document)
        }
        let files = try await writer.commit()
        // Reopen with a cold cache, as another process would.
        let reader = try await MetadataSegmentReader.open(
            store: store, segment: segment, files: files, cache: BlockCache(blockCapacity: 1 << 24))
        #expect(reader.metadata.root.blocks.count > 1)
        try await check(reader, model, generator: &generator, rounds: 400)
        let firstModel = model

        // A fork: remove some records, update others (remove old values, add new), add new ones.
        let fork = MetadataSegmentWriter(forking: reader, summaryEvery: summaryEvery)
        for id in UInt32(0)..<3000 where generator.chance(0.2) {
            guard let old = model[id] else { continue }
            try fork.remove(offsetID: id, metadata: old.metadata, document: old.document)
            if generator.chance(0.5) {
                model[id] = nil
            } else {
                let new = ModelRecord(
                    metadata: generator.chance(0.5) ? old.metadata : generator.metadata(),
                    document: generator.chance(0.5) ? old.document : generator.document())
                try fork.add(offsetID: id, metadata: new.metadata, document: new.document)
                model[id] = new
            }
        }
        for id in UInt32(3000)..<3500 {
            let record = ModelRecord(metadata: generator.metadata(), document: generator.document())
            model[id] = record
            try fork.add(offsetID: id, metadata: record.metadata, document: record.document)
        }
        let forkFiles = try await fork.commit()
        let forked = try await MetadataSegmentReader.open(
            store: store, segment: segment, files: forkFiles, cache: BlockCache(blockCapacity: 1 << 24))
        try await check(forked, model, generator: &generator, rounds: 400)
        // The parent version is untouched by the fork.
        let parentAgain = try await MetadataSegmentReader.open(
            store: store, segment: segment, files: files, cache: BlockCache(blockCapacity: 1 << 24))
        try await check(parentAgain, firstModel, generator: &generator, rounds: 100)
    }

    @Test func universeRestrictsTheResult() async throws {
        let store = InMemoryStore()
        let writer = MetadataSegmentWriter(
            forking: .empty(store: store, segment: segment, cache: BlockCache(blockCapacity: 1 << 20)))
        for id in UInt32(0)..<10 {
            try writer.add(offsetID: id, metadata: ["cat": .int(Int64(id % 2))], document: "doc \(id)")
        }
        let reader = try await MetadataSegmentReader.open(
            store: store, segment: segment, files: try await writer.commit(), cache: BlockCache(blockCapacity: 1 << 20))
        let verifier = DictionaryVerifier(documents: [:])
        let got = try await reader.filter(
            where: .ne("cat", 1), whereDocument: nil, universe: RoaringBitmap([0, 1, 2, 3, 20]), verifier: verifier)
        #expect(got.array == [0, 2, 20])
    }

    @Test func emptySegmentMatchesOnlyNegations() async throws {
        let reader = MetadataSegmentReader.empty(
            store: InMemoryStore(), segment: segment, cache: BlockCache(blockCapacity: 1 << 20))
        let verifier = DictionaryVerifier(documents: [:])
        let universe = RoaringBitmap([1, 2])
        #expect(
            try await reader.filter(where: .eq("a", 1), whereDocument: nil, universe: universe, verifier: verifier)
                .isEmpty)
        #expect(
            try await reader.filter(where: .ne("a", 1), whereDocument: nil, universe: universe, verifier: verifier)
                == universe)
        #expect(
            try await reader.filter(
                where: nil, whereDocument: .notContains("x"), universe: universe, verifier: verifier)
                == universe)
    }

    struct ShortVerifier: MetadataSegmentVerifier {
        func documents(for offsetIDs: [UInt32]) async throws -> [String?] { [] }
    }

    @Test func refusesAVerifierThatAnswersTheWrongCount() async throws {
        let store = InMemoryStore()
        let writer = MetadataSegmentWriter(
            forking: .empty(store: store, segment: segment, cache: BlockCache(blockCapacity: 1 << 20)))
        try writer.add(offsetID: 1, metadata: nil, document: "a rocket")
        let reader = try await MetadataSegmentReader.open(
            store: store, segment: segment, files: try await writer.commit(), cache: BlockCache(blockCapacity: 1 << 20))
        await #expect(throws: MetadataSegmentError.self) {
            try await reader.filter(
                where: nil, whereDocument: .contains("rocket"), universe: RoaringBitmap([1]), verifier: ShortVerifier())
        }
        // A three-byte needle is answered by its trigram alone, without the verifier.
        let got = try await reader.filter(
            where: nil, whereDocument: .contains("roc"), universe: RoaringBitmap([1]), verifier: ShortVerifier())
        #expect(got.array == [1])
        #expect(throws: MetadataSegmentError.self) { try writer.add(offsetID: 2, metadata: nil, document: "x") }
    }

    @Test func updatesKeepOrDropTheRecordPerValue() async throws {
        let store = InMemoryStore()
        let cache = BlockCache(blockCapacity: 1 << 20)
        let first = MetadataSegmentWriter(forking: .empty(store: store, segment: segment, cache: cache))
        try first.add(offsetID: 1, metadata: ["a": 1, "b": "x"], document: "old text")
        let v1 = try await MetadataSegmentReader.open(
            store: store, segment: segment, files: try await first.commit(), cache: cache)
        // Update: remove the old values, add the new ones (b unchanged, a changed, document replaced).
        let second = MetadataSegmentWriter(forking: v1)
        try second.remove(offsetID: 1, metadata: ["a": 1, "b": "x"], document: "old text")
        try second.add(offsetID: 1, metadata: ["a": 2, "b": "x"], document: "new text")
        let v2 = try await MetadataSegmentReader.open(
            store: store, segment: segment, files: try await second.commit(), cache: cache)
        let verifier = DictionaryVerifier(documents: [1: "new text"])
        let one = RoaringBitmap([1])
        #expect(try await v2.filter(where: .eq("b", "x"), whereDocument: nil, universe: one, verifier: verifier) == one)
        #expect(try await v2.filter(where: .eq("a", 1), whereDocument: nil, universe: one, verifier: verifier).isEmpty)
        #expect(try await v2.filter(where: .eq("a", 2), whereDocument: nil, universe: one, verifier: verifier) == one)
        #expect(
            try await v2.filter(where: nil, whereDocument: .contains("old"), universe: one, verifier: verifier).isEmpty)
        #expect(
            try await v2.filter(where: nil, whereDocument: .contains("new"), universe: one, verifier: verifier) == one)
    }

    @Test func refusesAnUnknownFormatVersion() async throws {
        await #expect(throws: MetadataSegmentError.self) {
            try await MetadataSegmentReader.open(
                store: InMemoryStore(), segment: segment,
                files: ["metadata_index.v2": "x", "fulltext_trigrams.v2": "y"],
                cache: BlockCache(blockCapacity: 1 << 20))
        }
    }

    @Test func numberKeysKeepOrderAndRoundTrip() {
        var random = SplitMix64(seed: 3)
        var ints: [Int64] = [.min, -1, 0, 1, .max]
        var doubles: [Double] = [
            -.greatestFiniteMagnitude, -1, -0.5, 0, .leastNonzeroMagnitude, 1, .greatestFiniteMagnitude,
        ]
        for _ in 0..<500 {
            ints.append(Int64(bitPattern: random.next()))
            doubles.append(
                Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF) * (random.next() % 2 == 0 ? 1 : -1))
        }
        for (a, b) in zip(ints.sorted(), ints.sorted().dropFirst()) {
            #expect(MetadataIndexKey.encode(a) <= MetadataIndexKey.encode(b))
        }
        for (a, b) in zip(doubles.sorted(), doubles.sorted().dropFirst()) {
            #expect(MetadataIndexKey.encode(a) <= MetadataIndexKey.encode(b))
        }
        for i in ints { #expect(MetadataIndexKey.decodeInt(MetadataIndexKey.encode(i)) == i) }
        for d in doubles { #expect(MetadataIndexKey.decodeDouble(MetadataIndexKey.encode(d)) == d) }
        #expect(MetadataIndexKey.encode(-0.0) == MetadataIndexKey.encode(0.0))
    }
}
