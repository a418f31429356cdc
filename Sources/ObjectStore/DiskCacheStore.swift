// A read-through cache on local disk in front of a remote store, for the objects that never change once written
// (blocks, roots, HNSW files, version manifests): a node's disk is only ever a cache of the bucket. Reads of a
// cached object never reach the remote store; writes go to the remote store and, when the key is immutable, into
// the cache too (a compaction's new files are what the next queries read). Bounded in bytes: the least recently
// used files go first. `localFile` hands out cached files, so hnswlib loads an index straight from the disk cache.
import Foundation
import Synchronization

public final class DiskCacheStore: WrappingStore {
    public let wrapped: any ObjectStore
    public let capacityBytes: Int
    private let cache: LocalFileStore
    private let isImmutable: @Sendable (String) -> Bool

    /// The cached keys, weighed by their sizes.
    private let state: Mutex<WeightedLRU<String, Int>>

    /// A cache in `directory` (created if needed; files already there are kept and counted) of at most
    /// `capacityBytes`, holding the keys `isImmutable` accepts.
    public init(
        _ base: any ObjectStore, directory: URL, capacityBytes: Int,
        isImmutable: @escaping @Sendable (String) -> Bool
    ) async throws {
        wrapped = base
        self.capacityBytes = max(0, capacityBytes)
        self.isImmutable = isImmutable
        cache = try LocalFileStore(root: directory)
        state = Mutex(WeightedLRU(capacity: self.capacityBytes))
        let existing = try await cache.listAll(prefix: "").sorted {
            ($0.lastModified ?? .distantPast) < ($1.lastModified ?? .distantPast)
        }
        let victims = state.withLock { lru in
            existing.flatMap { info in lru.insert(info.key, info.size, weight: info.size).map(\.0) }
        }
        for key in victims { try? await cache.delete(key) }
    }

    /// Bytes of objects on disk.
    public var cachedBytes: Int { state.withLock { $0.totalWeight } }

    // MARK: Reads

    public func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        guard isImmutable(key) else { return try await wrapped.get(key, range: range) }
        if touch(key) {
            do {
                return try await cache.get(key, range: range)
            } catch let error as ObjectStoreError where error.code == .notFound {
                forget(key)  // removed behind our back: fetch it again
            }
        }
        guard range == nil else { return try await wrapped.get(key, range: range) }
        let object = try await wrapped.get(key, range: nil)
        try object.checkComplete()
        await remember(key, object.data)
        return object
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        if isImmutable(key), touch(key), let info = try? await cache.head(key) { return info }
        return try await wrapped.head(key)
    }

    public func localFile(_ key: String) -> URL? {
        guard isImmutable(key), touch(key) else { return nil }
        return cache.localFile(key)
    }

    // MARK: Writes

    public func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        let info = try await wrapped.put(key, data: data, condition: condition)
        if isImmutable(key) { await remember(key, data) }
        return info
    }

    public func delete(_ key: String) async throws {
        try await wrapped.delete(key)
        if forget(key) { try? await cache.delete(key) }
    }

    // MARK: Bookkeeping

    /// Marks `key` used; whether it is cached.
    private func touch(_ key: String) -> Bool {
        state.withLock { $0.get(key) != nil }
    }

    @discardableResult
    private func forget(_ key: String) -> Bool {
        state.withLock { $0.remove(key) != nil }
    }

    /// Stores an object in the cache (best effort: a full disk only means a miss later), evicting the least
    /// recently used files past the capacity.
    private func remember(_ key: String, _ data: Data) async {
        guard data.count <= capacityBytes, (try? await cache.put(key, data: data, condition: .none)) != nil else {
            return
        }
        let victims = state.withLock { $0.insert(key, data.count, weight: data.count).map(\.0) }
        for victim in victims { try? await cache.delete(victim) }
    }
}
