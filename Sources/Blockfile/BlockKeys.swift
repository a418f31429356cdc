// The keys of a block (or of a root's first/last keys) as raw pointers into Arrow buffers. Lookups binary-search
// the offsets and bytes here, and scans materialise keys from here, in non-generic code that neither allocates
// nor touches reference counts per entry: whatever `Value` a reader has, its hot loops are compiled once, fully
// optimised. The pointers stay valid while the arrays they come from live (the owner keeps them); the types are
// `@unchecked Sendable` because Arrow bytes are never written after they are decoded or built.
import ArrowIPC

/// A utf8 or large-utf8 column: offsets into a data buffer.
struct RawUTF8Column: @unchecked Sendable {
    let offsets: UnsafeRawPointer
    let data: UnsafeRawPointer
    let wide: Bool

    init(_ column: StringArray) {
        let array = column.array
        // Arrow buffers always have an address (an empty buffer points at its storage), and a validated array's
        // offsets lie inside its data.
        offsets = array.buffers[0].bytes.baseAddress!
        data = array.buffers[1].bytes.baseAddress!
        wide = array.type == .largeUtf8
    }

    @inline(__always) func bytes(_ i: Int) -> UnsafeRawBufferPointer {
        let start: Int
        let end: Int
        if wide {
            start = Int(offsets.loadUnaligned(fromByteOffset: i &* 8, as: Int64.self))
            end = Int(offsets.loadUnaligned(fromByteOffset: (i &+ 1) &* 8, as: Int64.self))
        } else {
            start = Int(offsets.loadUnaligned(fromByteOffset: i &* 4, as: Int32.self))
            end = Int(offsets.loadUnaligned(fromByteOffset: (i &+ 1) &* 4, as: Int32.self))
        }
        return UnsafeRawBufferPointer(start: data + start, count: end &- start)
    }

    @inline(__always) func string(_ i: Int) -> String { String(decoding: bytes(i), as: UTF8.self) }
}

/// A column of little-endian UInt32s.
struct RawUInt32Column: @unchecked Sendable {
    let values: UnsafeRawPointer

    init(_ column: PrimitiveArray<UInt32>) { values = column.array.buffers[0].bytes.baseAddress! }

    @inline(__always) subscript(i: Int) -> UInt32 { values.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self) }
}

/// memcmp order of two byte strings (a proper prefix first): negative, zero or positive.
@inline(__always) func compareBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
    let n = min(a.count, b.count)
    if n > 0, let x = a.baseAddress, let y = b.baseAddress {
        let order = memcmpBytes(x, y, n)
        if order != 0 { return order }
    }
    return a.count &- b.count
}

@inline(__always) func threeWay<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }

/// A key being looked up, as bytes and scalars (made once per lookup, not per comparison).
struct KeyProbe {
    enum Key {
        case string(UnsafeRawBufferPointer)
        case uint32(UInt32)
        case float32(Float)
        case bool(Bool)
    }
    let prefix: UnsafeRawBufferPointer
    let key: Key
    let type: KeyType

    /// Calls `body` with a probe for `key`; the probe's pointers are valid only inside `body`.
    @inline(__always) static func with<R>(_ key: BlockfileKey, _ body: (KeyProbe) -> R) -> R {
        var prefix = key.prefix
        return prefix.withUTF8 { p in
            switch key.key {
            case .string(var s):
                s.withUTF8 { k in
                    body(
                        KeyProbe(
                            prefix: UnsafeRawBufferPointer(p), key: .string(UnsafeRawBufferPointer(k)), type: .string))
                }
            case .uint32(let v): body(KeyProbe(prefix: UnsafeRawBufferPointer(p), key: .uint32(v), type: .uint32))
            case .float32(let v): body(KeyProbe(prefix: UnsafeRawBufferPointer(p), key: .float32(v), type: .float32))
            case .bool(let v): body(KeyProbe(prefix: UnsafeRawBufferPointer(p), key: .bool(v), type: .bool))
            }
        }
    }
}

/// Sorted `(prefix, key)` entries over Arrow columns: a block's keys, or a root's first or last keys.
struct BlockKeys: @unchecked Sendable {
    enum Keys {
        case string(RawUTF8Column)
        case uint32(UnsafeRawPointer)
        case float32(UnsafeRawPointer)
        /// Bit-packed, least significant bit first.
        case bool(UnsafeRawPointer)
    }

    let count: Int
    let type: KeyType
    let prefixes: RawUTF8Column
    let keys: Keys

    /// Views `prefixes` and `keys` (of equal length, no nulls); the caller keeps their arrays alive.
    init(prefixes: StringArray, keys: KeyColumn) {
        count = prefixes.count
        self.prefixes = RawUTF8Column(prefixes)
        switch keys {
        case .string(let column):
            type = .string
            self.keys = .string(RawUTF8Column(column))
        case .uint32(let column):
            type = .uint32
            self.keys = .uint32(column.array.buffers[0].bytes.baseAddress!)
        case .float32(let column):
            type = .float32
            self.keys = .float32(column.array.buffers[0].bytes.baseAddress!)
        case .bool(let column):
            type = .bool
            self.keys = .bool(column.array.buffers[0].bytes.baseAddress!)
        }
    }

