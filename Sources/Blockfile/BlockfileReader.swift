// Reads one version of a blockfile: point and batch gets, counts and ranks from the root, and ordered scans.
// Blocks come through the shared BlockCache, so concurrent readers of one block fetch it once.
import ArrowIPC
import Foundation
import ObjectStore

public struct BlockfileReader<Value: BlockfileValue>: Sendable {
    /// Everything the reader holds, in one object: copying a reader is one retain, and the lookup structures are
    /// built once per version.
    let state: ReaderState<Value>

    public var root: BlockfileRoot { state.root }
    var store: any ObjectStore { state.store }
    var location: BlockfileLocation { state.location }
    var cache: BlockCache { state.cache }

    /// Blocks fetched at once by batch gets and scans.
    public static var defaultConcurrency: Int { 16 }

    /// Opens the version whose root is `rootID` (a qualified id: another segment's version, read where it is).
    public static func open(
        store: any ObjectStore, location named: BlockfileLocation, rootID namedRoot: String, cache: BlockCache
    ) async throws -> BlockfileReader {
        let (location, rootID) = named.home(ofRoot: namedRoot)
        let root = try await location.readRoot(rootID, store: store)
        guard root.valueType == Value.valueType else {
            throw BlockfileError(
                .invalidArgument, "blockfile holds \(root.valueType.rawValue) values, not \(Value.valueType.rawValue)",
                blockfileID: root.blockfileID)
        }
        return BlockfileReader(root: root, store: store, location: location, cache: cache)
    }

    /// The same version, read (and forked by writers) through `store`: e.g. a compaction's store that remembers
    /// what it writes, over a reader a cache holds.
    public func reading(through store: any ObjectStore) -> BlockfileReader {
        BlockfileReader(root: root, store: store, location: location, cache: cache)
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
        state = ReaderState(root: root, store: store, location: location, cache: cache)
    }

    // MARK: Blocks

    /// The decoded block at `index` in the root, from the cache or the store. Its entry count and key range must
    /// agree with the root, so a block swapped or damaged in storage is reported, not used.
    nonisolated(nonsending) func block(at index: Int) async throws -> BlockView<Value> {
        // The hit path takes no closure and no task: only the cache's lock.
        if let view = cachedBlock(at: index) { return view }
        let key = state.blockKeys[index]
        let ref = root.blocks[index]
        let (store, location, keyType, blockfileID) = (self.store, self.location, root.keyType, root.blockfileID)
        let cached = try await cache.value(for: key) {
            async let base = Self.fetch(
                store, location.blockKey(ref.blockID), ref.blockID, kind: .base, keyType, blockfileID)
            var delta: Block<Value>?
            if let deltaID = ref.deltaID {
                delta = try await Self.fetch(
                    store, location.blockKey(deltaID), deltaID, kind: .delta, keyType, blockfileID)
            }
            let view = BlockView(base: try await base, delta: delta)
            let range = try view.keyRange()
            guard view.count == ref.count, range?.first == ref.firstKey, range?.last == ref.lastKey else {
                throw BlockfileError(
                    .corrupt, "block does not match its root entry (count or key range differ)",
                    blockfileID: blockfileID, blockID: ref.blockID)
            }
            return view
        }
        guard let view = state.view(cached) else {
            throw BlockfileError(
                .invalidArgument, "cached block holds another value type", blockfileID: root.blockfileID,
                blockID: ref.blockID)
        }
        return view
    }

    /// The block at `index` if the cache holds it (a use of it, like `block(at:)`).
    func cachedBlock(at index: Int) -> BlockView<Value>? {
        guard let cached = cache.peek(state.blockKeys[index]) else { return nil }
        return state.view(cached)
    }

