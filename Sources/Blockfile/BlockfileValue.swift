// The value types a blockfile can hold, and how each is laid out as Arrow columns in a block. One file per
// concern: this protocol and the simple types; `DataRecord` has its own file.
import ArrowIPC
import Bitmaps
import Foundation

/// A value type of blockfiles: its Arrow columns, how to read value i back from them, and its size in a block.
public protocol BlockfileValue: Sendable, Equatable {
    static var valueType: ValueType { get }
    /// Bytes this value adds to a block (its share of the Arrow buffers), for block sizing.
    var encodedSize: Int { get }
    /// The value columns of a block holding `values`.
    static func makeColumns(_ values: [Self]) throws(ArrowError) -> [(ArrowField, ArrowArray)]

    /// Zero-copy views of the value columns of a decoded block.
    associatedtype Columns: Sendable
    static func columns(in batch: RecordBatch) throws(ArrowError) -> Columns
    static func value(in columns: Columns, at index: Int) throws(BlockfileError) -> Self
    /// Appends values `range` of a decoded block to `values`: what scans call, once per run of entries, so that
    /// the per-value loop is compiled for the concrete type even where the scan's own code is generic. The
    /// default reads `value(in:at:)` one at a time.
    static func appendValues(in columns: Columns, _ range: Range<Int>, to values: inout [Self]) throws(BlockfileError)
    /// The value stored beside a delete in a delta block (never read back).
    static var placeholder: Self { get }
}

extension BlockfileValue {
    public static func appendValues(in columns: Columns, _ range: Range<Int>, to values: inout [Self])
        throws(BlockfileError)
    {
        for i in range { values.append(try value(in: columns, at: i)) }
    }
}

extension String: BlockfileValue {
    public static var valueType: ValueType { .string }
    public var encodedSize: Int { utf8.count + 4 }
    public static func makeColumns(_ values: [String]) throws(ArrowError) -> [(ArrowField, ArrowArray)] {
        let builder = VariableBinaryArrayBuilder(type: .utf8, capacity: values.count)
        for value in values { builder.append(value) }
        return [(ArrowField("value", .utf8, nullable: false), try builder.finish())]
    }
    public static func columns(in batch: RecordBatch) throws(ArrowError) -> StringArray { try batch.strings("value") }
    public static func value(in columns: StringArray, at index: Int) -> String { columns[index] }
    public static func appendValues(in columns: StringArray, _ range: Range<Int>, to values: inout [String]) {
        let raw = RawUTF8Column(columns)
        withExtendedLifetime(columns) {
            for i in range { values.append(raw.string(i)) }
        }
    }
    public static var placeholder: String { "" }
}

extension UInt32: BlockfileValue {
    public static var valueType: ValueType { .uint32 }
    public var encodedSize: Int { 4 }
    public static func makeColumns(_ values: [UInt32]) throws(ArrowError) -> [(ArrowField, ArrowArray)] {
        [(ArrowField("value", .uint32, nullable: false), ArrowArray.primitives(values))]
    }
    public static func columns(in batch: RecordBatch) throws(ArrowError) -> PrimitiveArray<UInt32> {
        try batch.primitives("value", as: UInt32.self)
    }
    /// Reads the buffer directly: `PrimitiveArray`'s subscript is generic code of another module, which this module
    /// would call unspecialised (with a metadata lookup) for every value.
    public static func value(in columns: PrimitiveArray<UInt32>, at index: Int) -> UInt32 {
        precondition(index >= 0 && index < columns.array.length, "index \(index) out of range")
        return withExtendedLifetime(columns) { RawUInt32Column(columns)[index] }
    }
    public static func appendValues(in columns: PrimitiveArray<UInt32>, _ range: Range<Int>, to values: inout [UInt32])
    {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns.array.length, "range out of bounds")
        withExtendedLifetime(columns) {
            let raw = RawUInt32Column(columns)
            values.append(
                contentsOf: UnsafeBufferPointer(
                    start: raw.values.assumingMemoryBound(to: UInt32.self) + range.lowerBound, count: range.count))
        }
    }
    public static var placeholder: UInt32 { 0 }
}

extension Array: BlockfileValue where Element: BlockfileListElement {
    public static var valueType: ValueType { Element.listValueType }
    public var encodedSize: Int { count * MemoryLayout<Element>.size + 4 }
    public static func makeColumns(_ values: [[Element]]) throws(ArrowError) -> [(ArrowField, ArrowArray)] {
        let builder = ListArrayBuilder<Element>(capacity: values.count)
        for value in values { builder.append(value) }
        let column = try builder.finish()
        return [(ArrowField("value", column.type, nullable: false), column)]
    }
    public static func columns(in batch: RecordBatch) throws(ArrowError) -> ListArray<Element> {
        try batch.lists("value", of: Element.self)
    }
    public static func value(in columns: ListArray<Element>, at index: Int) -> [Element] { columns[index] }
    public static var placeholder: [Element] { [] }
}

/// Element types of list values: `[UInt32]` and `[Float]`.
public protocol BlockfileListElement: ArrowPrimitive {
    static var listValueType: ValueType { get }
}

extension UInt32: BlockfileListElement { public static var listValueType: ValueType { .uint32List } }
extension Float: BlockfileListElement { public static var listValueType: ValueType { .float32List } }

extension RoaringBitmap: BlockfileValue {
    public static var valueType: ValueType { .roaringBitmap }
    /// Serialising to measure would double the cost of every write: estimate from the cardinality (array
    /// containers, 2 bytes a member, plus headers); blocks are split on estimates and report their real size.
    public var encodedSize: Int { Swift.min(count * 2, 8192 * Swift.max(1, count / 65536 + 1)) + 16 }
    public static func makeColumns(_ values: [RoaringBitmap]) throws(ArrowError) -> [(ArrowField, ArrowArray)] {
        let builder = VariableBinaryArrayBuilder(type: .binary, capacity: values.count)
        for value in values {
            value.serialized().withUnsafeBytes { builder.append(bytes: $0) }
        }
        return [(ArrowField("value", .binary, nullable: false), try builder.finish())]
    }
    public static func columns(in batch: RecordBatch) throws(ArrowError) -> BinaryArray { try batch.binaries("value") }
    public static var placeholder: RoaringBitmap { RoaringBitmap() }
    public static func value(in columns: BinaryArray, at index: Int) throws(BlockfileError) -> RoaringBitmap {
        do {
            return try columns.withBytes(at: index) { bytes throws(RoaringBitmapError) in
                try RoaringBitmap(serialized: bytes)
            }
        } catch {
            throw BlockfileError(.corrupt, "value \(index): \(error)")
        }
    }
}