    @inline(__always) static func uint32(_ p: UnsafeRawPointer, _ i: Int) -> UInt32 {
        p.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self)
    }

    @inline(__always) static func float32(_ p: UnsafeRawPointer, _ i: Int) -> Float {
        p.loadUnaligned(fromByteOffset: i &* 4, as: Float.self)
    }

    @inline(__always) static func bool(_ p: UnsafeRawPointer, _ i: Int) -> Bool {
        p.load(fromByteOffset: i >> 3, as: UInt8.self) & (1 << UInt8(truncatingIfNeeded: i & 7)) != 0
    }

    // MARK: Keys as values

    func keyValue(at i: Int) -> KeyValue {
        switch keys {
        case .string(let column): .string(column.string(i))
        case .uint32(let p): .uint32(Self.uint32(p, i))
        case .float32(let p): .float32(Self.float32(p, i))
        case .bool(let p): .bool(Self.bool(p, i))
        }
    }

    func key(at i: Int) -> BlockfileKey { BlockfileKey(prefixes.string(i), keyValue(at: i)) }

    /// Appends the keys of entries `range` to `out`. Runs of one prefix share one `String` (most blockfiles have
    /// few prefixes, and a prefix's keys are adjacent).
    func appendKeys(_ range: Range<Int>, to out: inout [BlockfileKey]) {
        guard !range.isEmpty else { return }
        var currentBytes = prefixes.bytes(range.lowerBound)
        var current = String(decoding: currentBytes, as: UTF8.self)
        @inline(__always) func prefix(at i: Int) -> String {
            let bytes = prefixes.bytes(i)
            if bytes.count != currentBytes.count || compareBytes(bytes, currentBytes) != 0 {
                currentBytes = bytes
                current = String(decoding: bytes, as: UTF8.self)
            }
            return current
        }
        switch keys {
        case .string(let column):
            for i in range { out.append(BlockfileKey(prefix(at: i), .string(column.string(i)))) }
        case .uint32(let p):
            for i in range { out.append(BlockfileKey(prefix(at: i), .uint32(Self.uint32(p, i)))) }
        case .float32(let p):
            for i in range { out.append(BlockfileKey(prefix(at: i), .float32(Self.float32(p, i)))) }
        case .bool(let p):
            for i in range { out.append(BlockfileKey(prefix(at: i), .bool(Self.bool(p, i)))) }
        }
    }

    // MARK: Comparisons

    /// Entry i against `probe`: negative, zero or positive. Keys of another type order by type, as `KeyValue` does.
    @inline(__always) func compare(_ i: Int, _ probe: KeyProbe) -> Int {
        let byPrefix = compareBytes(prefixes.bytes(i), probe.prefix)
        if byPrefix != 0 { return byPrefix }
        switch (keys, probe.key) {
        case (.string(let column), .string(let k)): return compareBytes(column.bytes(i), k)
        case (.uint32(let p), .uint32(let v)): return threeWay(Self.uint32(p, i), v)
        case (.float32(let p), .float32(let v)): return threeWay(Self.float32(p, i), v)
        case (.bool(let p), .bool(let v)):
            let b = Self.bool(p, i)
            return b == v ? 0 : (v ? -1 : 1)
        default: return type.rank < probe.type.rank ? -1 : 1
        }
    }

    func compare(_ i: Int, with key: BlockfileKey) -> Int {
        KeyProbe.with(key) { compare(i, $0) }
    }

    /// Entry i against entry j of `other` (keys of the same blockfile).
    func compare(_ i: Int, _ other: BlockKeys, _ j: Int) -> Int {
        let byPrefix = compareBytes(prefixes.bytes(i), other.prefixes.bytes(j))
        if byPrefix != 0 { return byPrefix }
        switch (keys, other.keys) {
        case (.string(let a), .string(let b)): return compareBytes(a.bytes(i), b.bytes(j))
        case (.uint32(let a), .uint32(let b)): return threeWay(Self.uint32(a, i), Self.uint32(b, j))
        case (.float32(let a), .float32(let b)): return threeWay(Self.float32(a, i), Self.float32(b, j))
        case (.bool(let a), .bool(let b)):
            let (x, y) = (Self.bool(a, i), Self.bool(b, j))
            return x == y ? 0 : (y ? -1 : 1)
        default: return type.rank < other.type.rank ? -1 : (type.rank == other.type.rank ? 0 : 1)
        }
    }

    /// The first index in `range` whose entry is not `below` the probe, where `below(c)` reads the comparison.
    /// The `switch` over the key column is hoisted out of the loop: one tight loop per key type.
    @inline(__always) fileprivate func partition(_ probe: KeyProbe, in range: Range<Int>, _ below: (Int) -> Bool) -> Int
    {
        var low = range.lowerBound
        var high = range.upperBound
        @inline(__always) func search(_ compareKey: (Int) -> Int) -> Int {
            while low < high {
                let mid = Int(bitPattern: UInt(bitPattern: low &+ high) >> 1)
                var c = compareBytes(prefixes.bytes(mid), probe.prefix)
                if c == 0 { c = compareKey(mid) }
                if below(c) { low = mid &+ 1 } else { high = mid }
            }
            return low
        }
        switch (keys, probe.key) {
        case (.string(let column), .string(let k)): return search { compareBytes(column.bytes($0), k) }
        case (.uint32(let p), .uint32(let v)): return search { threeWay(Self.uint32(p, $0), v) }
        case (.float32(let p), .float32(let v)): return search { threeWay(Self.float32(p, $0), v) }
        default: return search { compare($0, probe) }
        }
    }

    /// The entries a search for `probe` must look at: all of them, or, with a `sample` of these keys, the ones
    /// between the two samples around the answer (`below` as in `partition`).
    @inline(__always) private func candidates(_ probe: KeyProbe, _ sample: KeySample?, _ below: (Int) -> Bool)
        -> Range<Int>
    {
        guard let sample else { return 0..<count }
        let samples = sample.keys.count
        let t = sample.keys.partition(probe, in: 0..<samples, below)
        // Sample t - 1 (entry (t - 1) * stride) is below the probe and sample t is not: the answer lies between.
        return (t > 0 ? (t - 1) * KeySample.stride + 1 : 0)..<(t < samples ? t * KeySample.stride : count)
    }

    /// The index of the first entry not less than `key`.
    func lowerBound(_ key: BlockfileKey, sample: KeySample? = nil) -> Int {
        KeyProbe.with(key) { probe in
            partition(probe, in: candidates(probe, sample) { $0 < 0 }) { $0 < 0 }
        }
    }

    /// The index of the first entry greater than `key`.
    func upperBound(_ key: BlockfileKey, sample: KeySample? = nil) -> Int {
        KeyProbe.with(key) { probe in
            partition(probe, in: candidates(probe, sample) { $0 <= 0 }) { $0 <= 0 }
        }
    }

    /// The index of the entry equal to `key`, if any.
    func index(of key: BlockfileKey, sample: KeySample? = nil) -> Int? {
        KeyProbe.with(key) { probe in
            let i = partition(probe, in: candidates(probe, sample) { $0 < 0 }) { $0 < 0 }
            return i < count && compare(i, probe) == 0 ? i : nil
        }
    }

    /// The index of the first entry whose prefix sorts after `prefix`.
    func prefixEnd(_ prefix: String) -> Int {
        var prefix = prefix
        return prefix.withUTF8 { p in
            let p = UnsafeRawBufferPointer(p)
            var low = 0
            var high = count
            while low < high {
                let mid = (low + high) >> 1
                if compareBytes(prefixes.bytes(mid), p) <= 0 { low = mid + 1 } else { high = mid }
            }
            return low
        }
    }
}

