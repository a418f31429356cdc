// Typed, zero-copy views over a validated `ArrowArray`: value i is one load (or two for strings) from the
// underlying bytes. Views check the array's type when made; values need no further checks because
// `ArrowArray.validate` proved every buffer and offset in bounds.

/// Scalars stored as fixed-width little-endian values.
public protocol ArrowPrimitive: Sendable, Comparable, BitwiseCopyable {
    static var arrowType: ArrowType { get }
}
extension Int32: ArrowPrimitive { public static var arrowType: ArrowType { .int32 } }
extension Int64: ArrowPrimitive { public static var arrowType: ArrowType { .int64 } }
extension UInt32: ArrowPrimitive { public static var arrowType: ArrowType { .uint32 } }
extension UInt64: ArrowPrimitive { public static var arrowType: ArrowType { .uint64 } }
extension Float: ArrowPrimitive { public static var arrowType: ArrowType { .float32 } }
extension Double: ArrowPrimitive { public static var arrowType: ArrowType { .float64 } }

extension ArrowArray {
    func expect(_ ok: Bool, _ wanted: String) throws(ArrowError) {
        if !ok { throw ArrowError(.invalidArgument, "column of type \(type) is not \(wanted)") }
    }

    public func primitives<T: ArrowPrimitive>(_: T.Type = T.self) throws(ArrowError) -> PrimitiveArray<T> {
        try expect(type == T.arrowType, "\(T.arrowType)")
        return PrimitiveArray(array: self)
    }

    /// Utf8 or LargeUtf8 values.
    public func strings() throws(ArrowError) -> StringArray {
        try expect(type == .utf8 || type == .largeUtf8, "string")
        return StringArray(array: self)
    }

    /// Binary or LargeBinary values (Utf8 accepted too: its values are bytes).
    public func binaries() throws(ArrowError) -> BinaryArray {
        try expect([.binary, .largeBinary, .utf8, .largeUtf8].contains(type), "binary")
        return BinaryArray(array: self)
    }

    public func bools() throws(ArrowError) -> BoolArray {
        try expect(type == .bool, "bool")
        return BoolArray(array: self)
    }

    /// A `FixedSizeList<Float32>` column (embeddings).
    public func float32Vectors() throws(ArrowError) -> FixedSizeFloat32Array {
        guard case .fixedSizeList(let f, let n) = type, f.type == .float32 else {
            throw ArrowError(.invalidArgument, "column of type \(type) is not fixed_size_list<float>")
        }
        return FixedSizeFloat32Array(array: self, dimension: n)
    }

    public func lists<T: ArrowPrimitive>(of _: T.Type = T.self) throws(ArrowError) -> ListArray<T> {
        guard case .list(let f) = type, f.type == T.arrowType else {
            throw ArrowError(.invalidArgument, "column of type \(type) is not list<\(T.arrowType)>")
        }
        return ListArray(array: self)
    }

    public func structure() throws(ArrowError) -> StructArray {
        guard case .structure(let fields) = type else {
            throw ArrowError(.invalidArgument, "column of type \(type) is not a struct")
        }
        return StructArray(array: self, fields: fields)
    }
}

/// Int32/Int64/UInt32/UInt64/Float32/Float64 values. Element i of a null slot is whatever bytes are there
/// (usually 0); use `value(at:)` to see nulls.
public struct PrimitiveArray<T: ArrowPrimitive>: RandomAccessCollection, Sendable {
    public let array: ArrowArray
    let values: ArrowBuffer

