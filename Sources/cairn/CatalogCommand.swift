// `cairn catalog rebuild URL [--catalog FILE]`: reconstructs the SQLite catalog from the manifests and markers in a
// store (`file:///dir` or `s3://bucket/prefix`), e.g. after losing the catalog file or to open a copied bucket.
import ArgumentParser
import Catalog
import Foundation
import ObjectStore
import ObjectStoreS3

struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Maintain the catalog of tenants, databases and collections.",
        subcommands: [CatalogRebuild.self])
}

struct CatalogRebuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild", abstract: "Rebuild the catalog from the store's manifests alone.",
        discussion: """
            Reads every tenant and database marker and every collection's manifests under URL and writes what \
            they describe into the catalog (created if missing; rows already there are brought up to date, \
            never rolled back). Collections whose latest manifest is a tombstone, and databases whose marker \
            was deleted, are left out. Safe to run again. Shows its progress on stderr (--quiet: none).
            """)

    @Argument(help: "The store: a folder, file:///dir or s3://bucket[/prefix].") var store: String

    /// The store as a URL: a bare folder path (as `Client.open` takes it) becomes file://.
    var url: String {
        store.contains("://") ? store : "file://" + URL(fileURLWithPath: store, isDirectory: true).path
    }

    @Option(help: "The catalog file (default for file:// URLs: DIR/catalog.sqlite3; required for s3://).")
    var catalog: String?

    @OptionGroup var connection: StoreConnectionOptions
    @OptionGroup var progress: ProgressOptions

    func run() async throws {
        let printer = progress.printer()
        defer { printer.stop() }
        do {
            let catalogURL: URL
            if let catalog {
                catalogURL = URL(fileURLWithPath: catalog)
            } else if case .file(let path) = try StoreLocation(parsing: url) {
                catalogURL = CatalogDatabase.fileURL(inFolder: URL(fileURLWithPath: path, isDirectory: true))
            } else {
                throw ValidationError("give --catalog FILE for an s3:// store")
            }
            if case .file(let path) = try StoreLocation(parsing: url) {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue
                else { throw ObjectStoreError(.notFound, message: "no store folder at \(path)") }
            }
            let store = try StoreFactory.open(url: url, overrides: connection.overrides)
            let database = try CatalogDatabase(url: catalogURL)
            let report = try await CatalogRebuilder.rebuild(
                from: store, prefix: ObjectPath(), into: database, reporter: printer.reporter)
            printer.finish()
            print("catalog: \(catalogURL.path)")
            print(report.description)
        } catch let error as ValidationError {
            throw error
        } catch {
            let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
            printer.stop()
            FileHandle.standardError.write(Data("cairn catalog rebuild: \(text)\n".utf8))
            throw ExitCode.failure
        }
    }
}
