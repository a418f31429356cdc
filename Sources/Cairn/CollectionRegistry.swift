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
    /// How many records a tail holds before it gets a vector index, and at most in it.
    private let tailIndexVectors: ClosedRange<Int>
    private let runtimes = Mutex<[String: CollectionRuntime]>([:])

    init(
        store: any ObjectStore, root: ObjectPath, cache: BlockCache, catalog: CatalogAccess, refreshInterval: Duration,
        tailIndexVectors: ClosedRange<Int>, hooks: RuntimeHooks?
    ) {
        self.store = store
        self.root = root
        self.cache = cache
        self.catalog = catalog
        self.refreshInterval = refreshInterval
        self.hooks = hooks
        self.tailIndexVectors = tailIndexVectors
    }

    /// The collection's runtime, made on first use.
    func runtime(for record: CollectionRecord) -> CollectionRuntime {
        runtimes.withLock { runtimes in
            if let runtime = runtimes[record.id] { return runtime }
            let path = root.collection(tenant: record.tenant, database: record.database, collectionID: record.id)
            let id = record.id
            let runtime = CollectionRuntime(
                collectionID: id, path: path, store: store, cache: cache, refreshInterval: refreshInterval,
                // Weakly: the client owns its catalog, and a runtime busy in the background must not keep it open.
                currentVersion: { [weak catalog] in
                    try await Self.open(catalog).currentVersion(collectionID: id)
                },
                catalogCompactedOffset: { [weak catalog] in try Self.open(catalog).compactedLogOffset(collectionID: id)
                },
                tailIndexVectors: tailIndexVectors, hooks: hooks)
            runtimes[id] = runtime
            return runtime
        }
    }

    /// The catalog a runtime reaches through a weak reference, or an error once its client is gone.
    private static func open(_ catalog: CatalogAccess?) throws -> CatalogAccess {
        guard let catalog else { throw CairnError(.invalidArgument, "the client of this collection was closed") }
        return catalog
    }

    /// The runtime of a collection that is open, if it is.
    func openRuntime(collectionID: String) -> CollectionRuntime? {
        runtimes.withLock { $0[collectionID] }
    }

    func forget(collectionID: String) {
        runtimes.withLock { _ = $0.removeValue(forKey: collectionID) }
    }
}