    /// Fetches and decodes one block object, naming it in any error.
    private static func fetch(
        _ store: any ObjectStore, _ key: String, _ blockID: String, kind: BlockKind, _ keyType: KeyType,
        _ blockfileID: String
    ) async throws -> Block<Value> {
        let data: Data
        do {
            data = try await store.get(key).data
        } catch let error as ObjectStoreError where error.code == .notFound {
            throw BlockfileError(
                .notFound, "block is missing from the store", blockfileID: blockfileID, blockID: blockID)
        } catch let error as ObjectStoreError {
            throw BlockfileError(.storage, "\(error)", blockfileID: blockfileID, blockID: blockID)
        }
        do {
            return try Block<Value>(decoding: data, id: blockID, keyType: keyType, kind: kind)
        } catch {
            throw BlockfileError(error.code, error.message, blockfileID: blockfileID, blockID: blockID)
        }
    }

    // MARK: Point reads

    /// The value at `key`, or nil.
    public nonisolated(nonsending) func get(_ key: BlockfileKey) async throws -> Value? {
        guard let index = state.blockContaining(key) else { return nil }
        return try await block(at: index).get(key)
    }

    public nonisolated(nonsending) func get(prefix: String, key: KeyValue) async throws -> Value? {
        try await get(BlockfileKey(prefix, key))
    }

    /// Values for many keys, in the order asked; the blocks they need are fetched in parallel, at most
    /// `concurrency` at a time.
    public func get(_ keys: [BlockfileKey], concurrency: Int = defaultConcurrency) async throws -> [Value?] {
        var byBlock: [Int: [Int]] = [:]
        for (position, key) in keys.enumerated() {
            if let index = state.blockContaining(key) { byBlock[index, default: []].append(position) }
        }
        var results = [Value?](repeating: nil, count: keys.count)
        // Cached blocks answer inline (the common case for a query's few records): no tasks, only the cache's lock.
        var work: [(Int, [Int])] = []
        for (index, positions) in byBlock {
            guard let cached = cachedBlock(at: index) else {
                work.append((index, positions))
                continue
            }
            for position in positions { results[position] = try cached.get(keys[position]) }
        }
        if work.isEmpty { return results }
        let blocksToRead = work
        try await withBoundedParallelism(count: blocksToRead.count, limit: concurrency) { item in
            let (index, positions) = blocksToRead[item]
            let block = try await self.block(at: index)
            var found: [(Int, Value?)] = []
            for position in positions { found.append((position, try block.get(keys[position]))) }
            return found
        } consume: { _, found in
            for (position, value) in found { results[position] = value }
        }
        return results
    }

    /// Fetches every block of this version into the block cache, `concurrency` at a time: a whole-file read (a
    /// SPANN index's centroids and versions at open) then scans from the cache instead of one block behind the
    /// other. Blocks already cached cost nothing.
    public func prefetchAll(concurrency: Int = defaultConcurrency) async throws {
        let missing = (0..<root.blocks.count).filter { cachedBlock(at: $0) == nil }
        try await withBoundedParallelism(count: missing.count, limit: concurrency) { item in
            _ = try await self.block(at: missing[item])
        } consume: { _, _ in
        }
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
                // Keys with exactly this prefix sort before every key whose prefix is `prefix` + NUL.
                let block = try await block(at: index)
                total +=
                    block.rank(BlockfileKey(prefix + "\u{0}", .lowest(root.keyType)))
                    - block.rank(BlockfileKey(prefix, .lowest(root.keyType)))
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
        return before + (try await block(at: index)).rank(key)
    }

    // MARK: Scans

    /// Entries with `lower <= key <= upper` (an open side when nil), in order, streamed block by block.
    public func scan(from lower: BlockfileKey? = nil, through upper: BlockfileKey? = nil) -> BlockfileScan<Value> {
        BlockfileScan(reader: self, blocks: root.blockIndices(from: lower, through: upper), lower: lower, upper: upper)
    }

    /// Entries whose prefix is `prefix`, in order.
    public func scan(prefix: String) -> BlockfileScan<Value> {
        let (range, _) = root.blocks(withPrefix: prefix)
        return BlockfileScan(
            reader: self, blocks: range, lower: BlockfileKey(prefix, .lowest(root.keyType)), upper: nil,
            prefix: prefix)
    }
}

