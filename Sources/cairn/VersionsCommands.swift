// `cairn versions`, `cairn read`, `cairn restore` and `cairn fork`: a collection's kept versions, reads as of one,
// making an old one current again, and copy-on-write forks (decision 0021).
import ArgumentParser
import Cairn
import Foundation

/// Which collection a versions command works on.
struct CollectionOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(help: "The collection.") var collection: String
    @Option(help: "Tenant.") var tenant: String = Client.defaultTenant
    @Option(help: "Database.") var database: String = Client.defaultDatabase

    func open() async throws -> Collection {
        try await store.open().getCollection(collection, tenant: tenant, database: database)
    }
}

struct VersionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions", abstract: "List a collection's kept versions.",
        discussion: """
            Every compaction publishes a version; garbage collection keeps the newest --keep-versions, the current \
            one and those replaced less than --min-age/--keep-for ago. Each can be read (`cairn read --version`) \
            and restored (`cairn restore`) while it is kept.
            """)

    @OptionGroup var target: CollectionOptions
    @Flag(help: "One JSON object per version.") var json = false

    func run() async throws {
        let versions = try await target.open().versions()
        if json {
            for version in versions { print(version.json.jsonText) }
            return
        }
        print("version  created (UTC)             records  log offset")
        for version in versions {
            print(
                String(version.version).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + version.createdAtText.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + String(version.recordCount).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + String(version.compactedLogOffset) + (version.isCurrent ? "  (current)" : ""))
        }
    }
}

struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read", abstract: "Read a collection's records, now or as of a kept version.",
        discussion: """
            Prints one JSON object per record (id, document, metadata), the count (--count), or the nearest \
            records to one record's embedding (--near ID). With --version or --at it reads a kept version exactly \
            as it was published; without them, the collection as it is now.
            """)

    @OptionGroup var target: CollectionOptions
    @Option(help: "Read as of this kept version.") var version: UInt64?
    @Option(help: "Read as of the newest kept version published at or before this time (ISO 8601).") var at: String?
    @Flag(help: "Print only the number of records.") var count = false
    @Option(help: "A where filter, as JSON (Chroma's syntax).") var `where`: String?
    @Option(help: "At most this many records.") var limit: Int?
    @Option(help: "Print the records nearest to this record's embedding.") var near: String?
    @Option(name: .customShort("k"), help: "How many neighbours --near prints.") var neighbours = 10

    func validate() throws {
        if version != nil && at != nil { throw ValidationError("give --version or --at, not both") }
        if let at, ReadPoint.time(parsing: at) == nil {
            throw ValidationError("--at must be an ISO 8601 time such as 2026-12-06T07:00:00Z, got '\(at)'")
        }
        if neighbours < 1 { throw ValidationError("-k must be at least 1") }
    }

    func run() async throws {
        let collection = try await target.open()
        let point: ReadPoint? = version.map { .version($0) } ?? at.flatMap(ReadPoint.time(parsing:)).map { .time($0) }
        let filter = try `where`.map { try Where(jsonText: $0) }
        if count {
            guard filter == nil else { throw ValidationError("--count counts every record; leave out --where") }
            print(try await collection.count(asOf: point))
            return
        }
        if let near {
            let seed = try await collection.get(ids: [near], include: Include(.embeddings), asOf: point)
            guard let embedding = seed.embeddings?.first ?? nil else {
                throw ValidationError("record \(near) is not in \(point == nil ? "the collection" : "that version")")
            }
            let found = try await collection.query(
                queryEmbeddings: [embedding], nResults: neighbours, where: filter,
                include: Include(.documents, .distances), asOf: point)
            for (index, id) in found.ids[0].enumerated() {
                print(
                    line([
                        "id": .string(id), "distance": .double(Double(found.distances![0][index])),
                        "document": found.documents![0][index].map { .string($0) } ?? .null,
                    ]))
            }
            return
        }
        let records = try await collection.get(where: filter, limit: limit, asOf: point)
        for (index, id) in records.ids.enumerated() {
            print(
                line([
                    "id": .string(id), "document": records.documents![index].map { .string($0) } ?? .null,
                    "metadata": records.metadatas![index].map { .object($0.mapValues(\.json)) } ?? .null,
                ]))
        }
    }

    private func line(_ fields: [String: JSONValue]) -> String { JSONValue.object(fields).jsonText }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Make a kept version of a collection current again.",
        discussion: """
            Publishes the version's records as a new version: nothing is rewritten, the versions in between stay \
            readable while kept, and writes not compacted into that version are left behind (writes after the \
            restore apply on top). Safe beside `cairn serve` on the same store.
            """)

    @OptionGroup var target: CollectionOptions
    @Option(help: "The kept version to restore.") var version: UInt64

    func run() async throws {
        let restored = try await target.open().restore(version: version)
        print(
            "restored version \(version) of \(target.collection) as version \(restored.version) "
                + "(\(restored.recordCount) records)")
    }
}

struct ForkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fork", abstract: "Fork a collection (or one of its kept versions) under a new name.",
        discussion: """
            The fork starts with exactly the collection's records (or the version's) and shares its files: nothing \
            is copied but the writes not compacted yet, so it takes the same time whatever the collection's size. \
            From then on the two change independently; garbage collection keeps a file while any of them names it.
            """)

    @OptionGroup var target: CollectionOptions
    @Option(help: "The new collection's name.") var to: String
    @Option(help: "Fork this kept version instead of the current state.") var version: UInt64?

    func run() async throws {
        let start = ContinuousClock.now
        let fork = try await target.open().fork(to, asOf: version.map { .version($0) })
        let elapsed = ContinuousClock.now - start
        print(
            "forked \(target.collection)\(version.map { " version \($0)" } ?? "") as \(fork.name) (\(fork.id)): "
                + "\(try await fork.count()) records in \(elapsed.formatted(.units(allowed: [.milliseconds])))")
    }
}
