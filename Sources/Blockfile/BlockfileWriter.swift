// Random sets and deletes on a copy-on-write fork of a blockfile version. Untouched blocks are shared with the
// parent by id; touched blocks are rewritten under new ids, split when too large and merged with a neighbour when
// too small. The parent version stays valid and readable throughout.
import Foundation
import ObjectStore

public final class BlockfileWriter<Value: BlockfileValue> {
    public let parent: BlockfileReader<Value>
    /// Where the new version is written: the parent's segment, or another (a fork's first compaction), whose root
    /// then names the parent's untouched blocks by qualified id.
    public let target: BlockfileLocation
    /// Sets (a value) and deletes (nil) buffered until commit.
    private var pending: [BlockfileKey: Value?] = [:]
    private var closed = false
    private let uploadConcurrency: Int

    /// A block smaller than this fraction of the maximum is merged with a neighbour when rewritten.
    static var mergeFraction: Int { 4 }

    /// A fork of `parent`: the new version starts with exactly its entries. Written to `target` (default: the
    /// parent's own segment).
    public init(
        forking parent: BlockfileReader<Value>, into target: BlockfileLocation? = nil,
        uploadConcurrency: Int = BlockfileDefaults.uploadConcurrency
    ) {
        self.parent = parent
        self.target = target ?? parent.location
        self.uploadConcurrency = uploadConcurrency
    }

    /// A writer of a new, empty blockfile.
    public convenience init(
        store: any ObjectStore, location: BlockfileLocation, keyType: KeyType, cache: BlockCache,
        maxBlockSize: Int = BlockfileDefaults.maxBlockSize
    ) {
        self.init(
            forking: BlockfileReader.empty(
                store: store, location: location, keyType: keyType, maxBlockSize: maxBlockSize, cache: cache))
    }

    private var blockfileID: String { parent.root.blockfileID }

    /// Sets `key` to `value` in the new version.
    public func set(_ key: BlockfileKey, _ value: Value) throws {
        guard !closed else { throw BlockfileError(.writerClosed, "set after commit", blockfileID: blockfileID) }
        try checkKey(key, parent.root.keyType, blockfileID: blockfileID)
        pending[key] = .some(value)
    }

    /// Removes `key` from the new version (no effect if absent).
    public func delete(_ key: BlockfileKey) throws {
        guard !closed else { throw BlockfileError(.writerClosed, "delete after commit", blockfileID: blockfileID) }
        try checkKey(key, parent.root.keyType, blockfileID: blockfileID)
        pending[key] = .some(nil)
    }

    /// Pending changes.
    public var pendingCount: Int { pending.count }

    private enum Run {
        case kept(BlockRef)
        /// A base block kept as it is, with a new delta of changes; `merged` is the result, for merging runs.
        case delta(base: BlockRef, changes: [DeltaEntry<Value>], merged: [(key: BlockfileKey, value: Value)])
        case fresh([(key: BlockfileKey, value: Value)])
    }

    /// A delta is written instead of rewriting a block while it stays under 1/deltaFraction of the base's size.
    static var deltaFraction: Int { 4 }

    /// Writes the changed blocks (in parallel, bounded), then the root; returns a reader of the new version.
    /// (Specialized for the record segment's values, the compactor's largest writer: unspecialized, every entry was
    /// copied and compared through value witnesses across the module boundary.)
    @_specialize(exported:true,where Value == DataRecord)
    nonisolated(nonsending) public func commit() async throws -> BlockfileReader<Value> {
        guard !closed else { throw BlockfileError(.writerClosed, "commit twice", blockfileID: blockfileID) }
        closed = true
        let root = parent.root
        let ops = pending.map { (key: $0.key, value: $0.value) }.sorted { $0.key < $1.key }

        // Which block each change lands in (keys before the first block go to it, after the last to the last).
        var groups: [Int: [(key: BlockfileKey, value: Value?)]] = [:]
        for op in ops { groups[root.blockIndex(for: op.key) ?? 0, default: []].append(op) }

        var runs: [Run] = []
        if root.blocks.isEmpty {
            runs.append(.fresh(Self.apply(ops[...], to: [])))
        } else {
            for (index, ref) in root.blocks.enumerated() {
                guard let changes = groups[index] else {
                    runs.append(.kept(ref))
                    continue
                }
                let view = try await parent.block(at: index)
                let merged = Self.apply(changes[...], to: try view.entries())
                let deltaEntries = try Self.delta(of: changes, over: view)
                if merged.isEmpty {
                    continue  // every entry deleted: the block goes
                } else if deltaEntries.isEmpty {
                    // The changes cancelled out against the base: keep it, without a delta.
                    let base = view.base
                    runs.append(
                        .kept(
                            BlockRef(
                                blockID: ref.blockID, firstKey: base.key(at: 0), lastKey: base.key(at: base.count - 1),
                                count: base.count, byteSize: ref.byteSize)))
                } else if estimatedSize(deltaEntries) * Self.deltaFraction <= ref.byteSize {
                    runs.append(.delta(base: ref, changes: deltaEntries, merged: merged))
                } else {
                    runs.append(.fresh(merged))
                }
            }
        }
        runs = try await mergeSmallRuns(runs, maxBlockSize: root.maxBlockSize)

        var uploader = BlockUploader<Value>(
            store: parent.store, location: target, keyType: root.keyType, blockfileID: blockfileID,
            concurrency: uploadConcurrency)
        // Written elsewhere than the parent: its untouched blocks are named by qualified id.
        let foreign: BlockfileLocation? = target == parent.location ? nil : parent.location
        func shared(_ ref: BlockRef) -> BlockRef { foreign?.qualified(ref) ?? ref }
        var order: [Either] = []
        for run in runs {
            switch run {
            case .kept(let ref):
                order.append(.kept(shared(ref)))
            case .delta(let base, let changes, let merged):
                guard let first = merged.first?.key, let last = merged.last?.key else { continue }
                try await uploader.addDelta(
                    changes, base: shared(base), count: merged.count, firstKey: first, lastKey: last)
                order.append(.uploaded)
            case .fresh(let entries):
                for chunk in chunked(entries, maxBlockSize: root.maxBlockSize) {
                    try await uploader.add(chunk)
                    order.append(.uploaded)
                }
            }
        }
        var uploaded = try await uploader.finish().makeIterator()
        var blocks: [BlockRef] = []
        for item in order {
            switch item {
            case .kept(let ref): blocks.append(ref)
            case .uploaded: if let ref = uploaded.next() { blocks.append(ref) }
            }
        }
        let newRoot = try await uploader.writeRoot(blocks: blocks, maxBlockSize: root.maxBlockSize)
        return BlockfileReader(root: newRoot, store: parent.store, location: target, cache: parent.cache)
    }