/// An ordered scan over a range of a blockfile. Blocks are fetched one ahead of the one being read, so memory
/// stays bounded by two blocks whatever the range. Iterate it entry by entry, or, faster, a batch of entries at a
/// time with `batches()`.
public struct BlockfileScan<Value: BlockfileValue>: AsyncSequence, Sendable {
    public typealias Element = (key: BlockfileKey, value: Value)
    let reader: BlockfileReader<Value>
    let blocks: Range<Int>
    let lower: BlockfileKey?
    let upper: BlockfileKey?
    var prefix: String? = nil

    public func makeAsyncIterator() -> Iterator {
        Iterator(batches: batches().makeAsyncIterator())
    }

    /// The same entries in batches of at most `size` (never spanning two blocks): one call per batch instead of
    /// one per entry, which is what bulk readers (compaction, exports) want.
    public func batches(size: Int = 4096) -> BlockfileBatches<Value> {
        BlockfileBatches(scan: self, size: Swift.max(1, size))
    }

    /// Inlinable, so that the per-entry step is specialised in the caller's code; the work per batch is not.
    public struct Iterator: AsyncIteratorProtocol {
        @usableFromInline var batches: BlockfileBatches<Value>.Iterator
        @usableFromInline var batch = BlockfileBatch<Value>(keys: [], values: [])
        @usableFromInline var position = 0

        init(batches: BlockfileBatches<Value>.Iterator) {
            self.batches = batches
        }

        public typealias Failure = any Error

        @inlinable
        public mutating func next() async throws -> Element? {
            try await next(isolation: nil)
        }

        /// Runs on the caller's executor: a scan does not hop between executors for every entry.
        @inlinable
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> Element? {
            if position == batch.count {
                guard let next = try await batches.next(isolation: actor) else { return nil }
                batch = next
                position = 0
            }
            position += 1
            return (batch.keys[position - 1], batch.values[position - 1])
        }
    }
}

/// Consecutive entries of a scan.
public struct BlockfileBatch<Value: BlockfileValue>: Sendable {
    public var keys: [BlockfileKey]
    public var values: [Value]
    public var count: Int { keys.count }

    @inlinable
    public init(keys: [BlockfileKey], values: [Value]) {
        self.keys = keys
        self.values = values
    }

    /// The entries as pairs (for rewriting blocks).
    var entries: [(key: BlockfileKey, value: Value)] {
        var result: [(key: BlockfileKey, value: Value)] = []
        result.reserveCapacity(keys.count)
        for i in keys.indices { result.append((keys[i], values[i])) }
        return result
    }
}

/// A scan, a batch of entries at a time.
public struct BlockfileBatches<Value: BlockfileValue>: AsyncSequence, Sendable {
    public typealias Element = BlockfileBatch<Value>
    let scan: BlockfileScan<Value>
    let size: Int

    public func makeAsyncIterator() -> Iterator {
        Iterator(scan: scan, size: size, nextBlock: scan.blocks.lowerBound)
    }

    public struct Iterator: AsyncIteratorProtocol {
        enum Prefetch {
            case ready(BlockView<Value>)
            case loading(Task<BlockView<Value>, any Error>)
        }

        let scan: BlockfileScan<Value>
        let size: Int
        var nextBlock: Int
        var cursor: BlockView<Value>.Cursor?
        /// The next block: already in the cache, or being fetched.
        var prefetch: Prefetch?
        var finished = false

        public typealias Failure = any Error

        public mutating func next() async throws -> Element? {
            try await next(isolation: nil)
        }

