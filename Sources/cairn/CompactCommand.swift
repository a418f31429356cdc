// `cairn compact URL [--collection NAME]`: folds collections' write-ahead logs into new indexed segment versions,
// one-shot, with progress (stderr) and a summary of what it did (stdout).
import ArgumentParser
import Cairn
import Foundation

struct CompactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact", abstract: "Compact collections: fold their logs into indexed segments.",
        discussion: """
            Runs the compaction job on every collection of the database (or only --collection): reads the log \
            after the compacted offset, writes new record, metadata and HNSW files copy-on-write, publishes a new \
            version and removes the folded log fragments. Safe to interrupt: an unfinished run leaves the \
            previous version current. Shows its progress on stderr (--quiet: none).
            """)

    @Argument(help: "The store: a folder, file:///dir or s3://bucket[/prefix].") var url: String
    @Option(help: "Only this collection.") var collection: String?
    @Option(help: "Tenant.") var tenant: String = Client.defaultTenant
    @Option(help: "Database.") var database: String = Client.defaultDatabase
    @Option(help: "Catalog file (s3:// stores; rebuilt from the bucket when missing).") var catalog: String?
    @OptionGroup var progress: ProgressOptions

    func run() async throws {
        let printer = progress.printer()
        defer { printer.stop() }
        var options = Client.Options()
        options.compactionThreshold = nil
        options.catalogFile = catalog.map { URL(fileURLWithPath: $0) }
        options.log = { printer.log("  \($0)") }
        let client = try await Client.open(url, options: options)
        let collections: [Collection]
        if let collection {
            collections = [try await client.getCollection(collection, tenant: tenant, database: database)]
        } else {
            collections = try await client.listCollections(tenant: tenant, database: database)
        }
        var compacted = 0
        for collection in collections {
            printer.log("compacting \(collection.name) (\(collection.id))")
            guard let summary = try await collection.compact(reporter: printer.reporter) else {
                printer.log("  nothing to compact: the log is empty past the current version")
                continue
            }
            compacted += 1
            printer.log(
                "  version \(summary.version): log \(summary.fromOffset + 1)…\(summary.throughOffset), "
                    + "\(summary.added) added, \(summary.updated) updated, \(summary.deleted) deleted, "
                    + "\(summary.recordCount) records")
        }
        printer.finish()
        print("compacted \(compacted) of \(collections.count) collection(s)")
    }
}