/// Every `stride`-th key of a block, copied into small columns of their own. A lookup binary-searches these first
/// (a few kilobytes, which stay in cache) and then at most `stride` entries of the block, where a search of the
/// whole block would touch two cache lines (offset and bytes) at each of its ~16 steps across a megabyte.
final class KeySample: Sendable {
    static let stride = 32

    let keys: BlockKeys
    /// Own the bytes `keys` points into.
    private let arrays: [ArrowArray]

    /// A sample of `block`'s keys; nil when the block is small enough to search directly.
    init?(_ block: BlockKeys) {
        guard block.count > 4 * Self.stride else { return nil }
        let n = (block.count + Self.stride - 1) / Self.stride
        let entries = Swift.stride(from: 0, to: block.count, by: Self.stride)
        let prefixes = VariableBinaryArrayBuilder(type: .utf8, capacity: n)
        for i in entries { prefixes.append(bytes: block.prefixes.bytes(i)) }
        let keyArray: ArrowArray
        switch block.keys {
        case .string(let column):
            let builder = VariableBinaryArrayBuilder(type: .utf8, capacity: n)
            for i in entries { builder.append(bytes: column.bytes(i)) }
            guard let array = try? builder.finish() else { return nil }
            keyArray = array
        case .uint32(let p):
            let builder = PrimitiveArrayBuilder<UInt32>(capacity: n)
            for i in entries { builder.append(BlockKeys.uint32(p, i)) }
            keyArray = builder.finish()
        case .float32(let p):
            let builder = PrimitiveArrayBuilder<Float>(capacity: n)
            for i in entries { builder.append(BlockKeys.float32(p, i)) }
            keyArray = builder.finish()
        case .bool(let p):
            let builder = BoolArrayBuilder()
            for i in entries { builder.append(BlockKeys.bool(p, i)) }
            keyArray = builder.finish()
        }
        guard let prefixArray = try? prefixes.finish(), let strings = try? prefixArray.strings(),
            let column = try? KeyColumn(keyArray, block.type)
        else { return nil }
        keys = BlockKeys(prefixes: strings, keys: column)
        arrays = [prefixArray, keyArray]
    }
}
