// The `cairn` command: one entry point for the store, inspection, benchmarks and the Chroma-compatible server.
import ArgumentParser

@main
struct CairnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "Cairn: an object-storage-backed vector database.",
        version: CairnVersion.description,
        subcommands: [
            StoreCommand.self, DemoCommand.self, CompactCommand.self, InspectCommand.self, BenchCommand.self,
            CatalogCommand.self, ServeCommand.self, GCCommand.self, CheckCommand.self, WarmCommand.self,
            VersionsCommand.self, ReadCommand.self, RestoreCommand.self, ForkCommand.self, CrashtestCommand.self,
        ])
}

/// `cairn inspect …`: read-only views of Cairn's on-disk formats.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print what a Cairn object holds.",
        subcommands: [InspectArrowCommand.self, InspectBlockfileCommand.self, InspectBitmapCommand.self])
}

/// `cairn bench …`: built-in benchmarks.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Run a built-in benchmark.",
        subcommands: [BenchIndexCommand.self])
}
