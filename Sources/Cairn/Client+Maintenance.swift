// Store maintenance through a client: garbage collection and the consistency check (what `cairn gc` and
// `cairn check` run; docs/operations.md).
import Compaction
import Foundation
import ObjectStore

extension Client {
    /// Deletes the objects no kept version references (see `GarbageCollectionPolicy`); a dry run only reports.
    /// Safe beside running compactions, readers and writers: it never deletes what a kept version references,
    /// nor anything younger than the policy's `minAge`.
    public func collectGarbage(
        _ policy: GarbageCollectionPolicy = GarbageCollectionPolicy(), progress: (@Sendable (String) -> Void)? = nil,
        reporter: ProgressReporter? = nil
    ) async throws -> GarbageCollectionReport {
        try await boundary {
            try await maintenanceCall {
                try await GarbageCollector(store: context.store, root: context.root, service: context.catalog.service)
                    .collect(
                        policy, progress: progress, reporter: reporter, isCompacting: context.maintenance.isCompacting)
            }
        }
    }

    /// Walks every version, root, block and HNSW file in the store and reports dangling or corrupt references.
    /// Read-only. `loadIndexes` also loads every HNSW index.
    public func check(
        loadIndexes: Bool = false, progress: (@Sendable (String) -> Void)? = nil, reporter: ProgressReporter? = nil
    ) async throws -> CheckReport {
        try await boundary {
            try await maintenanceCall {
                try await StoreChecker(store: context.store, root: context.root, service: context.catalog.service)
                    .check(loadIndexes: loadIndexes, progress: progress, reporter: reporter)
            }
        }
    }

    private func maintenanceCall<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as CompactionError {
            throw CairnError(.storage, error.message)
        }
    }
}

extension Client {
    /// Runs `body` (a query, a get…) and says what it read from the object store: requests and bytes; no request
    /// means caches served it all. Tasks `body` starts are counted too.
    public static func measuringFetches<T>(_ body: () async throws -> T) async rethrows -> (T, FetchSummary) {
        let stats = FetchStats()
        let value = try await FetchTracking.$current.withValue(stats) { try await body() }
        return (value, FetchSummary(objects: stats.objects, bytes: stats.bytes))
    }
}

/// What one operation read from the object store.
public struct FetchSummary: Sendable, Hashable {
    public var objects: Int
    public var bytes: Int
    /// Served from caches alone.
    public var fromCache: Bool { objects == 0 }
}
