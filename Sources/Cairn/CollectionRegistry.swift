// One runtime per open collection of a client: every `Collection` handle of the same collection shares it, so writes
// through any handle are visible to reads through all of them. Runtimes nobody holds stay for reuse up to
// `maxOpenCollections`, least recently used out past it (a node serving 10,000 tenants must not keep a view of each
// in memory for ever; a dropped one is opened again from the store on its next use). A runtime a handle or a request
// still holds is found through a weak reference, so there is never a second one for the same collection.
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
    private let runtimes = Mutex<Runtimes>(Runtimes())
    private let maxOpenCollections: Int

    private struct Weak {
        weak var runtime: CollectionRuntime?
    }

    private struct Runtimes {
        /// Every runtime alive, whoever holds it.
        var alive: [String: Weak] = [:]
        /// The ones this registry keeps alive, least recently used first.
        var kept: [CollectionRuntime] = []
        /// `alive` is swept of released runtimes once it grows past this (twice what the last sweep left).
        var sweepAt = 0

        mutating func use(_ runtime: CollectionRuntime, limit: Int) {
            if let at = kept.lastIndex(where: { $0 === runtime }) { kept.remove(at: at) }
            kept.append(runtime)
            if kept.count > max(limit, 1) { kept.removeFirst(kept.count - max(limit, 1)) }
            if alive.count > max(sweepAt, 2 * max(limit, 64)) {
                alive = alive.filter { $0.value.runtime != nil }
                sweepAt = 2 * alive.count
            }
        }

        mutating func remove(_ id: String) {
            alive[id] = nil
            kept.removeAll { $0.collectionID == id }
        }
    }

    init(
        store: any ObjectStore, root: ObjectPath, cache: BlockCache, catalog: CatalogAccess, refreshInterval: Duration,
        tailIndexVectors: ClosedRange<Int>, maxOpenCollections: Int, hooks: RuntimeHooks?
    ) {
        self.maxOpenCollections = maxOpenCollections
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
            if let runtime = runtimes.alive[record.id]?.runtime {
                runtimes.use(runtime, limit: maxOpenCollections)
                return runtime
            }
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
            runtimes.alive[id] = Weak(runtime: runtime)
            runtimes.use(runtime, limit: maxOpenCollections)
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
        runtimes.withLock { $0.alive[collectionID]?.runtime }
    }

    func forget(collectionID: String) {
        runtimes.withLock { $0.remove(collectionID) }
    }
}
