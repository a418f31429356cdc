// Builders that produce `ArrowArray`s with amortised growth and no per-value allocation. Each `finish()`
// hands its buffers over without copying and leaves the builder empty, ready for the next batch.

/// Int32/Int64/UInt32/UInt64/Float32/Float64 values.
public final class PrimitiveArrayBuilder<T: ArrowPrimitive> {
    private let values: GrowableBuffer
    private var validity = ValidityBuilder()

    public init(capacity: Int = 0) { values = GrowableBuffer(capacity: capacity * MemoryLayout<T>.stride) }

    public var count: Int { validity.length }

    @inline(__always) public func append(_ v: T) {
        values.append(v)
        validity.append(valid: true)
    }

    public func append(_ v: T?) {
        if let v { append(v) } else { appendNull() }
    }

    public func append(contentsOf vs: some Sequence<T>) {
        // Arrays and other contiguous collections are copied whole (the element loop, unspecialized across modules,
        // took a sixth of the server's CPU encoding log fragments during a bulk load).
        if let copied = vs.withContiguousStorageIfAvailable({ buffer in
            values.append(UnsafeRawBufferPointer(buffer))
            return buffer.count
        }) {
            validity.appendValid(copied)
            return
        }
        var n = 0
        for v in vs {
            values.append(v)
            n += 1
        }
        validity.appendValid(n)
    }

    public func append(contentsOf vs: UnsafeBufferPointer<T>) {
        values.append(UnsafeRawBufferPointer(vs))
        validity.appendValid(vs.count)
    }

    public func appendNull() {
        values.appendZeros(MemoryLayout<T>.stride)
        validity.append(valid: false)
    }

    public func finish() -> ArrowArray {
        let length = validity.length
        let (bitmap, nulls) = validity.finish()
        return ArrowArray(
            unchecked: T.arrowType, length: length, nullCount: nulls, validity: bitmap, buffers: [values.finish()],
            children: [])
    }
}

/// Utf8 (or Binary, LargeUtf8, LargeBinary) values: an offsets buffer and one data buffer.
public final class VariableBinaryArrayBuilder {
    public let type: ArrowType
    private let offsets: GrowableBuffer
    private let data: GrowableBuffer
    private var validity = ValidityBuilder()
    private let wide: Bool

    /// `type` is `.utf8`, `.binary`, `.largeUtf8` or `.largeBinary`.
    public init(type: ArrowType = .utf8, capacity: Int = 0, dataCapacity: Int = 0) {
        precondition([.utf8, .binary, .largeUtf8, .largeBinary].contains(type), "not a variable-size binary type")
        self.type = type
        wide = type == .largeUtf8 || type == .largeBinary
        offsets = GrowableBuffer(capacity: (capacity + 1) * (wide ? 8 : 4))
        data = GrowableBuffer(capacity: dataCapacity)
        appendOffset()
    }

    public var count: Int { validity.length }

    @inline(__always) private func appendOffset() {
        if wide { offsets.append(Int64(data.count)) } else { offsets.append(Int32(truncatingIfNeeded: data.count)) }
    }

    public func append(_ s: String) {
        var s = s
        s.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    public func append(_ s: String?) {
        if let s { append(s) } else { appendNull() }
    }

    public func append(bytes: UnsafeRawBufferPointer) {
        data.append(bytes)
        appendOffset()
        validity.append(valid: true)
    }

    public func append(bytes: [UInt8]) { bytes.withUnsafeBytes { append(bytes: $0) } }

    public func appendNull() {
        appendOffset()
        validity.append(valid: false)
    }

    /// Fails when 32-bit offsets overflow (more than 2 GiB of data in a Utf8/Binary array).
    public func finish() throws(ArrowError) -> ArrowArray {
        if !wide && data.count > Int(Int32.max) {
            throw ArrowError(.invalidArgument, "\(data.count) bytes of \(type) data overflow 32-bit offsets")
        }
        let length = validity.length
        let (bitmap, nulls) = validity.finish()
        let o = offsets.finish()
        let d = data.finish()
        appendOffset()
        return ArrowArray(
            unchecked: type, length: length, nullCount: nulls, validity: bitmap, buffers: [o, d], children: [])
    }
}

/// Bool values, bit-packed.
public final class BoolArrayBuilder {
    private let bits = GrowableBuffer()
    private var length = 0
    private var validity = ValidityBuilder()

