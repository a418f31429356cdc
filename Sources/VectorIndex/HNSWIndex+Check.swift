// What `cairn check` needs of a stored HNSW index: that its header is readable, its data file is there with the
// size the header names, and (when asked) that the file loads and holds the counts the header claims.
import Foundation
import ObjectStore

/// What a stored index's header says about it.
public struct StoredHNSWIndexSummary: Sendable, Hashable {
    public var dimension: Int
    /// Elements in the graph, deleted ones included.
    public var count: Int
    public var deletedCount: Int
    public var dataBytes: Int
    public var liveCount: Int { count - deletedCount }
}

extension HNSWIndex {
    /// Checks the index stored at `location`: the header decodes, the data object exists with the header's size,
    /// and with `load` the file loads with the header's counts. Throws a `VectorIndexError` naming the key.
    public static func checkStored(at location: HNSWIndexLocation, store: any ObjectStore, load: Bool)
        async throws(VectorIndexError) -> StoredHNSWIndexSummary
    {
        let header = try await readHeader(of: location, store: store)
        if load {
            _ = try await read(from: location, header: header, store: store, temporaryRoot: nil)
        } else {
            let info: ObjectInfo
            do {
                info = try await store.head(location.dataKey)
            } catch {
                throw VectorIndexError(.store, "reading \(location.dataKey): \(error)")
            }
            guard info.size == header.dataBytes else {
                throw VectorIndexError(
                    .corrupt, "\(location.dataKey) has \(info.size) bytes, its header says \(header.dataBytes)")
            }
        }
        return StoredHNSWIndexSummary(
            dimension: header.dimension, count: header.count, deletedCount: header.deletedCount,
            dataBytes: header.dataBytes)
    }
}