    init(array: ArrowArray) {
        self.array = array
        self.values = array.buffers[0]
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { array.length }

    @inline(__always) public subscript(i: Int) -> T {
        precondition(i >= 0 && i < array.length, "index \(i) out of range")
        return values.pointer.loadUnaligned(fromByteOffset: i &* MemoryLayout<T>.stride, as: T.self)
    }

    public func value(at i: Int) -> T? { array.isNull(i) ? nil : self[i] }

    /// All values as one typed buffer (nulls included as stored), for scans and SIMD kernels.
    public func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<T>) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(values.storage) { () throws(E) -> R in
            try body(UnsafeBufferPointer(start: values.pointer.assumingMemoryBound(to: T.self), count: array.length))
        }
    }

    /// Index of the first value not less than `value` in a column sorted ascending (binary search).
    public func lowerBound(of value: T) -> Int {
        var lo = 0
        var hi = array.length
        while lo < hi {
            let mid = (lo + hi) >> 1
            if self[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// Shared machinery of Utf8/Binary and their Large variants: 32- or 64-bit offsets into a data buffer.
struct VariableBinaryCore: Sendable {
    let array: ArrowArray
    let offsets: ArrowBuffer
    let data: ArrowBuffer
    let wide: Bool

    init(array: ArrowArray) {
        self.array = array
        self.offsets = array.buffers[0]
        self.data = array.buffers[1]
        self.wide = array.type == .largeUtf8 || array.type == .largeBinary
    }

    @inline(__always) func range(_ i: Int) -> Range<Int> {
        precondition(i >= 0 && i < array.length, "index \(i) out of range")
        let p = offsets.pointer
        if wide {
            return Int(
                p.loadUnaligned(fromByteOffset: i &* 8, as: Int64.self))..<Int(
                    p.loadUnaligned(fromByteOffset: (i &+ 1) &* 8, as: Int64.self))
        }
        return Int(
            p.loadUnaligned(fromByteOffset: i &* 4, as: Int32.self))..<Int(
                p.loadUnaligned(fromByteOffset: (i &+ 1) &* 4, as: Int32.self))
    }

    @inline(__always) func bytes(_ i: Int) -> UnsafeRawBufferPointer {
        let r = range(i)
        return UnsafeRawBufferPointer(start: data.pointer + r.lowerBound, count: r.count)
    }

    /// memcmp-order comparison of value i with `key`: <0, 0, >0.
    @inline(__always) func compare(_ i: Int, _ key: UnsafeRawBufferPointer) -> Int {
        let b = bytes(i)
        let n = min(b.count, key.count)
        if n > 0, let kb = key.baseAddress, let bb = b.baseAddress {
            let c = memcmpBytes(bb, kb, n)
            if c != 0 { return c }
        }
        return b.count - key.count
    }

    func lowerBound(_ key: UnsafeRawBufferPointer) -> Int {
        var lo = 0
        var hi = array.length
        while lo < hi {
            let mid = (lo + hi) >> 1
            if compare(mid, key) < 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// memcmp order of `n` bytes at `a` and `b`: negative, zero or positive. Inlinable: key comparisons in other modules
/// (blockfile lookups) run it in their hot loops.
@inlinable @inline(__always)
public func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int {
    var i = 0
    // 8 bytes at a time; the first differing word decides after a byte swap (big-endian order = memcmp order).
    while i &+ 8 <= n {
        let x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        let y = b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        if x != y { return x.byteSwapped < y.byteSwapped ? -1 : 1 }
        i &+= 8
    }
    while i < n {
        let x = a.load(fromByteOffset: i, as: UInt8.self)
        let y = b.load(fromByteOffset: i, as: UInt8.self)
        if x != y { return x < y ? -1 : 1 }
        i &+= 1
    }
    return 0
}

/// Utf8 / LargeUtf8 values. `self[i]` decodes value i into a `String` (invalid UTF-8 is repaired, never
/// trusted); `withUTF8(at:)` and `lowerBound(of:)` work on the bytes without allocating.
public struct StringArray: RandomAccessCollection, Sendable {
    let core: VariableBinaryCore
    public var array: ArrowArray { core.array }

    init(array: ArrowArray) { core = VariableBinaryCore(array: array) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { core.array.length }

    public subscript(i: Int) -> String {
        withExtendedLifetime(core.data.storage) { String(decoding: core.bytes(i), as: UTF8.self) }
    }

    public func value(at i: Int) -> String? { core.array.isNull(i) ? nil : self[i] }

    /// Byte length of value i, O(1).
    public func byteCount(at i: Int) -> Int { core.range(i).count }

    public func withUTF8<R, E: Error>(at i: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(core.data.storage) { () throws(E) -> R in try body(core.bytes(i)) }
    }

    /// Index of the first value not less than `key` (byte order) in a column sorted ascending.
    public func lowerBound(of key: String) -> Int {
        var key = key
        return key.withUTF8 { k in
            withExtendedLifetime(core.data.storage) { core.lowerBound(UnsafeRawBufferPointer(k)) }
        }
    }

    /// Compares value i with `key` in byte order: negative, zero or positive.
    public func compare(at i: Int, with key: String) -> Int {
        var key = key
        return key.withUTF8 { k in
            withExtendedLifetime(core.data.storage) { core.compare(i, UnsafeRawBufferPointer(k)) }
        }
    }
}

/// Binary / LargeBinary values as bytes.
public struct BinaryArray: RandomAccessCollection, Sendable {
    let core: VariableBinaryCore
    public var array: ArrowArray { core.array }

    init(array: ArrowArray) { core = VariableBinaryCore(array: array) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { core.array.length }

    /// A copy of value i.
    public subscript(i: Int) -> [UInt8] {
        withExtendedLifetime(core.data.storage) { Array(core.bytes(i)) }
    }

    public func value(at i: Int) -> [UInt8]? { core.array.isNull(i) ? nil : self[i] }

    public func byteCount(at i: Int) -> Int { core.range(i).count }

    public func withBytes<R, E: Error>(at i: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(core.data.storage) { () throws(E) -> R in try body(core.bytes(i)) }
    }

    public func lowerBound(of key: [UInt8]) -> Int {
        key.withUnsafeBytes { k in withExtendedLifetime(core.data.storage) { core.lowerBound(k) } }
    }
}

/// Bool values (bit-packed).
public struct BoolArray: RandomAccessCollection, Sendable {
    public let array: ArrowArray
    let bits: ArrowBuffer

    init(array: ArrowArray) {
        self.array = array
        self.bits = array.buffers[0]
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { array.length }

    @inline(__always) public subscript(i: Int) -> Bool {
        precondition(i >= 0 && i < array.length, "index \(i) out of range")
        return bits.pointer.load(fromByteOffset: i >> 3, as: UInt8.self) & (1 << UInt8(i & 7)) != 0
    }

    public func value(at i: Int) -> Bool? { array.isNull(i) ? nil : self[i] }
}

/// `FixedSizeList<Float32>[dimension]`: the embedding column. Vector i is `dimension` contiguous floats at
/// `i × dimension` in the child's values buffer; no copy is made to read it.
public struct FixedSizeFloat32Array: RandomAccessCollection, Sendable {
    public let array: ArrowArray
    public let dimension: Int
    let values: ArrowBuffer

    init(array: ArrowArray, dimension: Int) {
        self.array = array
        self.dimension = dimension
        self.values = array.children[0].buffers[0]
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { array.length }

    /// A copy of vector i.
    public subscript(i: Int) -> [Float] { withVector(at: i) { Array($0) } }

    public func value(at i: Int) -> [Float]? { array.isNull(i) ? nil : self[i] }

    /// Vector i in place.
    @inline(__always)
    public func withVector<R, E: Error>(at i: Int, _ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E)
        -> R
    {
        precondition(i >= 0 && i < array.length, "index \(i) out of range")
        return try withExtendedLifetime(values.storage) { () throws(E) -> R in
            let start = (values.pointer + i &* dimension &* 4).assumingMemoryBound(to: Float.self)
            return try body(UnsafeBufferPointer(start: start, count: dimension))
        }
    }

    /// All vectors as one `count × dimension` row-major buffer, for scans.
    public func withUnsafeValues<R, E: Error>(_ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(values.storage) { () throws(E) -> R in
            try body(
                UnsafeBufferPointer(
                    start: values.pointer.assumingMemoryBound(to: Float.self), count: array.length * dimension))
        }
    }
}

/// `List<T>` of primitives: value i is the slice `offsets[i] ..< offsets[i+1]` of the child values.
public struct ListArray<T: ArrowPrimitive>: RandomAccessCollection, Sendable {
    public let array: ArrowArray
    public let values: PrimitiveArray<T>
    let offsets: ArrowBuffer

    init(array: ArrowArray) {
        self.array = array
        self.offsets = array.buffers[0]
        self.values = PrimitiveArray(array: array.children[0])
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { array.length }

    /// Positions of list i's values in `values`.
    @inline(__always) public func range(at i: Int) -> Range<Int> {
        precondition(i >= 0 && i < array.length, "index \(i) out of range")
        let p = offsets.pointer
        return Int(
            p.loadUnaligned(fromByteOffset: i &* 4, as: Int32.self))..<Int(
                p.loadUnaligned(fromByteOffset: (i &+ 1) &* 4, as: Int32.self))
    }

    /// A copy of list i (one bulk copy: decoding a log fragment's embeddings element by element through the
    /// generic subscript cost seconds per 100k vectors).
    public subscript(i: Int) -> [T] {
        let r = range(at: i)
        precondition(r.lowerBound >= 0 && r.upperBound <= values.count, "list \(i) is outside its values")
        return values.withUnsafeBufferPointer { buffer in Array(UnsafeBufferPointer(rebasing: buffer[r])) }
    }

    public func value(at i: Int) -> [T]? { array.isNull(i) ? nil : self[i] }
}

/// A struct column: one child array per field, each at least `count` long.
public struct StructArray: RandomAccessCollection, Sendable {
    public let array: ArrowArray
    public let fields: [ArrowField]

    public var startIndex: Int { 0 }
    public var endIndex: Int { array.length }

    /// Whether struct i is present (the subscript of a struct is its validity; read values via `child`).
    public subscript(i: Int) -> Bool { array.isValid(i) }

    public func child(named name: String) -> ArrowArray? {
        fields.firstIndex { $0.name == name }.map { array.children[$0] }
    }

    public var children: [ArrowArray] { array.children }
}
