// Evaluating a Where over the metadata index. Every step returns a subset of `within`, so $and narrows as it goes
// and negations are `within` minus the positive set (records without the key match $ne/$nin/$not_contains).
import Bitmaps
import Blockfile

extension MetadataSegmentReader {
    func evaluate(_ filter: Where, within: RoaringBitmap, verifier: any MetadataSegmentVerifier) async throws
        -> RoaringBitmap
    {
        switch filter {
        case .document(let condition):
            return try await evaluate(condition, within: within, verifier: verifier)
        case .and(let children):
            var result = within
            for child in children {
                if result.isEmpty { break }
                result = try await evaluate(child, within: result, verifier: verifier)
            }
            return result
        case .or(let children):
            var result = RoaringBitmap()
            var rest = within
            for child in children {
                if rest.isEmpty { break }
                let matched = try await evaluate(child, within: rest, verifier: verifier)
                result.formUnion(matched)
                rest.subtract(matched)
            }
            return result
        case .field(let key, let condition):
            switch condition {
            case .ne(let value): return within.subtracting(try await equal(key, value))
            case .nin(let values): return within.subtracting(try await equalAny(key, values))
            case .notContains(let value): return within.subtracting(try await element(key, value))
            case .eq(let value): return within.intersection(try await equal(key, value))
            case .in(let values): return within.intersection(try await equalAny(key, values))
            case .contains(let value): return within.intersection(try await element(key, value))
            case .gt(let value): return within.intersection(try await range(key, value) { $0 > 0 })
            case .gte(let value): return within.intersection(try await range(key, value) { $0 >= 0 })
            case .lt(let value): return within.intersection(try await range(key, value) { $0 < 0 })
            case .lte(let value): return within.intersection(try await range(key, value) { $0 <= 0 })
            }
        }
    }

    private func lookup(_ tag: MetadataIndexKey.Tag, _ key: String, _ encoded: String) async throws -> RoaringBitmap {
        try await metadata.get(BlockfileKey(MetadataIndexKey.prefix(tag, key), .string(encoded))) ?? RoaringBitmap()
    }

    /// Records whose scalar value equals `value`; ints and floats meet where they are numerically equal.
    func equal(_ key: String, _ value: MetadataValue) async throws -> RoaringBitmap {
        switch value {
        case .string(let s): return try await lookup(.string, key, s)
        case .bool(let b): return try await lookup(.bool, key, MetadataIndexKey.encode(b))
        case .int(let i):
            var result = try await lookup(.int, key, MetadataIndexKey.encode(i))
            let d = Double(i)
            if compareExactly(i, d) == 0 { result.formUnion(try await lookup(.float, key, MetadataIndexKey.encode(d))) }
            return result
        case .float(let d):
            var result = try await lookup(.float, key, MetadataIndexKey.encode(d))
            if d.isFinite, d.rounded(.towardZero) == d, d >= -9_223_372_036_854_775_808.0,
                d < 9_223_372_036_854_775_808.0
            {
                result.formUnion(try await lookup(.int, key, MetadataIndexKey.encode(Int64(d))))
            }
            return result
        case .stringArray, .intArray, .floatArray, .boolArray, .sparseVector:
            return RoaringBitmap()  // a list never equals; validation refuses such operands
        }
    }

    func equalAny(_ key: String, _ values: [MetadataValue]) async throws -> RoaringBitmap {
        var result = RoaringBitmap()
        for value in values { result.formUnion(try await equal(key, value)) }
        return result
    }

    /// Records whose list value has an element of exactly this type and value.
    func element(_ key: String, _ value: MetadataValue) async throws -> RoaringBitmap {
        switch value {
        case .string(let s): return try await lookup(.stringElement, key, s)
        case .int(let i): return try await lookup(.intElement, key, MetadataIndexKey.encode(i))
        case .float(let d): return try await lookup(.floatElement, key, MetadataIndexKey.encode(d))
        case .bool(let b): return try await lookup(.boolElement, key, MetadataIndexKey.encode(b))
        case .stringArray, .intArray, .floatArray, .boolArray, .sparseVector: return RoaringBitmap()
        }
    }

