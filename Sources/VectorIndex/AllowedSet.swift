// The set of offset ids a filtered search may return (a where-clause's result), as sorted unique ids.
import CRoaring

public struct AllowedSet: Sendable, Hashable {
    /// Sorted, unique.
    public let ids: [OffsetID]

    public var count: Int { ids.count }

    /// Ids from the smallest to the largest member (how scattered the set is in the index's storage).
    public var span: Int {
        guard let first = ids.first, let last = ids.last else { return 0 }
        return Int(last - first) + 1
    }

    /// From ids in any order; duplicates are dropped.
    public init<S: Sequence>(_ ids: S) where S.Element == OffsetID {
        var sorted = Array(ids)
        sorted.sort()
        var unique: [OffsetID] = []
        unique.reserveCapacity(sorted.count)
        for id in sorted where unique.last != id { unique.append(id) }
        self.ids = unique
    }

    /// From ids already sorted and unique (checked).
    public init(sortedUnique ids: [OffsetID]) throws(VectorIndexError) {
        for index in ids.indices.dropFirst() where ids[index - 1] >= ids[index] {
            throw VectorIndexError(.invalidArgument, "allowed ids are not sorted and unique at position \(index)")
        }
        self.ids = ids
    }

    /// A copy of a CRoaring bitmap's members (the metadata segment's where-clause result).
    public init(roaring bitmap: UnsafePointer<roaring_bitmap_t>) {
        let cardinality = Int(roaring_bitmap_get_cardinality(bitmap))
        ids = [OffsetID](unsafeUninitializedCapacity: cardinality) { buffer, initialized in
            if let base = buffer.baseAddress { roaring_bitmap_to_uint32_array(bitmap, base) }
            initialized = cardinality
        }
    }

    public func contains(_ id: OffsetID) -> Bool {
        var low = 0
        var high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low < ids.count && ids[low] == id
    }

    /// Up to `count` members spread evenly over the sorted ids (deterministic).
    func sample(_ count: Int) -> [OffsetID] {
        guard count > 0, !ids.isEmpty else { return [] }
        guard ids.count > count else { return ids }
        let step = Double(ids.count) / Double(count)
        return (0..<count).map { ids[Int(Double($0) * step)] }
    }

    /// A bitset over ids `0...max` (64 ids per word), for membership tests during graph traversal.
    func bitset() -> [UInt64] {
        guard let last = ids.last else { return [] }
        var words = [UInt64](repeating: 0, count: Int(last) / 64 + 1)
        words.withUnsafeMutableBufferPointer { w in
            for id in ids { w[Int(id >> 6)] |= 1 &<< UInt64(id & 63) }
        }
        return words
    }
}
