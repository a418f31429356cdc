// `cairn gc URL` and `cairn check URL`: garbage collection and the store's consistency check (docs/operations.md).
import ArgumentParser
import Cairn
import Foundation

/// Where the store is and which catalog file to use: shared by the maintenance commands.
struct StoreOptions: ParsableArguments {
    @Argument(help: "The store: a folder, file:///dir or s3://bucket[/prefix].") var url: String
    @Option(help: "Catalog file (s3:// stores; rebuilt from the bucket when missing).") var catalog: String?

    /// A client for a one-shot tool: no background compaction or GC; `adjust` sets anything else.
    func open(_ adjust: (inout Client.Options) -> Void = { _ in }) async throws -> Client {
        var options = Client.Options()
        options.compactionThreshold = nil
        options.garbageCollectionInterval = nil
        options.catalogFile = catalog.map { URL(fileURLWithPath: $0) }
        adjust(&options)
        return try await Client.open(url, options: options)
    }
}

struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Delete objects no kept collection version references.",
        discussion: """
            Keeps, per collection, the newest --keep-versions versions, the catalog's current one, and every \
            version replaced less than --min-age seconds (or --keep-for) ago, with everything they reference. Deletes superseded \
            manifests, blocks, roots and HNSW files only older versions used, orphans of failed compactions, log \
            fragments already compacted, and the folders of deleted collections. Nothing younger than --min-age is \
            deleted (a compaction in progress writes its files before publishing them). Safe to run beside \
            `cairn serve` and `cairn compact`; safe to interrupt. Shows its progress on stderr (--quiet: none).
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "Newest versions always kept per collection (at least 1).")
    var keepVersions: Int = GarbageCollectionPolicy.defaultKeepVersions
    @Option(help: "Seconds: younger objects are never deleted, and replaced versions stay kept this long.")
    var minAge: Double = GarbageCollectionPolicy.defaultMinAge
    @Option(
        help: "Retention: replaced versions stay kept (readable, restorable) this long, e.g. 90m, 12h, 7d.",
        transform: RetentionDuration.seconds)
    var keepFor: Double = 0
    @Flag(help: "List what would be deleted, and the bytes; delete nothing.") var dryRun = false
    @Flag(help: "Print every object deleted (or that would be).") var verbose = false
    @OptionGroup var progress: ProgressOptions

    func run() async throws {
        let printer = progress.printer()
        defer { printer.stop() }
        let client = try await store.open()
        let policy = GarbageCollectionPolicy(
            keepVersions: keepVersions, minAge: minAge, keepFor: keepFor, dryRun: dryRun)
        let report = try await client.collectGarbage(
            policy, progress: { printer.log("  \($0)") }, reporter: printer.reporter)
        printer.finish()
        if verbose {
            for deletion in report.deletions { print("  \(dryRun ? "would delete" : "deleted") \(deletion.key)") }
        }
        let kinds = GarbageCollectionReport.Kind.allCases.filter { report.count($0) > 0 }
            .map { "\(report.count($0)) \($0.rawValue) (\(Bytes.format(report.bytes($0))))" }
        print(
            "\(dryRun ? "would delete" : "deleted") \(report.deletions.count) objects, \(Bytes.format(report.bytes))"
                + (kinds.isEmpty ? "" : ": " + kinds.joined(separator: ", ")))
        print(
            "\(report.collections) collection(s), \(report.keptVersions) version(s) kept, "
                + "\(report.removedCollections) deleted collection folder(s) \(dryRun ? "to remove" : "removed")")
        for skipped in report.skipped { print("left alone: \(skipped)") }
        for failure in report.failures { print("failed: \(failure)") }
        if !report.failures.isEmpty { throw ExitCode(1) }
    }
}

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Verify every version, root, block and HNSW file of a store.",
        discussion: """
            Reads every collection version's manifest, every blockfile root and block (decoding every entry), \
            every HNSW header and data file, and the log past the compacted offset, and checks that the catalog's \
            current versions exist and that the counts agree. Prints each dangling or corrupt reference and exits \
            with status 1 if there is any. Read-only. Shows its progress on stderr (--quiet: none).
            """)

    @OptionGroup var store: StoreOptions
    @Flag(help: "Also load every HNSW index (slower; needs the index's memory).") var loadIndexes = false
    @Flag(help: "Print a line per collection.") var verbose = false
    @OptionGroup var progress: ProgressOptions

    func run() async throws {
        let printer = progress.printer()
        defer { printer.stop() }
        let client = try await store.open()
        let report = try await client.check(
            loadIndexes: loadIndexes, progress: { line in if verbose { printer.log("  \(line)") } },
            reporter: printer.reporter)
        printer.finish()
        print(
            "checked \(report.collections) collection(s): \(report.versions) version(s), \(report.roots) root(s), "
                + "\(report.blocks) block(s), \(report.entries) entries, \(report.indexes) vector index(es), "
                + "\(report.logFragments) log fragment(s)")
        for problem in report.problems { print("PROBLEM \(problem)") }
        guard report.isClean else {
            print("\(report.problems.count) problem(s)")
            throw ExitCode(1)
        }
        print("ok")
    }
}

/// A retention period as a user writes it: seconds, or a number with `s`, `m`, `h`, `d` or `w`.
enum RetentionDuration {
    static func seconds(_ text: String) throws -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604_800]
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        var unit = 1.0
        if let last = number.last, let scale = units[last] {
            unit = scale
            number = number.dropLast()
        }
        guard let value = Double(number), value >= 0, value.isFinite else {
            throw ValidationError("'\(text)' is not a duration: give seconds, or a number with s, m, h, d or w (7d)")
        }
        return value * unit
    }
}

enum Bytes {
    static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}

struct WarmCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warm", abstract: "Fill a node's disk cache with a collection's current version.",
        discussion: """
            For an s3:// store: downloads the current version of the collection (its manifest, blockfile roots and \
            blocks, HNSW index) into --cache-dir, the folder `cairn serve --cache-dir` reads them from, so the \
            node's first queries do not wait for the bucket. Lists the objects first, then shows objects and bytes \
            done of their totals, the rate and the time left on stderr (--quiet: none). Objects already in the \
            cache are not fetched again.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: "The collection.") var collection: String
    @Option(help: "Tenant.") var tenant: String = Client.defaultTenant
    @Option(help: "Database.") var database: String = Client.defaultDatabase
    @Option(help: "The node's disk cache folder.") var cacheDir: String
    @Option(help: "Bytes the disk cache may hold.") var cacheBytes: Int = 20 << 30
    @OptionGroup var progress: ProgressOptions

    func run() async throws {
        guard store.url.hasPrefix("s3://") else {
            print("\(store.url) is a local folder: its objects are on disk already, nothing to cache")
            return
        }
        let client = try await store.open { options in
            options.cacheDirectory = URL(fileURLWithPath: cacheDir, isDirectory: true)
            options.cacheDirectoryBytes = cacheBytes
        }
        let target = try await client.getCollection(collection, tenant: tenant, database: database)
        let printer = progress.printer()
        defer { printer.stop() }
        let (warmed, fetched) = try await Client.measuringFetches {
            try await target.warm(reporter: printer.reporter)
        }
        printer.finish()
        print(
            "warmed \(collection) version \(warmed.version): \(warmed.objects) objects, "
                + "\(Bytes.format(warmed.bytes)); fetched \(fetched.objects) objects, "
                + "\(Bytes.format(fetched.bytes)) into \(cacheDir)")
    }
}