    /// Records whose int or float value `v` satisfies `accept(order(v, operand))` (order: -1, 0, 1). Each index is
    /// scanned over the exact range of its keys that satisfy the condition, computed in its own domain (see
    /// `NumericKeyRange`), so no key is decoded and nothing is rounded.
    func range(_ key: String, _ operand: MetadataValue, accept: (Int) -> Bool) async throws -> RoaringBitmap {
        switch operand {
        case .int, .float: break
        default: return RoaringBitmap()  // range operators compare numbers only
        }
        let comparison = NumericComparison(accept: accept)
        var union = BitmapUnion()
        for (tag, keyRange) in [
            (MetadataIndexKey.Tag.int, NumericKeyRange.ints(comparison, operand)),
            (MetadataIndexKey.Tag.float, NumericKeyRange.floats(comparison, operand)),
        ] {
            guard let keyRange else { continue }
            try await collect(MetadataIndexKey.prefix(tag, key), keyRange, into: &union)
        }
        return union.result()
    }

    /// Adds the lists of `prefix`'s keys in `range`: whole runs from range summaries, the edges entry by entry.
    private func collect(_ prefix: String, _ range: NumericKeyRange, into union: inout BitmapUnion) async throws {
        var covered: (first: String, last: String)?
        let summaries = metadata.scan(
            from: BlockfileKey(RangeSummaries.summaryPrefix(prefix), .string(range.low)),
            through: BlockfileKey(RangeSummaries.summaryPrefix(prefix), .string(range.high + "~")))
        for try await batch in summaries.batches() {
            for (key, bitmap) in zip(batch.keys, batch.values) {
                guard case .string(let text) = key.key, text.utf8.count == 32 else { continue }
                let first = String(text.prefix(16))
                let last = String(text.suffix(16))
                let afterLow = first > range.low || (range.lowInclusive && first == range.low)
                let beforeHigh = last < range.high || (range.highInclusive && last == range.high)
                // Summaries come in key order and only the first and the last can straddle the range, so those
                // inside form one contiguous run.
                guard afterLow && beforeHigh else { continue }
                covered = (covered?.first ?? first, last)
                union.add(bitmap)
            }
        }
        guard let covered else {
            try await scan(prefix, range, into: &union)
            return
        }
        try await scan(
            prefix,
            NumericKeyRange(
                low: range.low, lowInclusive: range.lowInclusive, high: covered.first, highInclusive: false),
            into: &union)
        try await scan(
            prefix,
            NumericKeyRange(
                low: covered.last, lowInclusive: false, high: range.high, highInclusive: range.highInclusive),
            into: &union)
    }

    private func scan(_ prefix: String, _ range: NumericKeyRange, into union: inout BitmapUnion) async throws {
        let entries = metadata.scan(
            from: BlockfileKey(prefix, .string(range.low)), through: BlockfileKey(prefix, .string(range.high)))
        for try await batch in entries.batches() {
            for (entryKey, bitmap) in zip(batch.keys, batch.values) {
                if !range.lowInclusive || !range.highInclusive, case .string(let text) = entryKey.key {
                    if !range.lowInclusive && text == range.low { continue }
                    if !range.highInclusive && text == range.high { continue }
                }
                union.add(bitmap)
            }
        }
    }
}

/// Collects many bitmaps: small ones as arrays added at once, large ones unioned, which beats thousands of in-place
/// unions of one-element bitmaps (a float key with distinct values).
struct BitmapUnion {
    private var values: [UInt32] = []
    private var bitmaps: [RoaringBitmap] = []

    mutating func add(_ bitmap: RoaringBitmap) {
        if bitmap.count <= 64 { values.append(contentsOf: bitmap.array) } else { bitmaps.append(bitmap) }
    }

