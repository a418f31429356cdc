// One column (or child) of a record batch: its type, length, null count and buffers, which point into a
// `ByteStorage` (the mapped file, the retained `Data`, or a builder's allocation). Typed views over it
// (`StringArray`, `PrimitiveArray`, `FixedSizeFloat32Array`…) give O(1) access to value i.

public struct ArrowArray: Sendable {
    public let type: ArrowType
    public let length: Int
    public let nullCount: Int
    /// The validity bitmap (bit i set = value i present); nil when no value is null.
    public let validity: ArrowBuffer?
    /// The layout's other buffers: values (primitive, bool), offsets + data (utf8/binary), offsets (list), none
    /// (fixed-size list, struct).
    public let buffers: [ArrowBuffer]
    public let children: [ArrowArray]

    /// Makes an array from parts and checks every size and offset against the buffers (see `validate`).
    public init(
        type: ArrowType, length: Int, nullCount: Int, validity: ArrowBuffer?, buffers: [ArrowBuffer],
        children: [ArrowArray]
    ) throws(ArrowError) {
        self.init(
            unchecked: type, length: length, nullCount: nullCount, validity: validity, buffers: buffers,
            children: children)
        try validate(path: "array", depth: 0, limits: .default)
    }

    init(
        unchecked type: ArrowType, length: Int, nullCount: Int, validity: ArrowBuffer?, buffers: [ArrowBuffer],
        children: [ArrowArray]
    ) {
        self.type = type
        self.length = length
        self.nullCount = nullCount
        self.validity = nullCount > 0 ? validity : nil
        self.buffers = buffers
        self.children = children
    }

    @inline(__always) public func isNull(_ i: Int) -> Bool {
        guard let validity else { return false }
        return validity.pointer.load(fromByteOffset: i >> 3, as: UInt8.self) & (1 << UInt8(i & 7)) == 0
    }

    @inline(__always) public func isValid(_ i: Int) -> Bool { !isNull(i) }
}

// MARK: - Validation

extension ArrowArray {
    /// Number of buffers (validity included) the IPC layout of `type` has.
    static func bufferCount(of type: ArrowType) -> Int {
        switch type {
        case .bool, .int32, .int64, .uint32, .uint64, .float32, .float64: 2
        case .utf8, .binary, .largeUtf8, .largeBinary: 3
        case .list: 2
        case .fixedSizeList, .structure: 1
        }
    }

    /// Checks that every buffer is large enough for `length` values and that every offset lies inside the
    /// data it indexes, recursively. After this, typed views read without further checks.
    func validate(path: String, depth: Int, limits: ArrowLimits) throws(ArrowError) {
        func fail(_ m: String) -> ArrowError { ArrowError(.invalidData, "\(path): \(m)") }
        guard depth <= limits.maxNestingDepth else {
            throw ArrowError(.limitExceeded, "\(path): nesting deeper than \(limits.maxNestingDepth)")
        }
        guard length >= 0, length <= limits.maxBufferBytes else { throw fail("length \(length) out of range") }
        guard nullCount >= 0, nullCount <= length else { throw fail("null count \(nullCount) for \(length) rows") }
        let bitmapBytes = (length + 7) / 8
        if let validity, nullCount > 0, validity.count < bitmapBytes {
            throw fail("validity bitmap has \(validity.count) bytes, \(bitmapBytes) needed")
        }
        if nullCount > 0 && validity == nil { throw fail("\(nullCount) nulls but no validity bitmap") }
        let expectedBuffers = Self.bufferCount(of: type) - 1
        guard buffers.count == expectedBuffers else {
            throw fail("\(buffers.count) buffers for \(type), expected \(expectedBuffers)")
        }
        switch type {
        case .int32, .int64, .uint32, .uint64, .float32, .float64:
            let width = type.primitiveWidth ?? 8
            guard buffers[0].count >= length * width else {
                throw fail("values buffer has \(buffers[0].count) bytes, \(length * width) needed")
            }
            guard children.isEmpty else { throw fail("primitive array with children") }
        case .bool:
            guard buffers[0].count >= bitmapBytes else {
                throw fail("bool buffer has \(buffers[0].count) bytes, \(bitmapBytes) needed")
            }
            guard children.isEmpty else { throw fail("bool array with children") }
        case .utf8, .binary:
            try Self.validateOffsets(buffers[0], Int32.self, length: length, limit: buffers[1].count, fail)
            guard children.isEmpty else { throw fail("\(type) array with children") }
        case .largeUtf8, .largeBinary:
            try Self.validateOffsets(buffers[0], Int64.self, length: length, limit: buffers[1].count, fail)
            guard children.isEmpty else { throw fail("\(type) array with children") }
        case .list(let field):
            guard children.count == 1 else { throw fail("list array needs 1 child, has \(children.count)") }
            guard children[0].type == field.type else { throw fail("list child has type \(children[0].type)") }
            try Self.validateOffsets(buffers[0], Int32.self, length: length, limit: children[0].length, fail)
            try children[0].validate(path: "\(path).\(field.name)", depth: depth + 1, limits: limits)
        case .fixedSizeList(let field, let size):
            guard size >= 0 else { throw fail("negative list size \(size)") }
            guard children.count == 1 else { throw fail("fixed-size list needs 1 child, has \(children.count)") }
            guard children[0].type == field.type else { throw fail("list child has type \(children[0].type)") }
            let (need, overflow) = length.multipliedReportingOverflow(by: size)
            guard !overflow, children[0].length >= need else {
                throw fail("child has \(children[0].length) values, \(length) × \(size) needed")
            }
            try children[0].validate(path: "\(path).\(field.name)", depth: depth + 1, limits: limits)
        case .structure(let fields):
            guard children.count == fields.count else {
                throw fail("struct has \(children.count) children for \(fields.count) fields")
            }
            for (child, field) in zip(children, fields) {
                guard child.type == field.type else { throw fail("child \(field.name) has type \(child.type)") }
                guard child.length >= length else {
                    throw fail("child \(field.name) has \(child.length) values, \(length) needed")
                }
                try child.validate(path: "\(path).\(field.name)", depth: depth + 1, limits: limits)
            }
        }
    }

    /// Offsets must be non-negative, non-decreasing, and end inside the data (or child) they index. An empty
    /// array may have an empty offsets buffer (the IPC spec allows it).
    private static func validateOffsets<O: FixedWidthInteger>(
        _ offsets: ArrowBuffer, _: O.Type, length: Int, limit: Int, _ fail: (String) -> ArrowError
    ) throws(ArrowError) {
        let width = MemoryLayout<O>.size
        if length == 0 && offsets.count == 0 { return }
        guard offsets.count >= (length + 1) * width else {
            throw fail("offsets buffer has \(offsets.count) bytes, \((length + 1) * width) needed")
        }
        let p = offsets.pointer
        var previous = p.loadUnaligned(as: O.self)
        guard previous >= 0 else { throw fail("first offset \(previous) is negative") }
        var bad = false
        var i = 1
        while i <= length {
            let next = p.loadUnaligned(fromByteOffset: i * width, as: O.self)
            bad = bad || next < previous  // branch-free in the loop: checked once after it
            previous = next
            i += 1
        }
        if bad { throw fail("offsets decrease") }
        guard Int(previous) <= limit else {
            throw fail("last offset \(previous) beyond the \(limit) values it indexes")
        }
    }
}
