// Encodes sorted entries into blocks and uploads them with bounded concurrency; the root is written only after
// every block is durable, so a failure at any point leaves the previous version intact (and orphans for GC).
import Foundation
import ObjectStore

/// Defaults shared by the writers.
public enum BlockfileDefaults {
    /// Largest encoded block, in bytes (see docs/decisions/0004-blockfile-format.md for how it was chosen).
    public static let maxBlockSize = 1 << 20
    /// Blocks uploading at once.
    public static let uploadConcurrency = 8
}

struct BlockUploader<Value: BlockfileValue> {
    let store: any ObjectStore
    let location: BlockfileLocation
    let keyType: KeyType
    let blockfileID: String
    let concurrency: Int
    private var pending: [Task<BlockRef, any Error>] = []
    private(set) var uploaded: [BlockRef] = []

    init(store: any ObjectStore, location: BlockfileLocation, keyType: KeyType, blockfileID: String, concurrency: Int) {
        self.store = store
        self.location = location
        self.keyType = keyType
        self.blockfileID = blockfileID
        self.concurrency = max(1, concurrency)
    }

    /// Starts the upload of one block; waits first if `concurrency` uploads are already running. Blocks keep the
    /// order in which they were added.
    mutating func add(_ entries: ArraySlice<(key: BlockfileKey, value: Value)>) async throws {
        guard let first = entries.first, let last = entries.last else { return }
        let data = try BlockSchema.encode(entries, keyType: keyType)
        try await upload(data) { blockID in
            BlockRef(
                blockID: blockID, firstKey: first.key, lastKey: last.key, count: entries.count, byteSize: data.count)
        }
    }

    /// Starts the upload of a delta for the base block `base`; the resulting entry has `count` live entries from
    /// `firstKey` to `lastKey`.
    mutating func addDelta(
        _ changes: [DeltaEntry<Value>], base: BlockRef, count: Int, firstKey: BlockfileKey, lastKey: BlockfileKey
    ) async throws {
        let data = try BlockSchema.encode(
            changes.map { (key: $0.key, value: $0.value) }[...], keyType: keyType, changes: changes.map(\.change))
        try await upload(data) { deltaID in
            BlockRef(
                blockID: base.blockID, firstKey: firstKey, lastKey: lastKey, count: count, byteSize: base.byteSize,
                deltaID: deltaID, deltaByteSize: data.count)
        }
    }

    /// Uploads one encoded block under a new id; `makeRef` turns the id into the root's entry.
    private mutating func upload(_ data: Data, makeRef: (String) -> BlockRef) async throws {
        if pending.count >= concurrency { try await drainOne() }
        let blockID = UUID().uuidString.lowercased()
        let ref = makeRef(blockID)
        let (store, key, blockfileID) = (self.store, location.blockKey(blockID), self.blockfileID)
        pending.append(
            Task {
                do {
                    try await store.put(key, data: data, condition: .ifNoneMatch)
                } catch {
                    throw BlockfileError(
                        .storage, "uploading a block: \(error)", blockfileID: blockfileID, blockID: blockID)
                }
                return ref
            })
    }

    private mutating func drainOne() async throws {
        let task = pending.removeFirst()
        do {
            uploaded.append(try await task.value)
        } catch {
            for other in pending { other.cancel() }
            pending.removeAll()
            throw error
        }
    }

    /// Waits for every upload; returns the blocks in order.
    mutating func finish() async throws -> [BlockRef] {
        while !pending.isEmpty { try await drainOne() }
        return uploaded
    }

    /// Writes the root naming `blocks` (after they are all durable) and returns it.
    func writeRoot(blocks: [BlockRef], maxBlockSize: Int) async throws -> BlockfileRoot {
        let rootID = UUID().uuidString.lowercased()
        let root = BlockfileRoot(
            blockfileID: blockfileID, rootID: rootID, keyType: keyType, valueType: Value.valueType,
            maxBlockSize: maxBlockSize, blocks: blocks)
        let data = try root.encoded()
        do {
            try await store.put(location.rootKey(rootID), data: data, condition: .ifNoneMatch)
        } catch {
            throw BlockfileError(.storage, "writing root \(rootID): \(error)", blockfileID: blockfileID)
        }
        return root
    }
}

/// Checks a key against a blockfile's key type before it is buffered.
func checkKey(_ key: BlockfileKey, _ keyType: KeyType, blockfileID: String) throws(BlockfileError) {
    guard key.key.type == keyType else {
        throw BlockfileError(
            .invalidArgument, "key \(key) is \(key.key.type.rawValue), this blockfile's keys are \(keyType.rawValue)",
            blockfileID: blockfileID)
    }
    if case .float32(let v) = key.key, v.isNaN {
        throw BlockfileError(
            .invalidArgument, "key \(key) is NaN, which has no place in an order", blockfileID: blockfileID)
    }
}

/// Splits sorted entries into runs whose estimated encoded size stays within `maxBlockSize` (an entry larger than
/// that gets a block of its own).
func chunked<Value: BlockfileValue>(
    _ entries: [(key: BlockfileKey, value: Value)], maxBlockSize: Int
) -> [ArraySlice<(key: BlockfileKey, value: Value)>] {
    var chunks: [ArraySlice<(key: BlockfileKey, value: Value)>] = []
    var start = 0
    var size = BlockSchema.overhead
    for (i, entry) in entries.enumerated() {
        let entrySize = entry.key.encodedSize + entry.value.encodedSize + BlockSchema.perEntryOverhead
        if i > start && size + entrySize > maxBlockSize {
            chunks.append(entries[start..<i])
            start = i
            size = BlockSchema.overhead
        }
        size += entrySize
    }
    if start < entries.count { chunks.append(entries[start...]) }
    return chunks
}

func estimatedSize<Value: BlockfileValue>(_ entries: [(key: BlockfileKey, value: Value)]) -> Int {
    entries.reduce(BlockSchema.overhead) {
        $0 + $1.key.encodedSize + $1.value.encodedSize + BlockSchema.perEntryOverhead
    }
}

func estimatedSize<Value: BlockfileValue>(_ entries: [DeltaEntry<Value>]) -> Int {
    entries.reduce(BlockSchema.overhead) {
        $0 + $1.key.encodedSize + $1.value.encodedSize + BlockSchema.perEntryOverhead + 4
    }
}

/// One entry of a delta block.
struct DeltaEntry<Value: BlockfileValue> {
    var key: BlockfileKey
    var change: DeltaChange
    var value: Value
}
