// Helpers for the catalog tests: a deterministic clock and a way to compare two catalogs row by row.
import Catalog
import Foundation
import Synchronization
import Testing

/// A clock that advances one millisecond per reading, from a fixed start, so times are distinct and repeatable.
final class SteppingClock: Sendable {
    private let milliseconds = Mutex<Int64>(1_800_000_000_000)

    var now: @Sendable () -> Date {
        { [self] in
            Date(
                timeIntervalSince1970: Double(
                    milliseconds.withLock {
                        $0 += 1
                        return $0
                    }) / 1000)
        }
    }
}

/// Everything a catalog holds, in a comparable shape.
struct CatalogSnapshot: Equatable {
    var tenants: [TenantRecord]
    var databases: [DatabaseRecord]
    var collections: [CollectionRecord]
    var segments: [String: [SegmentRecord]]
    var versions: [String: [CollectionVersionRecord]]

    init(_ catalog: CatalogDatabase) throws {
        tenants = try catalog.listTenants()
        databases = try tenants.flatMap { try catalog.listDatabases(tenant: $0.name) }
        collections = try databases.flatMap { try catalog.listCollections(tenant: $0.tenant, database: $0.name) }
        segments = [:]
        versions = [:]
        for collection in collections {
            segments[collection.id] = try catalog.segments(collectionID: collection.id)
            versions[collection.id] = try catalog.versions(collectionID: collection.id)
        }
    }
}

/// Expects `body` to throw a `CatalogError` with `code` (and, when given, exactly `message`).
func expectCatalogError<T>(
    _ code: CatalogError.Code, _ message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> T
) {
    do {
        _ = try body()
        Issue.record("expected a \(code) error", sourceLocation: sourceLocation)
    } catch let error as CatalogError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if let message { #expect(error.message == message, sourceLocation: sourceLocation) }
    } catch {
        Issue.record("expected a CatalogError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// The async form of `expectCatalogError`.
func expectCatalogErrorAsync<T>(
    _ code: CatalogError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected a \(code) error", sourceLocation: sourceLocation)
    } catch let error as CatalogError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a CatalogError, got \(error)", sourceLocation: sourceLocation)
    }
}