    func result() -> RoaringBitmap {
        var result = RoaringBitmap(values)
        for bitmap in bitmaps { result.formUnion(bitmap) }
        return result
    }
}

enum NumericComparison {
    case gt, gte, lt, lte

    init(accept: (Int) -> Bool) {
        switch (accept(1), accept(0)) {
        case (true, true): self = .gte
        case (true, false): self = .gt
        case (false, true): self = .lte
        case (false, false): self = .lt
        }
    }
}

/// The keys of one numeric index (encoded, inclusive or exclusive at each end) whose values satisfy a comparison;
/// nil when no value of that type can.
struct NumericKeyRange {
    var low: String
    var lowInclusive: Bool
    var high: String
    var highInclusive: Bool

    static let two63 = 9_223_372_036_854_775_808.0

    private static func above(_ bound: String, inclusive: Bool) -> NumericKeyRange {
        NumericKeyRange(low: bound, lowInclusive: inclusive, high: MetadataIndexKey.highestNumber, highInclusive: true)
    }

    private static func below(_ bound: String, inclusive: Bool) -> NumericKeyRange {
        NumericKeyRange(low: MetadataIndexKey.lowestNumber, lowInclusive: true, high: bound, highInclusive: inclusive)
    }

    private static let everything = above(MetadataIndexKey.lowestNumber, inclusive: true)

    /// Int64 values `v` with `v op operand`.
    static func ints(_ op: NumericComparison, _ operand: MetadataValue) -> NumericKeyRange? {
        switch operand {
        case .int(let i):
            let e = MetadataIndexKey.encode(i)
            switch op {
            case .gt: return above(e, inclusive: false)
            case .gte: return above(e, inclusive: true)
            case .lt: return below(e, inclusive: false)
            case .lte: return below(e, inclusive: true)
            }
        case .float(let d) where !d.isNaN:
            // v > d ⇔ v > floor(d); v >= d ⇔ v >= ceil(d); v < d ⇔ v < ceil(d); v <= d ⇔ v <= floor(d).
            let (bound, inclusive, upward): (Double, Bool, Bool)
            switch op {
            case .gt: (bound, inclusive, upward) = (d.rounded(.down), false, true)
            case .gte: (bound, inclusive, upward) = (d.rounded(.up), true, true)
            case .lt: (bound, inclusive, upward) = (d.rounded(.up), false, false)
            case .lte: (bound, inclusive, upward) = (d.rounded(.down), true, false)
            }
            if bound >= two63 { return upward ? nil : everything }
            if bound < -two63 { return upward ? everything : nil }
            let e = MetadataIndexKey.encode(Int64(bound))
            return upward ? above(e, inclusive: inclusive) : below(e, inclusive: inclusive)
        default:
            return nil
        }
    }

    /// Double values `f` with `f op operand`.
    static func floats(_ op: NumericComparison, _ operand: MetadataValue) -> NumericKeyRange? {
        switch operand {
        case .float(let d) where !d.isNaN:
            let e = MetadataIndexKey.encode(d)
            switch op {
            case .gt: return above(e, inclusive: false)
            case .gte: return above(e, inclusive: true)
            case .lt: return below(e, inclusive: false)
            case .lte: return below(e, inclusive: true)
            }
        case .int(let i):
            // dd is the double nearest to i: no double lies strictly between them, so comparing with i is comparing
            // with dd, inclusive or not depending on which side of dd the integer lies.
            let dd = Double(i)
            let side = compareExactly(i, dd) ?? 0  // -1: i < dd, 1: i > dd
            let e = MetadataIndexKey.encode(dd)
            switch op {
            case .gt: return above(e, inclusive: side < 0)
            case .gte: return above(e, inclusive: side <= 0)
            case .lt: return below(e, inclusive: side > 0)
            case .lte: return below(e, inclusive: side >= 0)
            }
        default:
            return nil
        }
    }
}
