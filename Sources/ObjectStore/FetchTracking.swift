// What the object store served to one operation — a query, a get — for observability: `TrackingStore` counts
// every read (get, head, list) into the `FetchStats` that the calling task set in `FetchTracking.current`.
// Tasks started from it inherit it; nothing is counted when none is set. A client puts it right above the store
// proper (below a disk cache, whose hits are not fetches); files read in place through `localFile` (an HNSW index
// on a local folder or in the disk cache) are not counted.
import Foundation
import Synchronization

public final class FetchStats: Sendable {
    private let state = Mutex<(objects: Int, bytes: Int)>((0, 0))

    public init() {}

    /// One request to the store that returned `bytes` bytes.
    public func record(bytes: Int) {
        state.withLock {
            $0.objects += 1
            $0.bytes += bytes
        }
    }

    /// Reads made: 0 means the operation was served from caches alone.
    public var objects: Int { state.withLock { $0.objects } }
    public var bytes: Int { state.withLock { $0.bytes } }
}

public enum FetchTracking {
    @TaskLocal public static var current: FetchStats?
}

/// A store that counts reads into `FetchTracking.current`.
public struct TrackingStore: WrappingStore {
    public let wrapped: any ObjectStore

    public init(_ wrapped: any ObjectStore) { self.wrapped = wrapped }

    public func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        let object = try await wrapped.get(key, range: range)
        FetchTracking.current?.record(bytes: object.data.count)
        return object
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        let info = try await wrapped.head(key)
        FetchTracking.current?.record(bytes: 0)
        return info
    }

    public func list(prefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws
        -> ObjectListPage
    {
        let page = try await wrapped.list(
            prefix: prefix, delimiter: delimiter, continuation: continuation, maxKeys: maxKeys)
        FetchTracking.current?.record(bytes: 0)
        return page
    }
}
