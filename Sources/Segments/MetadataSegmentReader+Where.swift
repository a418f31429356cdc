// Evaluating a Where over the metadata index. Every step returns a subset of `within`, so $and narrows as it goes
// and negations are `within` minus the positive set (records without the key match $ne/$nin/$not_contains).
import Bitmaps
import Blockfile

extension MetadataSegmentReader {
    func evaluate(_ filter: Where, within: RoaringBitmap) async throws -> RoaringBitmap {
        switch filter {
        case .and(let children):
            var result = within
            for child in children {
                if result.isEmpty { break }
                result = try await evaluate(child, within: result)
            }
            return result
        case .or(let children):
            var result = RoaringBitmap()
            var rest = within
            for child in children {
                if rest.isEmpty { break }
                let matched = try await evaluate(child, within: rest)
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
        case .stringArray, .intArray, .floatArray, .boolArray:
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
        case .stringArray, .intArray, .floatArray, .boolArray: return RoaringBitmap()
        }
    }

    /// Records whose int or float value `v` satisfies `accept(order(v, operand))`. The scan bounds are a superset
    /// computed in each index's own domain; every key in range is then compared exactly, so the result is exact.
    func range(_ key: String, _ operand: MetadataValue, accept: (Int) -> Bool) async throws -> RoaringBitmap {
        switch operand {
        case .int: return try await numericRange(key, operand, accept: accept)
        case .float(let d) where !d.isNaN: return try await numericRange(key, operand, accept: accept)
        default: return RoaringBitmap()  // range operators compare numbers only
        }
    }

    private func numericRange(_ key: String, _ operand: MetadataValue, accept: (Int) -> Bool) async throws
        -> RoaringBitmap
    {
        // Whether the wanted side is above (gt/gte) or below (lt/lte) the operand.
        let above = accept(1)
        let (intLow, intHigh, floatLow, floatHigh): (String, String, String, String)
        switch operand {
        case .int(let i):
            let d = Double(i)
            intLow = above ? MetadataIndexKey.encode(i) : MetadataIndexKey.lowestNumber
            intHigh = above ? MetadataIndexKey.highestNumber : MetadataIndexKey.encode(i)
            floatLow = above ? MetadataIndexKey.encode(d.nextDown) : MetadataIndexKey.lowestNumber
            floatHigh = above ? MetadataIndexKey.highestNumber : MetadataIndexKey.encode(d.nextUp)
        case .float(let d):
            let clamped = { (x: Double) -> Int64 in
                if x >= 9_223_372_036_854_775_807.0 { return .max }
                if x <= -9_223_372_036_854_775_808.0 { return .min }
                return Int64(x)
            }
            intLow = above ? MetadataIndexKey.encode(clamped(d.rounded(.down))) : MetadataIndexKey.lowestNumber
            intHigh = above ? MetadataIndexKey.highestNumber : MetadataIndexKey.encode(clamped(d.rounded(.up)))
            floatLow = above ? MetadataIndexKey.encode(d) : MetadataIndexKey.lowestNumber
            floatHigh = above ? MetadataIndexKey.highestNumber : MetadataIndexKey.encode(d)
        default:
            return RoaringBitmap()
        }
        var parts: [RoaringBitmap] = []
        let intPrefix = MetadataIndexKey.prefix(.int, key)
        for try await batch in metadata.scan(
            from: BlockfileKey(intPrefix, .string(intLow)), through: BlockfileKey(intPrefix, .string(intHigh))
        ).batches() {
            for (entryKey, bitmap) in zip(batch.keys, batch.values) {
                guard case .string(let text) = entryKey.key, let value = MetadataIndexKey.decodeInt(text),
                    let order = numericOrder(.int(value), operand), accept(order)
                else { continue }
                parts.append(bitmap)
            }
        }
        let floatPrefix = MetadataIndexKey.prefix(.float, key)
        for try await batch in metadata.scan(
            from: BlockfileKey(floatPrefix, .string(floatLow)), through: BlockfileKey(floatPrefix, .string(floatHigh))
        ).batches() {
            for (entryKey, bitmap) in zip(batch.keys, batch.values) {
                guard case .string(let text) = entryKey.key, let value = MetadataIndexKey.decodeDouble(text),
                    let order = numericOrder(.float(value), operand), accept(order)
                else { continue }
                parts.append(bitmap)
            }
        }
        return RoaringBitmap.union(of: parts)
    }
}