    public init() {}

    public var count: Int { length }

    public func append(_ v: Bool) {
        if length & 7 == 0 { bits.append(UInt8(0)) }
        if v { bits.orByte(length >> 3, 1 << UInt8(length & 7)) }
        length += 1
        validity.append(valid: true)
    }

    public func append(_ v: Bool?) {
        if let v { append(v) } else { appendNull() }
    }

    public func appendNull() {
        if length & 7 == 0 { bits.append(UInt8(0)) }
        length += 1
        validity.append(valid: false)
    }

    public func finish() -> ArrowArray {
        let n = length
        length = 0
        let (bitmap, nulls) = validity.finish()
        return ArrowArray(
            unchecked: .bool, length: n, nullCount: nulls, validity: bitmap, buffers: [bits.finish()], children: [])
    }
}

/// `FixedSizeList<Float32>[dimension]` (embeddings): vectors appended into one contiguous float buffer.
public final class FixedSizeFloat32ArrayBuilder {
    public let dimension: Int
    private let values: GrowableBuffer
    private var validity = ValidityBuilder()

    public init(dimension: Int, capacity: Int = 0) {
        precondition(dimension >= 0, "negative dimension")
        self.dimension = dimension
        values = GrowableBuffer(capacity: capacity * dimension * 4)
    }

    public var count: Int { validity.length }

    /// Appends one vector; fails when its length is not `dimension`.
    public func append(_ v: UnsafeBufferPointer<Float>) throws(ArrowError) {
        guard v.count == dimension else {
            throw ArrowError(.invalidArgument, "vector of \(v.count) values for dimension \(dimension)")
        }
        values.append(UnsafeRawBufferPointer(v))
        validity.append(valid: true)
    }

    public func append(_ v: [Float]) throws(ArrowError) {
        guard v.count == dimension else {
            throw ArrowError(.invalidArgument, "vector of \(v.count) values for dimension \(dimension)")
        }
        v.withUnsafeBytes { values.append($0) }
        validity.append(valid: true)
    }

    /// Appends `n` vectors stored row-major in `flat` (`flat.count` must be `n × dimension`).
    public func append(contentsOf flat: UnsafeBufferPointer<Float>) throws(ArrowError) {
        guard dimension > 0, flat.count % dimension == 0 else {
            throw ArrowError(.invalidArgument, "\(flat.count) values are not whole vectors of \(dimension)")
        }
        values.append(UnsafeRawBufferPointer(flat))
        validity.appendValid(flat.count / dimension)
    }

    public func appendNull() {
        values.appendZeros(dimension * 4)
        validity.append(valid: false)
    }

    public func finish() -> ArrowArray {
        let length = validity.length
        let (bitmap, nulls) = validity.finish()
        let child = ArrowArray(
            unchecked: .float32, length: length * dimension, nullCount: 0, validity: nil,
            buffers: [values.finish()], children: [])
        return ArrowArray(
            unchecked: .embedding(dimension: dimension), length: length, nullCount: nulls, validity: bitmap,
            buffers: [], children: [child])
    }
}

/// `List<T>` of primitives (List<UInt32>, List<Float32>, …).
public final class ListArrayBuilder<T: ArrowPrimitive> {
    private let offsets: GrowableBuffer
    private let values: PrimitiveArrayBuilder<T>
    private var validity = ValidityBuilder()
    private let itemField: ArrowField

    public init(capacity: Int = 0, itemName: String = "item") {
        offsets = GrowableBuffer(capacity: (capacity + 1) * 4)
        values = PrimitiveArrayBuilder<T>(capacity: capacity)
        itemField = ArrowField(itemName, T.arrowType, nullable: true)
        offsets.append(Int32(0))
    }

    public var count: Int { validity.length }

