// One runtime per open collection of a client: every `Collection` handle of the same collection shares it, so writes
// through any handle are visible to reads through all of them.
import Blockfile
import Catalog
import ObjectStore
import Synchronization

final class CollectionRegistry: Sendable {
    private let store: any ObjectStore
    private let root: ObjectPath
    private let cache: BlockCache
    private let catalog: CatalogAccess
    private let refreshInterval: Duration
    private let hooks: RuntimeHooks?
    private let tailIndexMaxVectors: Int
    private let runtimes = Mutex<[String: CollectionRuntime]>([:])

    init(
        store: any ObjectStore, root: ObjectPath, cache: BlockCache, catalog: CatalogAccess, refreshInterval: Duration,
        tailIndexMaxVectors: Int, hooks: RuntimeHooks?
    ) {
        self.store = store
        self.root = root
        self.cache = cache
        self.catalog = catalog
        self.refreshInterval = refreshInterval
        self.hooks = hooks
        self.tailIndexMaxVectors = tailIndexMaxVectors
    }

    /// The collection's runtime, made on first use.
    func runtime(for record: CollectionRecord) -> CollectionRuntime {
        runtimes.withLock { runtimes in
            if let runtime = runtimes[record.id] { return runtime }
            let path = root.collection(tenant: record.tenant, database: record.database, collectionID: record.id)
            let id = record.id
            let runtime = CollectionRuntime(
                collectionID: id, path: path, store: store, cache: cache, refreshInterval: refreshInterval,
                currentVersion: { [catalog] in try await catalog.currentVersion(collectionID: id) },
                catalogCompactedOffset: { [catalog] in try catalog.compactedLogOffset(collectionID: id) },
                tailIndexMaxVectors: tailIndexMaxVectors, hooks: hooks)
            runtimes[id] = runtime
            return runtime
        }
    }

    /// The runtime of a collection that is open, if it is.
    func openRuntime(collectionID: String) -> CollectionRuntime? {
        runtimes.withLock { $0[collectionID] }
    }

    func forget(collectionID: String) {
        runtimes.withLock { _ = $0.removeValue(forKey: collectionID) }
    }
}