        /// Runs on the caller's executor, like the entry-by-entry scan.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws -> Element? {
            while !finished {
                if cursor != nil {
                    var batch = BlockfileBatch<Value>(keys: [], values: [])
                    // At most what is left of the block: a short range scan does not allocate a full batch.
                    let capacity = Swift.min(size, cursor!.remaining)
                    batch.keys.reserveCapacity(capacity)
                    batch.values.reserveCapacity(capacity)
                    if try !cursor!.append(to: &batch, limit: size) { cursor = nil }
                    if batch.count > 0 { return batch }
                    continue
                }
                guard nextBlock < scan.blocks.upperBound else {
                    finished = true
                    return nil
                }
                let block: BlockView<Value>
                switch prefetch {
                case .ready(let view)?: block = view
                case .loading(let task)?: block = try await task.value
                case nil: block = try await scan.reader.block(at: nextBlock)
                }
                nextBlock += 1
                if nextBlock < scan.blocks.upperBound {
                    // A cached block needs no task: scheduling one per block costs little on an idle machine but
                    // a scheduler delay per block on a busy one.
                    let (reader, index) = (scan.reader, nextBlock)
                    prefetch =
                        reader.cachedBlock(at: index).map { .ready($0) }
                        ?? .loading(Task { try await reader.block(at: index) })
                } else {
                    prefetch = nil
                }
                cursor = block.cursor(from: scan.lower, through: scan.upper, prefix: scan.prefix)
            }
            return nil
        }
    }
}

/// A reader's fixed parts, and what it derives from its root once: each block's cache key, and the root's first
/// and last keys as Arrow columns, so that finding a key's block is a binary search over bytes.
final class ReaderState<Value: BlockfileValue>: Sendable {
    let root: BlockfileRoot
    let store: any ObjectStore
    let location: BlockfileLocation
    let cache: BlockCache
    /// The cache key of each root entry: its base block's object key, and its delta's when it has one (versions
    /// that share a base but differ in delta must not share a cache entry).
    let blockKeys: [String]
    /// The blocks' first and last keys (nil for an empty blockfile); `columns` owns their bytes.
    private let firstKeys: BlockKeys?
    private let lastKeys: BlockKeys?
    private let columns: [ArrowArray]
    /// The dynamic type of this reader's cached blocks, compared instead of a generic cast on every hit.
    private let viewType = ObjectIdentifier(BlockView<Value>.self)

    init(root: BlockfileRoot, store: any ObjectStore, location: BlockfileLocation, cache: BlockCache) {
        self.root = root
        self.store = store
        self.location = location
        self.cache = cache
        blockKeys = root.blocks.map { ref in
            location.blockKey(ref.blockID) + (ref.deltaID.map { "+" + $0 } ?? "")
        }
        // A root that passed validation has keys of its own type, which always encode.
        func keys(_ keys: [BlockfileKey]) -> (BlockKeys, [ArrowArray])? {
            let prefixes = VariableBinaryArrayBuilder(type: .utf8, capacity: keys.count)
            for key in keys { prefixes.append(key.prefix) }
            guard let prefixArray = try? prefixes.finish(), let strings = try? prefixArray.strings(),
                let (keyArray, _) = try? KeyColumn.build(keys.lazy.map(\.key), root.keyType),
                let column = try? KeyColumn(keyArray, root.keyType)
            else { return nil }
            return (BlockKeys(prefixes: strings, keys: column), [prefixArray, keyArray])
        }
        let first = root.blocks.isEmpty ? nil : keys(root.blocks.map(\.firstKey))
        let last = root.blocks.isEmpty ? nil : keys(root.blocks.map(\.lastKey))
        firstKeys = first?.0
        lastKeys = last?.0
        columns = (first?.1 ?? []) + (last?.1 ?? [])
    }

    /// `block` as this reader's block type, or nil when it holds another value type.
    /// (A checked cast would look up `BlockView<Value>`'s metadata on every call, which generic code cannot
    /// keep; the identity of the type is kept instead, and a match makes the reinterpretation safe.)
    @inline(__always) func view(_ block: any CachedBlock) -> BlockView<Value>? {
        let object: AnyObject = block
        return ObjectIdentifier(type(of: object)) == viewType ? unsafeDowncast(object, to: BlockView<Value>.self) : nil
    }

    /// The block that holds `key` if any block can (as `BlockfileRoot.blockContaining`).
    func blockContaining(_ key: BlockfileKey) -> Int? {
        guard let firstKeys, let lastKeys else { return root.blockContaining(key) }
        // The last block whose first key is ≤ key, if key is ≤ its last key.
        let index = firstKeys.upperBound(key) - 1
        return index >= 0 && lastKeys.compare(index, with: key) >= 0 ? index : nil
    }
}
