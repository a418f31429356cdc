// Reads one version of a blockfile: point and batch gets, counts and ranks from the root, and ordered scans.
// Blocks come through the shared BlockCache, so concurrent readers of one block fetch it once.
import Foundation
import ObjectStore

public struct BlockfileReader<Value: BlockfileValue>: Sendable {
    public let root: BlockfileRoot
    let store: any ObjectStore
    let location: BlockfileLocation
    let cache: BlockCache

    /// Blocks fetched at once by batch gets and scans.
    public static var defaultConcurrency: Int { 16 }

    /// Opens the version whose root is `rootID`.
    public static func open(
        store: any ObjectStore, location: BlockfileLocation, rootID: String, cache: BlockCache
    ) async throws -> BlockfileReader {
        let data: Data
        do {
            data = try await store.get(location.rootKey(rootID)).data
        } catch let error as ObjectStoreError where error.code == .notFound {
            throw BlockfileError(.notFound, "root \(rootID) does not exist (\(error))")
        } catch let error as ObjectStoreError {
            throw BlockfileError(.storage, "reading root \(rootID): \(error)")
        }
        let root = try BlockfileRoot(decoding: data, rootID: rootID)
        guard root.valueType == Value.valueType else {
            throw BlockfileError(
                .invalidArgument, "blockfile holds \(root.valueType.rawValue) values, not \(Value.valueType.rawValue)",
                blockfileID: root.blockfileID)
        }
        return BlockfileReader(root: root, store: store, location: location, cache: cache)
    }

    /// A reader of an empty blockfile that has never been written (nothing is read from the store).
    public static func empty(
        store: any ObjectStore, location: BlockfileLocation, keyType: KeyType, maxBlockSize: Int, cache: BlockCache
    ) -> BlockfileReader {
        let root = BlockfileRoot(
            blockfileID: UUID().uuidString.lowercased(), rootID: "", keyType: keyType, valueType: Value.valueType,
            maxBlockSize: maxBlockSize, blocks: [])
        return BlockfileReader(root: root, store: store, location: location, cache: cache)
    }

    init(root: BlockfileRoot, store: any ObjectStore, location: BlockfileLocation, cache: BlockCache) {
        self.root = root
        self.store = store
        self.location = location
        self.cache = cache
    }

    // MARK: Blocks

    /// The decoded block at `index` in the root, from the cache or the store. Its entry count and key range must
    /// agree with the root, so a block swapped or damaged in storage is reported, not used.
    nonisolated(nonsending) func block(at index: Int) async throws -> Block<Value> {
        let ref = root.blocks[index]
        let key = location.blockKey(ref.blockID)
        let (store, keyType, blockfileID) = (self.store, root.keyType, root.blockfileID)
        let cached = try await cache.value(for: key) {
            let data: Data
            do {
                data = try await store.get(key).data
            } catch let error as ObjectStoreError where error.code == .notFound {
                throw BlockfileError(
                    .notFound, "block is missing from the store", blockfileID: blockfileID, blockID: ref.blockID)
            } catch let error as ObjectStoreError {
                throw BlockfileError(.storage, "\(error)", blockfileID: blockfileID, blockID: ref.blockID)
            }
            let block: Block<Value>
            do {
                block = try Block<Value>(decoding: data, id: ref.blockID, keyType: keyType)
            } catch let error as BlockfileError {
                throw BlockfileError(error.code, error.message, blockfileID: blockfileID, blockID: ref.blockID)
            }
            guard block.count == ref.count, block.key(at: 0) == ref.firstKey, block.key(at: block.count - 1) == ref.lastKey
            else {
                throw BlockfileError(
                    .corrupt, "block does not match its root entry (count or key range differ)",
                    blockfileID: blockfileID, blockID: ref.blockID)
            }
            return block
        }
        guard let block = cached as? Block<Value> else {
            throw BlockfileError(
                .invalidArgument, "cached block holds another value type", blockfileID: root.blockfileID,
                blockID: ref.blockID)
        }
        return block
    }

    // MARK: Point reads

    /// The value at `key`, or nil.
    public nonisolated(nonsending) func get(_ key: BlockfileKey) async throws -> Value? {
        guard let index = root.blockContaining(key) else { return nil }
        let block = try await block(at: index)
        guard let i = block.index(of: key) else { return nil }
        return try block.value(at: i)
    }

    public nonisolated(nonsending) func get(prefix: String, key: KeyValue) async throws -> Value? {
        try await get(BlockfileKey(prefix, key))
    }

