// The catalog: tenants, databases, collections, segments and collection versions in SQLite (GRDB, WAL mode).
// Every method is synchronous and safe from many tasks; writes are serialised by GRDB's writer. Async callers run
// writes through `perform`, off Swift's cooperative pool: a write may wait up to the busy timeout for another
// process's lock. Reads do not wait for writers in WAL mode, so they run where they are called.
import Dispatch
import Foundation
import GRDB

public final class CatalogDatabase: Sendable {
    /// The catalog file of the embedded store in `folder`.
    public static func fileURL(inFolder folder: URL) -> URL {
        folder.appendingPathComponent("catalog.sqlite3")
    }

    /// The schema version this build writes (the number of migrations it knows).
    public static var schemaVersion: Int { CatalogSchema.migrations.count }

    /// The default tenant and database every catalog has (Chroma's names).
    public static let defaultTenant = CatalogSchema.defaultTenant
    public static let defaultDatabase = CatalogSchema.defaultDatabase

    let writer: any DatabaseWriter
    let now: @Sendable () -> Date
    /// Where the catalog lives, for messages ("in memory" for the test variant).
    public let location: String

    /// Opens (creating if needed) the catalog at `url` in WAL mode and brings its schema up to date.
    /// Throws `unsupportedVersion` if a newer Cairn wrote it, `storage` if SQLite cannot open it.
    /// `now` is the clock for created/updated times (injected by tests).
    public convenience init(url: URL, now: @escaping @Sendable () -> Date = { Date() }) throws(CatalogError) {
        let writer: DatabasePool
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            writer = try DatabasePool(path: url.path, configuration: Self.configuration)
        } catch {
            throw CatalogError(.storage, "cannot open the catalog at \(url.path): \(error)")
        }
        try self.init(writer: writer, location: url.path, now: now)
    }

    /// A catalog in memory, gone when the value is released: for tests and throw-away clients.
    public static func inMemory(now: @escaping @Sendable () -> Date = { Date() }) throws(CatalogError)
        -> CatalogDatabase
    {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(configuration: configuration)
        } catch {
            throw CatalogError(.storage, "cannot open an in-memory catalog: \(error)")
        }
        return try CatalogDatabase(writer: queue, location: "in memory", now: now)
    }

    private static var configuration: Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Other processes (a `cairn catalog rebuild`, a second client) may hold the write lock briefly.
        configuration.busyMode = .timeout(10)
        configuration.label = "cairn.catalog"
        return configuration
    }

    private init(writer: any DatabaseWriter, location: String, now: @escaping @Sendable () -> Date)
        throws(CatalogError)
    {
        self.writer = writer
        self.location = location
        self.now = now
        let migrator = CatalogSchema.migrator
        do {
            let unknown = try writer.read { db in
                try migrator.appliedIdentifiers(db).subtracting(CatalogSchema.migrations)
            }
            guard unknown.isEmpty else {
                throw CatalogError(
                    .unsupportedVersion,
                    "the catalog at \(location) was written by a newer Cairn (schema migrations "
                        + "\(unknown.sorted().joined(separator: ", ")) are unknown to this build, which knows "
                        + "\(CatalogSchema.migrations.joined(separator: ", ")))")
            }
            try migrator.migrate(writer)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError(.storage, "cannot migrate the catalog at \(location): \(error)")
        }
    }

    /// Threads of their own for catalog writes (GCD adds one when a write waits for SQLite's lock), so a write
    /// never holds one of the cooperative pool's few threads.
    private static let writeQueue: DispatchQueue = {
        let queue = DispatchQueue(label: "cairn.catalog", attributes: .concurrent)
        queue.setSpecific(key: writeQueueKey, value: ())
        return queue
    }()
    private static let writeQueueKey = DispatchSpecificKey<Void>()

    /// Whether the caller runs on the catalog's own threads (what `perform` promises; for tests).
    package static var isOnCatalogThread: Bool { DispatchQueue.getSpecific(key: writeQueueKey) != nil }

    /// Runs `body` (catalog calls that write) on the catalog's own threads and resumes the caller when it is done.
    /// (`body` throws only what the catalog's own methods throw, `CatalogError`.)
    @discardableResult
    public func perform<T: Sendable>(_ body: @escaping @Sendable (CatalogDatabase) throws -> T)
        async throws(CatalogError) -> T
    {
        let result: Result<T, CatalogError> = await withCheckedContinuation { continuation in
            Self.writeQueue.async {
                do {
                    continuation.resume(returning: .success(try body(self)))
                } catch let error as CatalogError {
                    continuation.resume(returning: .failure(error))
                } catch {
                    continuation.resume(returning: .failure(Self.storageError(error)))
                }
            }
        }
        return try result.get()
    }

    /// Runs `body` in a write transaction, mapping SQLite failures to `storage` errors.
    func write<T>(_ body: (Database) throws -> T) throws(CatalogError) -> T {
        do {
            return try writer.write(body)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw Self.storageError(error)
        }
    }

    /// Runs `body` on a consistent snapshot, mapping SQLite failures to `storage` errors.
    func read<T>(_ body: (Database) throws -> T) throws(CatalogError) -> T {
        do {
            return try writer.read(body)
        } catch let error as CatalogError {
            throw error
        } catch {
            throw Self.storageError(error)
        }
    }

    static func storageError(_ error: any Error) -> CatalogError {
        // GRDB's DatabaseError names the SQL but not its arguments, so no user value leaks into the message.
        if let error = error as? DatabaseError {
            return CatalogError(.storage, "SQLite: \(error.message ?? "error") (code \(error.resultCode.rawValue))")
        }
        return CatalogError(.corrupt, "cannot read a catalog row: \(error)")
    }

    /// Checks a page request: `limit` ≥ 1 when given, `offset` ≥ 0 (Chroma's rules for list calls).
    static func checkPage(limit: Int?, offset: Int) throws(CatalogError) {
        if let limit, limit <= 0 {
            throw CatalogError(.invalidArgument, "Expected limit to be a positive integer, got \(limit)")
        }
        guard offset >= 0 else {
            throw CatalogError(.invalidArgument, "Expected offset to be a non-negative integer, got \(offset)")
        }
    }
}