    private enum Either {
        case kept(BlockRef)
        case uploaded
    }

    /// Merges each rewritten run smaller than max/mergeFraction with a neighbour when the two fit in one block
    /// (reading a kept neighbour), and drops runs left empty by deletes.
    nonisolated(nonsending) private func mergeSmallRuns(_ input: [Run], maxBlockSize: Int) async throws -> [Run] {
        var runs = input
        let minSize = maxBlockSize / Self.mergeFraction
        func size(_ run: Run) -> Int {
            switch run {
            case .kept(let ref): ref.totalByteSize
            case .delta(let base, let changes, _): base.byteSize + estimatedSize(changes)
            case .fresh(let entries): estimatedSize(entries)
            }
        }
        let parent = self.parent
        func entries(_ run: Run) async throws -> [(key: BlockfileKey, value: Value)] {
            switch run {
            case .fresh(let entries): return entries
            case .delta(_, _, let merged): return merged
            case .kept(let ref):
                guard let index = parent.root.blocks.firstIndex(where: { $0.blockID == ref.blockID }) else { return [] }
                return try await parent.block(at: index).entries()
            }
        }
        var i = 0
        while i < runs.count {
            guard case .fresh(let current) = runs[i] else {
                i += 1
                continue
            }
            if current.isEmpty {
                runs.remove(at: i)
                continue
            }
            let currentSize = estimatedSize(current)
            if currentSize < minSize && runs.count > 1 {
                let neighbour = i + 1 < runs.count ? i + 1 : i - 1
                if currentSize + size(runs[neighbour]) - BlockSchema.overhead <= maxBlockSize {
                    let other = try await entries(runs[neighbour])
                    let merged = neighbour > i ? current + other : other + current
                    let low = min(i, neighbour)
                    runs.replaceSubrange(low...(low + 1), with: [.fresh(merged)])
                    i = low
                    if estimatedSize(merged) >= minSize { i += 1 }
                    continue
                }
            }
            i += 1
        }
        return runs
    }

    /// The delta that takes `view`'s base block to its entries with `changes` applied: the view's current delta
    /// with the changes folded in, each entry marked insert, update or delete relative to the base.
    static func delta(
        of changes: [(key: BlockfileKey, value: Value?)], over view: BlockView<Value>
    ) throws(BlockfileError) -> [DeltaEntry<Value>] {
        var entries: [BlockfileKey: DeltaEntry<Value>] = [:]
        if let current = view.delta {
            for j in 0..<current.count {
                let key = current.key(at: j)
                entries[key] = DeltaEntry(key: key, change: current.change(at: j), value: try current.value(at: j))
            }
        }
        for (key, value) in changes {
            let inBase = view.base.index(of: key) != nil
            if let value {
                entries[key] = DeltaEntry(key: key, change: inBase ? .update : .insert, value: value)
            } else if inBase {
                entries[key] = DeltaEntry(key: key, change: .delete, value: Value.placeholder)
            } else {
                entries[key] = nil  // deleting a key only the delta had
            }
        }
        return entries.values.sorted { $0.key < $1.key }
    }

    /// Applies sorted changes to sorted entries (a set replaces or inserts, a delete removes).
    static func apply(
        _ changes: ArraySlice<(key: BlockfileKey, value: Value?)>, to entries: [(key: BlockfileKey, value: Value)]
    ) -> [(key: BlockfileKey, value: Value)] {
        var result: [(key: BlockfileKey, value: Value)] = []
        result.reserveCapacity(entries.count + changes.count)
        var e = entries.startIndex
        var c = changes.startIndex
        while e < entries.endIndex || c < changes.endIndex {
            if c == changes.endIndex || (e < entries.endIndex && entries[e].key < changes[c].key) {
                result.append(entries[e])
                e += 1
            } else {
                if e < entries.endIndex && entries[e].key == changes[c].key { e += 1 }
                if let value = changes[c].value { result.append((changes[c].key, value)) }
                c += 1
            }
        }
        return result
    }
}
