// The client's one way to its catalog: the SQLite database, the manifests in the bucket and the one CatalogService
// that changes them (the publish order lives there), keeping up with other nodes (sync-if-stale, sync-on-miss), and
// one mapping of catalog errors to Cairn's.
import Catalog
import Foundation
import ObjectStore
import Segments
import Synchronization

final class CatalogAccess: Sendable {
    let database: CatalogDatabase
    let manifests: ManifestStore
    /// Every catalog change goes through it: manifest first, then compare-and-swap.
    let service: CatalogService
    private let store: any ObjectStore
    private let root: ObjectPath
    private let refreshInterval: Duration
    private let log: (@Sendable (String) -> Void)?

    private struct SyncState {
        /// When the catalog was last brought up to the bucket (collections made by other nodes).
        var lastSync = ContinuousClock.now
        /// Collections a sync found deleted (tombstoned): later syncs skip their folders until GC removes them.
        var deletedCollections: Set<String> = []
    }

    private let sync = Mutex(SyncState())

    init(
        store: any ObjectStore, root: ObjectPath, database: CatalogDatabase, refreshInterval: Duration,
        log: (@Sendable (String) -> Void)?
    ) {
        self.store = store
        self.root = root
        self.database = database
        self.refreshInterval = refreshInterval
        self.log = log
        manifests = ManifestStore(store: store, path: root)
        service = CatalogService(database: database, manifests: manifests)
    }

    /// Calls the catalog database, turning its errors into Cairn's.
    func call<T>(_ body: (CatalogDatabase) throws -> T) throws -> T {
        do {
            return try body(database)
        } catch let error as CatalogError {
            throw CairnError(error)
        }
    }

    /// Calls the catalog service, turning its errors into Cairn's.
    func serviceCall<T>(_ body: (CatalogService) async throws -> T) async throws -> T {
        do {
            return try await body(service)
        } catch let error as CatalogError {
            throw CairnError(error)
        }
    }

    /// Brings the whole catalog up to what the bucket holds (collections other nodes created, renamed or deleted),
    /// at most once per refresh interval.
    func syncIfStale() async {
        let deleted = sync.withLock { state -> Set<String>? in
            guard ContinuousClock.now - state.lastSync >= refreshInterval else { return nil }
            state.lastSync = .now
            return state.deletedCollections
        }
        guard let deleted else { return }
        do {
            let report = try await CatalogRebuilder(store: store, prefix: root).rebuild(
                into: database, incremental: true, deleted: deleted)
            sync.withLock { $0.deletedCollections.formUnion(report.tombstonedIDs) }
        } catch {
            log?("catalog sync from the store failed: \(error)")
        }
    }

    /// A catalog read that, when it finds nothing, syncs the catalog from the bucket (rate-limited) and tries once
    /// more: the collection may have been created on another node.
    func callSyncingOnMiss<T>(_ body: (CatalogDatabase) throws(CatalogError) -> T) async throws -> T {
        do throws(CatalogError) {
            return try body(database)
        } catch  where error.code == .notFound {
            await syncIfStale()
            return try call { catalog throws(CatalogError) in try body(catalog) }
        } catch {
            throw CairnError(error)
        }
    }

    func manifest(of record: CollectionRecord) async throws -> CollectionManifest {
        do {
            return try await manifests.read(
                tenant: record.tenant, database: record.database, collectionID: record.id, version: record.version)
        } catch {
            throw CairnError(error)
        }
    }

    /// What the catalog says of a collection's current version, after catching up with manifests other processes
    /// published.
    func currentVersion(collectionID id: String) async throws -> VersionInfo {
        do {
            try await service.catchUp(collectionID: id)
            return try VersionInfo(
                record: try database.collection(id: id), segments: try database.segments(collectionID: id))
        } catch let error as CatalogError {
            throw CairnError(error)
        }
    }

    /// The collection's compacted log offset as the catalog has it.
    func compactedLogOffset(collectionID id: String) throws -> UInt64 {
        do throws(CatalogError) {
            return try database.collection(id: id).compactedLogOffset
        } catch {
            throw CairnError(error)
        }
    }
}

extension VersionInfo {
    init(record: CollectionRecord, segments: [SegmentRecord]) throws {
        func files(_ kind: SegmentKind) throws -> SegmentFiles {
            guard let segment = segments.first(where: { $0.kind == kind }) else {
                throw CairnError(.corrupt, "collection \(record.id) has no \(kind.rawValue) segment in the catalog")
            }
            return SegmentFiles(id: segment.id, files: segment.files)
        }
        self.init(
            version: record.version,
            segments: CollectionSegments(
                record: try files(.record), metadata: try files(.metadata), vector: try files(.vector),
                compactedOffset: record.compactedLogOffset),
            dimension: record.dimension)
    }
}

extension CairnError {
    init(_ error: CatalogError) {
        let code: Code
        switch error.code {
        case .notFound: code = .notFound
        case .alreadyExists: code = .alreadyExists
        case .invalidArgument: code = .invalidArgument
        case .conflict: code = .conflict
        case .corrupt, .unsupportedVersion: code = .corrupt
        default: code = .storage
        }
        self.init(code, error.message)
    }
}
