// What garbage collection and `cairn check` need of a blockfile version without knowing its value type: the
// objects it references, and a full read that decodes every block and entry.
import Bitmaps
import Foundation
import ObjectStore

extension BlockfileLocation {
    /// Reads and decodes the root of version `rootID` (any value type).
    public func readRoot(_ rootID: String, store: any ObjectStore) async throws -> BlockfileRoot {
        let data: Data
        do {
            data = try await store.get(rootKey(rootID)).data
        } catch let error as ObjectStoreError where error.code == .notFound {
            throw BlockfileError(.notFound, "root \(rootID) does not exist (\(error))")
        } catch let error as ObjectStoreError {
            throw BlockfileError(.storage, "reading root \(rootID): \(error)")
        }
        return try BlockfileRoot(decoding: data, rootID: rootID)
    }

    /// Every object the version of `root` is made of: the root and each block (with its delta).
    public func objectKeys(of root: BlockfileRoot) -> [String] {
        [rootKey(root.rootID)] + root.blocks.flatMap { $0.objectIDs.map(blockKey) }
    }

    /// Reads every block of `root` and decodes every entry, checking each block against its root entry (count and
    /// key range) and the entry total against the root's. Throws the first problem, naming the blockfile and block.
    /// Returns the entries read.
    public func checkAllEntries(of root: BlockfileRoot, store: any ObjectStore, cache: BlockCache) async throws -> Int {
        switch root.valueType {
        case .string: try await checkEntries(BlockfileReader<String>.self, root, store, cache)
        case .uint32: try await checkEntries(BlockfileReader<UInt32>.self, root, store, cache)
        case .uint32List: try await checkEntries(BlockfileReader<[UInt32]>.self, root, store, cache)
        case .float32List: try await checkEntries(BlockfileReader<[Float]>.self, root, store, cache)
        case .roaringBitmap: try await checkEntries(BlockfileReader<RoaringBitmap>.self, root, store, cache)
        case .dataRecord: try await checkEntries(BlockfileReader<DataRecord>.self, root, store, cache)
        }
    }

    private func checkEntries<Value>(
        _: BlockfileReader<Value>.Type, _ root: BlockfileRoot, _ store: any ObjectStore, _ cache: BlockCache
    ) async throws -> Int {
        let reader = BlockfileReader<Value>(root: root, store: store, location: self, cache: cache)
        var entries = 0
        for try await batch in reader.scan().batches() { entries += batch.count }
        guard entries == root.count else {
            throw BlockfileError(
                .corrupt, "root counts \(root.count) entries, its blocks hold \(entries)", blockfileID: root.blockfileID
            )
        }
        return entries
    }
}