    public func append(_ list: some Sequence<T>) {
        values.append(contentsOf: list)
        offsets.append(Int32(truncatingIfNeeded: values.count))
        validity.append(valid: true)
    }

    public func appendNull() {
        offsets.append(Int32(truncatingIfNeeded: values.count))
        validity.append(valid: false)
    }

    public func finish() throws(ArrowError) -> ArrowArray {
        if values.count > Int(Int32.max) {
            throw ArrowError(.invalidArgument, "\(values.count) list values overflow 32-bit offsets")
        }
        let length = validity.length
        let (bitmap, nulls) = validity.finish()
        let o = offsets.finish()
        offsets.append(Int32(0))
        return ArrowArray(
            unchecked: .list(itemField), length: length, nullCount: nulls, validity: bitmap, buffers: [o],
            children: [values.finish()])
    }
}

/// A struct column from finished child arrays plus its own validity.
public final class StructArrayBuilder {
    public let fields: [ArrowField]
    private var validity = ValidityBuilder()

    public init(fields: [ArrowField]) { self.fields = fields }

    public var count: Int { validity.length }

    /// Marks struct i present or null (children hold a value, typically null, at null slots too).
    public func append(valid: Bool) { validity.append(valid: valid) }

    public func appendValid(count n: Int) { validity.appendValid(n) }

    /// Combines `children` (one per field, in order, each with as many values as structs were appended).
    public func finish(children: [ArrowArray]) throws(ArrowError) -> ArrowArray {
        let length = validity.length
        let (bitmap, nulls) = validity.finish()
        guard children.count == fields.count else {
            throw ArrowError(.invalidArgument, "\(children.count) children for \(fields.count) struct fields")
        }
        for (c, f) in zip(children, fields) where c.type != f.type || c.length != length {
            throw ArrowError(
                .invalidArgument,
                "struct child \(f.name): \(c.type) × \(c.length), expected \(f.type) × \(length)")
        }
        return ArrowArray(
            unchecked: .structure(fields), length: length, nullCount: nulls, validity: bitmap, buffers: [],
            children: children)
    }
}

// MARK: - One-line constructors (tests, small columns)

extension ArrowArray {
    public static func primitives<T: ArrowPrimitive>(_ values: [T?]) -> ArrowArray {
        let b = PrimitiveArrayBuilder<T>(capacity: values.count)
        for v in values { b.append(v) }
        return b.finish()
    }

    public static func primitives<T: ArrowPrimitive>(_ values: [T]) -> ArrowArray {
        let b = PrimitiveArrayBuilder<T>(capacity: values.count)
        values.withUnsafeBufferPointer { b.append(contentsOf: $0) }
        return b.finish()
    }

    public static func strings(_ values: [String?], type: ArrowType = .utf8) throws(ArrowError) -> ArrowArray {
        let b = VariableBinaryArrayBuilder(type: type, capacity: values.count)
        for v in values { b.append(v) }
        return try b.finish()
    }

    public static func binaries(_ values: [[UInt8]?], type: ArrowType = .binary) throws(ArrowError) -> ArrowArray {
        let b = VariableBinaryArrayBuilder(type: type, capacity: values.count)
        for v in values {
            if let v { b.append(bytes: v) } else { b.appendNull() }
        }
        return try b.finish()
    }

    public static func bools(_ values: [Bool?]) -> ArrowArray {
        let b = BoolArrayBuilder()
        for v in values { b.append(v) }
        return b.finish()
    }

    public static func float32Vectors(_ values: [[Float]?], dimension: Int) throws(ArrowError) -> ArrowArray {
        let b = FixedSizeFloat32ArrayBuilder(dimension: dimension, capacity: values.count)
        for v in values {
            if let v { try b.append(v) } else { b.appendNull() }
        }
        return b.finish()
    }

    public static func lists<T: ArrowPrimitive>(_ values: [[T]?]) throws(ArrowError) -> ArrowArray {
        let b = ListArrayBuilder<T>(capacity: values.count)
        for v in values {
            if let v { b.append(v) } else { b.appendNull() }
        }
        return try b.finish()
    }
}
