// A Swift value type over CRoaring's compressed bitmaps of UInt32 (offset ids), with the portable
// serialisation format that pyroaring, Java's RoaringBitmap and Go's roaring read and write.
import CRoaring

/// A set of `UInt32`, compressed. Value semantics (copy-on-write); safe to share between tasks.
public struct RoaringBitmap: Sendable {
    /// The one owner of a `roaring_bitmap_t`. Mutated only while uniquely referenced (copy-on-write), so sharing
    /// it between threads is safe: that is why it may be `@unchecked Sendable`.
    final class Storage: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<roaring_bitmap_t>

        init(_ pointer: UnsafeMutablePointer<roaring_bitmap_t>) { self.pointer = pointer }

        deinit { roaring_bitmap_free(pointer) }
    }

    private var storage: Storage

    /// An empty bitmap.
    public init() {
        storage = Storage(roaring_bitmap_create())
    }

    /// A bitmap of `values`, in any order, duplicates allowed.
    public init<S: Sequence>(_ values: S) where S.Element == UInt32 {
        self.init()
        let array = Array(values)
        array.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { roaring_bitmap_add_many(storage.pointer, buffer.count, base) }
        }
        roaring_bitmap_run_optimize(storage.pointer)
    }

    /// Takes ownership of a bitmap CRoaring allocated.
    init(taking pointer: UnsafeMutablePointer<roaring_bitmap_t>) {
        storage = Storage(pointer)
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = Storage(roaring_bitmap_copy(storage.pointer))
        }
    }

    var pointer: UnsafePointer<roaring_bitmap_t> { UnsafePointer(storage.pointer) }

    // MARK: Queries

    public var count: Int { Int(roaring_bitmap_get_cardinality(pointer)) }
    public var isEmpty: Bool { roaring_bitmap_is_empty(pointer) }
    public func contains(_ value: UInt32) -> Bool { roaring_bitmap_contains(pointer, value) }
    public var min: UInt32? { isEmpty ? nil : roaring_bitmap_minimum(pointer) }
    public var max: UInt32? { isEmpty ? nil : roaring_bitmap_maximum(pointer) }
    /// How many members are less than or equal to `value`.
    public func rank(_ value: UInt32) -> Int { Int(roaring_bitmap_rank(pointer, value)) }

    /// The members in ascending order.
    public var array: [UInt32] {
        let n = count
        return [UInt32](unsafeUninitializedCapacity: n) { buffer, initialized in
            if let base = buffer.baseAddress { roaring_bitmap_to_uint32_array(pointer, base) }
            initialized = n
        }
    }

    // MARK: Mutation

    public mutating func insert(_ value: UInt32) {
        makeUnique()
        roaring_bitmap_add(storage.pointer, value)
    }

    public mutating func remove(_ value: UInt32) {
        makeUnique()
        roaring_bitmap_remove(storage.pointer, value)
    }

    /// Adds every value in `lower..<upper`.
    public mutating func insert(range: Range<UInt32>) {
        guard !range.isEmpty else { return }
        makeUnique()
        roaring_bitmap_add_range_closed(storage.pointer, range.lowerBound, range.upperBound - 1)
    }

    // MARK: Set algebra

    public func intersection(_ other: RoaringBitmap) -> RoaringBitmap {
        RoaringBitmap(taking: roaring_bitmap_and(pointer, other.pointer))
    }

    public func union(_ other: RoaringBitmap) -> RoaringBitmap {
        RoaringBitmap(taking: roaring_bitmap_or(pointer, other.pointer))
    }

    public func subtracting(_ other: RoaringBitmap) -> RoaringBitmap {
        RoaringBitmap(taking: roaring_bitmap_andnot(pointer, other.pointer))
    }

    public func intersectionCount(_ other: RoaringBitmap) -> Int {
        Int(roaring_bitmap_and_cardinality(pointer, other.pointer))
    }

    public mutating func formUnion(_ other: RoaringBitmap) {
        makeUnique()
        roaring_bitmap_or_inplace(storage.pointer, other.pointer)
    }

    public mutating func formIntersection(_ other: RoaringBitmap) {
        makeUnique()
        roaring_bitmap_and_inplace(storage.pointer, other.pointer)
    }

    public mutating func subtract(_ other: RoaringBitmap) {
        makeUnique()
        roaring_bitmap_andnot_inplace(storage.pointer, other.pointer)
    }

    /// The union of many bitmaps (an `$in` over values, say).
    public static func union(of bitmaps: [RoaringBitmap]) -> RoaringBitmap {
        var result = RoaringBitmap()
        for bitmap in bitmaps { result.formUnion(bitmap) }
        return result
    }
}

extension RoaringBitmap: Equatable {
    public static func == (lhs: RoaringBitmap, rhs: RoaringBitmap) -> Bool {
        lhs.storage === rhs.storage || roaring_bitmap_equals(lhs.pointer, rhs.pointer)
    }
}

extension RoaringBitmap: CustomStringConvertible {
    public var description: String {
        let shown = count <= 16 ? array.map(String.init).joined(separator: ", ") : "\(count) members"
        return "RoaringBitmap(\(shown))"
    }
}