    /// Values for many keys, in the order asked; the blocks they need are fetched in parallel, at most
    /// `concurrency` at a time.
    public func get(_ keys: [BlockfileKey], concurrency: Int = defaultConcurrency) async throws -> [Value?] {
        var byBlock: [Int: [Int]] = [:]
        for (position, key) in keys.enumerated() {
            if let index = root.blockContaining(key) { byBlock[index, default: []].append(position) }
        }
        var results = [Value?](repeating: nil, count: keys.count)
        let work = Array(byBlock)
        try await withThrowingTaskGroup(of: [(Int, Value?)].self) { group in
            var next = 0
            func schedule() {
                let (index, positions) = work[next]
                next += 1
                group.addTask {
                    let block = try await self.block(at: index)
                    var found: [(Int, Value?)] = []
                    for position in positions {
                        found.append((position, try block.index(of: keys[position]).map { try block.value(at: $0) }))
                    }
                    return found
                }
            }
            while next < min(work.count, max(1, concurrency)) { schedule() }
            while let found = try await group.next() {
                for (position, value) in found { results[position] = value }
                if next < work.count { schedule() }
            }
        }
        return results
    }

    // MARK: Counts

    /// Entries in the blockfile, from the root alone.
    public var count: Int { root.count }

    /// Entries whose prefix is `prefix`: whole blocks are counted from the root, and at most the two blocks at
    /// the edges of the prefix's range are read.
    public nonisolated(nonsending) func count(prefix: String) async throws -> Int {
        let (range, whole) = root.blocks(withPrefix: prefix)
        var total = 0
        for (offset, index) in range.enumerated() {
            if whole[offset] {
                total += root.blocks[index].count
            } else {
                let block = try await block(at: index)
                let lower = block.lowerBound(BlockfileKey(prefix, KeyValue.lowest(root.keyType)))
                var upper = lower
                while upper < block.count && block.prefixes.compare(at: upper, with: prefix) == 0 { upper += 1 }
                total += upper - lower
            }
        }
        return total
    }

    /// How many entries sort before `key`: counts of the blocks before its block from the root, plus one block
    /// read when `key` falls inside a block's range.
    public nonisolated(nonsending) func rank(of key: BlockfileKey) async throws -> Int {
        guard let index = root.blockIndex(for: key) else { return 0 }
        let before = root.blocks[..<index].reduce(0) { $0 + $1.count }
        let ref = root.blocks[index]
        if key <= ref.firstKey { return before }
        if key > ref.lastKey { return before + ref.count }
        return before + (try await block(at: index)).lowerBound(key)
    }

    // MARK: Scans

    /// Entries with `lower <= key <= upper` (an open side when nil), in order, streamed block by block.
    public func scan(from lower: BlockfileKey? = nil, through upper: BlockfileKey? = nil) -> BlockfileScan<Value> {
        BlockfileScan(reader: self, blocks: root.blockIndices(from: lower, through: upper), lower: lower, upper: upper)
    }

    /// Entries whose prefix is `prefix`, in order.
    public func scan(prefix: String) -> BlockfileScan<Value> {
        let (range, _) = root.blocks(withPrefix: prefix)
        return BlockfileScan(reader: self, blocks: range, lower: BlockfileKey(prefix, .lowest(root.keyType)), upper: nil,
                             prefix: prefix)
    }
}

/// An ordered scan over a range of a blockfile. Blocks are fetched one ahead of the one being read, so memory
/// stays bounded by two blocks whatever the range.
public struct BlockfileScan<Value: BlockfileValue>: AsyncSequence, Sendable {
    public typealias Element = (key: BlockfileKey, value: Value)
    let reader: BlockfileReader<Value>
    let blocks: Range<Int>
    let lower: BlockfileKey?
    let upper: BlockfileKey?
    var prefix: String? = nil

    public func makeAsyncIterator() -> Iterator {
        Iterator(scan: self, nextBlock: blocks.lowerBound)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let scan: BlockfileScan
        var nextBlock: Int
        var current: Block<Value>?
        var position = 0
        var end = 0
        var prefetch: Task<Block<Value>, any Error>?
        var finished = false

        init(scan: BlockfileScan, nextBlock: Int) {
            self.scan = scan
            self.nextBlock = nextBlock
        }

        public typealias Failure = any Error

        public mutating func next() async throws -> Element? {
            try await next(isolation: nil)
        }

        /// Runs on the caller's executor: a scan does not hop between executors for every entry.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> Element? {
            while !finished {
                if let block = current, position < end {
                    let i = position
                    position += 1
                    if let prefix = scan.prefix, block.prefixes.compare(at: i, with: prefix) != 0 {
                        finished = true
                        return nil
                    }
                    return (block.key(at: i), try block.value(at: i))
                }
                guard nextBlock < scan.blocks.upperBound else {
                    finished = true
                    return nil
                }
                let block: Block<Value>
                if let prefetch {
                    block = try await prefetch.value
                } else {
                    block = try await scan.reader.block(at: nextBlock)
                }
                nextBlock += 1
                if nextBlock < scan.blocks.upperBound {
                    let (reader, index) = (scan.reader, nextBlock)
                    prefetch = Task { try await reader.block(at: index) }
                } else {
                    prefetch = nil
                }
                current = block
                position = scan.lower.map { block.lowerBound($0) } ?? 0
                end = scan.upper.map { block.upperBound($0) } ?? block.count
            }
            return nil
        }
    }
}
