// What one compaction attempt wrote: a store wrapper that records the keys of successful writes, so that an attempt
// that fails before its manifest could exist removes its own blocks, roots and index files at once instead of
// leaving them to garbage collection's minimum age (a failing disk would otherwise fill up with them).
import Foundation
import ObjectStore
import Synchronization

final class AttemptObjects: WrappingStore, Sendable {
    let wrapped: any ObjectStore
    private let keys = Mutex<[String]>([])

    init(wrapping store: any ObjectStore) { wrapped = store }

    /// Keys written through this store so far, in order.
    var written: [String] { keys.withLock { $0 } }

    func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        let info = try await wrapped.put(key, data: data, condition: condition)
        keys.withLock { $0.append(key) }
        return info
    }

    func completeMultipartUpload(_ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition)
        async throws -> ObjectInfo
    {
        let info = try await wrapped.completeMultipartUpload(
            key, uploadID: uploadID, parts: parts, condition: condition)
        keys.withLock { $0.append(key) }
        return info
    }

    /// Deletes what the attempt wrote, and whatever lies under `prefixes` (files written by others on its behalf,
    /// such as the HNSW provider's). Best effort: what cannot be deleted now is an orphan for GC. Returns the
    /// number of objects deleted.
    func discard(alsoUnder prefixes: [String]) async -> Int {
        var doomed = Set(written)
        for prefix in prefixes {
            for object in (try? await wrapped.listAll(prefix: prefix)) ?? [] { doomed.insert(object.key) }
        }
        var deleted = 0
        for key in doomed.sorted() where (try? await wrapped.delete(key)) != nil { deleted += 1 }
        return deleted
    }
}
