// What every collection of a client shares, and who owns each concern: the store and the caches, the catalog
// (CatalogAccess: the database, the one CatalogService, sync with other nodes), the open collections
// (CollectionRegistry: one runtime each) and background work (MaintenanceScheduler: compaction, GC, their metrics).
// `Client` and `Collection` are the façade over it.
import Blockfile
import Catalog
import Compaction
import Foundation
import ObjectStore
import Segments
import VectorIndex

final class ClientContext: Sendable {
    let store: any ObjectStore
    let root: ObjectPath
    let options: Client.Options
    let cache: BlockCache
    let provider: HnswIndexProvider
    let catalog: CatalogAccess
    let registry: CollectionRegistry
    let maintenance: MaintenanceScheduler

    init(store: any ObjectStore, root: ObjectPath, catalog database: CatalogDatabase, options: Client.Options) {
        self.store = store
        self.root = root
        self.options = options
        cache = BlockCache(blockCapacity: options.blockCacheBytes)
        provider = HnswIndexProvider(store: store, capacityBytes: options.hnswCacheBytes)
        catalog = CatalogAccess(
            store: store, root: root, database: database, refreshInterval: options.refreshInterval, log: options.log)
        TailIndex.publishTotals()
        registry = CollectionRegistry(
            store: store, root: root, cache: cache, catalog: catalog, refreshInterval: options.refreshInterval,
            tailIndexVectors: min(
                options.tailIndexMinVectors, options.tailIndexMaxVectors)...options.tailIndexMaxVectors,
            maxOpenCollections: options.maxOpenCollections, hooks: options.runtimeHooks)
        maintenance = MaintenanceScheduler(
            store: store, root: root, options: options,
            compactor: Compactor(
                store: store, root: root, service: catalog.service, provider: provider, cache: cache,
                vectorsInRecordsLimit: options.vectorsInRecordsLimit),
            catalog: catalog, registry: registry)
    }

    /// Forgets a deleted collection everywhere it is held.
    func forget(collectionID: String) {
        registry.forget(collectionID: collectionID)
        maintenance.forget(collectionID: collectionID)
    }

    func modify(
        collectionID: String, name: String?, metadata: Metadata?, configuration: [String: JSONValue]? = nil
    ) async throws -> Collection {
        if let metadata, !metadata.isEmpty { try WriteValidation.metadata(metadata) }
        var change: CatalogService.ConfigurationChange?
        if let configuration {
            let update: CollectionConfiguration.Update
            do {
                update = try CollectionConfiguration.Update(json: configuration)
            } catch {
                throw CairnError(validation: error)
            }
            change = { stored throws(CatalogError) in
                do throws(ValidationError) {
                    return try update.applied(to: stored)
                } catch {
                    throw CatalogError(.invalidArgument, error.message)
                }
            }
        }
        let updated = try await catalog.serviceCall {
            try await $0.modifyCollection(
                id: collectionID, name: name, metadata: metadata.map { $0.mapValues(\.json) }, configuration: change)
        }
        return try collection(updated)
    }

    func collection(_ record: CollectionRecord) throws -> Collection {
        let configuration: CollectionConfiguration
        do {
            configuration = try CollectionConfiguration(
                metadata: nil, configuration: record.configuration, stored: true)
        } catch {
            throw CairnError(.corrupt, "configuration of collection \(record.name): \(error.message)")
        }
        return Collection(
            record: record, configuration: configuration, runtime: registry.runtime(for: record), context: self)
    }
}
