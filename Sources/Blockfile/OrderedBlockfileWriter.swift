// Builds a new blockfile from entries given in ascending key order (bulk builds, compaction output), streaming
// full blocks to the store while it is fed.
import Foundation
import ObjectStore

public final class OrderedBlockfileWriter<Value: BlockfileValue> {
    public let keyType: KeyType
    public let maxBlockSize: Int
    private let cache: BlockCache
    private var uploader: BlockUploader<Value>
    private var buffer: [(key: BlockfileKey, value: Value)] = []
    private var bufferSize = BlockSchema.overhead
    private var lastKey: BlockfileKey?
    private var closed = false

    public init(
        store: any ObjectStore, location: BlockfileLocation, keyType: KeyType, cache: BlockCache,
        maxBlockSize: Int = BlockfileDefaults.maxBlockSize, blockfileID: String = UUID().uuidString.lowercased(),
        uploadConcurrency: Int = BlockfileDefaults.uploadConcurrency
    ) {
        precondition(maxBlockSize > BlockSchema.overhead, "a block must have room for entries")
        self.keyType = keyType
        self.maxBlockSize = maxBlockSize
        self.cache = cache
        uploader = BlockUploader(
            store: store, location: location, keyType: keyType, blockfileID: blockfileID, concurrency: uploadConcurrency
        )
    }

    /// Adds the next entry; `key` must sort after every key added before it.
    nonisolated(nonsending) public func append(_ key: BlockfileKey, _ value: Value) async throws {
        guard !closed else {
            throw BlockfileError(.writerClosed, "append after commit", blockfileID: uploader.blockfileID)
        }
        try checkKey(key, keyType, blockfileID: uploader.blockfileID)
        if let lastKey, !(lastKey < key) {
            throw BlockfileError(
                .invalidArgument, "key \(key) does not sort after \(lastKey): an ordered writer needs ascending keys",
                blockfileID: uploader.blockfileID)
        }
        let size = key.encodedSize + value.encodedSize + BlockSchema.perEntryOverhead
        if !buffer.isEmpty && bufferSize + size > maxBlockSize { try await flushBuffer() }
        buffer.append((key, value))
        bufferSize += size
        lastKey = key
    }

    nonisolated(nonsending) private func flushBuffer() async throws {
        try await uploader.add(buffer[...])
        buffer.removeAll(keepingCapacity: true)
        bufferSize = BlockSchema.overhead
    }

    /// Uploads the last block, waits until every block is durable, then writes the root. Returns a reader of the
    /// new version.
    nonisolated(nonsending) public func commit() async throws -> BlockfileReader<Value> {
        guard !closed else { throw BlockfileError(.writerClosed, "commit twice", blockfileID: uploader.blockfileID) }
        closed = true
        if !buffer.isEmpty { try await flushBuffer() }
        let blocks = try await uploader.finish()
        let root = try await uploader.writeRoot(blocks: blocks, maxBlockSize: maxBlockSize)
        return BlockfileReader(root: root, store: uploader.store, location: uploader.location, cache: cache)
    }
}
