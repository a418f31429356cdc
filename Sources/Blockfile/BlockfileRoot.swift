// The root (sparse index) of one blockfile version: per block, its key range, id, entry count and size.
// It answers "which block holds this key", counts and ranks without reading blocks.
import Foundation
import ObjectStore

/// One block as the root sees it: a base block, and perhaps a delta of changes to it. Count and key range are
/// those of the live entries (base and delta merged).
public struct BlockRef: Sendable, Hashable {
    public var blockID: String
    public var firstKey: BlockfileKey
    public var lastKey: BlockfileKey
    public var count: Int
    /// Encoded size of the base block in bytes.
    public var byteSize: Int
    /// The delta block written by a fork instead of rewriting the base, if any.
    public var deltaID: String?
    public var deltaByteSize: Int

    public init(
        blockID: String, firstKey: BlockfileKey, lastKey: BlockfileKey, count: Int, byteSize: Int,
        deltaID: String? = nil, deltaByteSize: Int = 0
    ) {
        self.blockID = blockID
        self.firstKey = firstKey
        self.lastKey = lastKey
        self.count = count
        self.byteSize = byteSize
        self.deltaID = deltaID
        self.deltaByteSize = deltaByteSize
    }

    /// Bytes of the base block and its delta.
    public var totalByteSize: Int { byteSize + deltaByteSize }

    /// The objects this entry needs (base block, and delta if any): what GC must keep.
    public var objectIDs: [String] { [blockID] + (deltaID.map { [$0] } ?? []) }
}

/// The value type of every entry in one blockfile.
public enum ValueType: String, Sendable, Hashable, CaseIterable {
    case string
    case uint32
    case uint32List = "uint32_list"
    case float32List = "float32_list"
    case roaringBitmap = "roaring_bitmap"
    case dataRecord = "data_record"
}

/// A blockfile version: immutable once written.
public struct BlockfileRoot: Sendable, Hashable {
    /// The root format this code writes; readers refuse newer ones.
    /// The newest root format this build reads and writes: 2 names blocks of other segments by qualified id (a
    /// fork's, decision 0021); a root without such ids is written as 1, which every reader reads.
    public static let formatVersion = 2

    /// The format this root is written as: the oldest that can hold it.
    var writtenFormatVersion: Int {
        blocks.contains {
            QualifiedID.parse($0.blockID) != nil || $0.deltaID.map { QualifiedID.parse($0) != nil } == true
        }
            ? 2 : 1
    }

    /// Identifies the blockfile across versions (forks keep it).
    public var blockfileID: String
    /// Identifies this version (the root object's id).
    public var rootID: String
    public var keyType: KeyType
    public var valueType: ValueType
    public var maxBlockSize: Int
    /// Sorted by key; ranges never overlap.
    public var blocks: [BlockRef]

    public init(
        blockfileID: String, rootID: String, keyType: KeyType, valueType: ValueType, maxBlockSize: Int,
        blocks: [BlockRef]
    ) {
        self.blockfileID = blockfileID
        self.rootID = rootID
        self.keyType = keyType
        self.valueType = valueType
        self.maxBlockSize = maxBlockSize
        self.blocks = blocks
    }

    /// Entries in the blockfile.
    public var count: Int { blocks.reduce(0) { $0 + $1.count } }
    public var byteSize: Int { blocks.reduce(0) { $0 + $1.totalByteSize } }

    /// The index of the block whose range could hold `key`: the last block whose first key is ≤ `key`, or the
    /// first block when `key` sorts before everything. `nil` for an empty blockfile.
    public func blockIndex(for key: BlockfileKey) -> Int? {
        guard !blocks.isEmpty else { return nil }
        var low = 0
        var high = blocks.count
        while low < high {
            let mid = (low + high) / 2
            if blocks[mid].firstKey <= key { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }

    /// The block that holds `key` if any block can: `nil` when `key` lies outside every block's range.
    public func blockContaining(_ key: BlockfileKey) -> Int? {
        guard let index = blockIndex(for: key) else { return nil }
        let block = blocks[index]
        return block.firstKey <= key && key <= block.lastKey ? index : nil
    }

    /// Blocks that may hold keys in `lower...upper` (either bound open when nil), in order.
    public func blockIndices(from lower: BlockfileKey?, through upper: BlockfileKey?) -> Range<Int> {
        guard !blocks.isEmpty else { return 0..<0 }
        var start = 0
        if let lower {
            // The first block whose last key is ≥ lower.
            var low = 0
            var high = blocks.count
            while low < high {
                let mid = (low + high) / 2
                if blocks[mid].lastKey < lower { low = mid + 1 } else { high = mid }
            }
            start = low
        }
        var end = blocks.count
        if let upper {
            // One past the last block whose first key is ≤ upper.
            var low = start
            var high = blocks.count
            while low < high {
                let mid = (low + high) / 2
                if blocks[mid].firstKey <= upper { low = mid + 1 } else { high = mid }
            }
            end = low
        }
        return start..<max(start, end)
    }

    /// Blocks that may hold keys with `prefix` (those whose prefix range covers it), and which of them hold only
    /// such keys, so that their counts can be used without reading them.
    func blocks(withPrefix prefix: String) -> (range: Range<Int>, whole: [Bool]) {
        let p = Array(prefix.utf8)
        func precedes(_ a: String, _ b: [UInt8]) -> Bool { a.utf8.lexicographicallyPrecedes(b) }
        // First block whose last key's prefix is ≥ p.
        var low = 0
        var high = blocks.count
        while low < high {
            let mid = (low + high) / 2
            if precedes(blocks[mid].lastKey.prefix, p) { low = mid + 1 } else { high = mid }
        }
        let start = low
        // First block (from start) whose first key's prefix is > p.
        high = blocks.count
        while low < high {
            let mid = (low + high) / 2
            if !p.lexicographicallyPrecedes(blocks[mid].firstKey.prefix.utf8) { low = mid + 1 } else { high = mid }
        }
        let range = start..<low
        let whole = range.map {
            blocks[$0].firstKey.prefix.utf8.elementsEqual(p) && blocks[$0].lastKey.prefix.utf8.elementsEqual(p)
        }
        return (range, whole)
    }

    /// Checks the invariants a reader relies on; a root read from storage must pass before use.
    func validate() throws(BlockfileError) {
        for (index, block) in blocks.enumerated() {
            guard block.count > 0, block.firstKey <= block.lastKey, block.byteSize >= 0, block.deltaByteSize >= 0 else {
                throw BlockfileError(
                    .corrupt, "block \(index) has count \(block.count) or keys out of order", blockfileID: blockfileID,
                    blockID: block.blockID)
            }
            guard block.firstKey.key.type == keyType, block.lastKey.key.type == keyType else {
                throw BlockfileError(.corrupt, "block \(index) has keys of another type", blockfileID: blockfileID)
            }
            if index > 0, !(blocks[index - 1].lastKey < block.firstKey) {
                throw BlockfileError(
                    .corrupt, "block \(index) overlaps the block before it", blockfileID: blockfileID,
                    blockID: block.blockID)
            }
        }
        guard maxBlockSize > 0 else {
            throw BlockfileError(.corrupt, "maximum block size \(maxBlockSize)", blockfileID: blockfileID)
        }
    }
}

extension KeyValue {
    /// The smallest value of a key type: `(prefix, lowest)` is the first key a prefix can have.
    static func lowest(_ type: KeyType) -> KeyValue {
        switch type {
        case .string: .string("")
        case .uint32: .uint32(0)
        case .float32: .float32(-.infinity)
        case .bool: .bool(false)
        }
    }
}
