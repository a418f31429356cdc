// `cairn demo`: the main job on the embedded local store — create a collection in a local folder, add a few thousand
// articles with embeddings, query them with and without filters, compact the log into indexed segments, change a
// few records, and show the Arrow blocks on disk (opened with pyarrow when the project's venv has it).
import ArgumentParser
import Cairn
import Catalog
import Foundation
import ObjectStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the demo on a local folder (started fresh each run).",
        discussion: "Shows the progress of adding the articles and of compacting them on stderr (--quiet: none).")

    @Option(help: "Folder for the demo's data; it is emptied first.")
    var path: String = "demo-data"

    @Option(help: "Articles to add.")
    var count: Int = 5000

    @Option(help: "Python with pyarrow, to open a block (skipped when missing).")
    var python: String = ".venv/bin/python"

    @OptionGroup var progress: ProgressOptions

    func run() async throws {
        let printer = progress.printer()
        defer { printer.stop() }
        let root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        try? FileManager.default.removeItem(at: root)
        var options = Client.Options()
        options.compactionThreshold = nil  // the demo compacts explicitly, to show both states
        let client = try await Client.open(root.path, options: options)
        print("Cairn demo — embedded store in \(root.path)")

        let collection = try await client.createCollection(
            "articles", metadata: ["hnsw:space": "cosine", "description": "demo articles"])
        print("1. Created collection 'articles' (\(collection.id)), cosine distance")

        let articles = DemoCorpus.articles(count)
        let started = ContinuousClock.now
        let reporter = printer.reporter
        reporter?(JobProgress("adding articles", unit: "articles", done: 0, total: articles.count))
        for start in stride(from: 0, to: articles.count, by: 500) {
            let batch = articles[start..<min(articles.count, start + 500)]
            try await collection.add(
                ids: batch.map(\.id), embeddings: batch.map { DemoCorpus.embed($0.text) },
                metadatas: batch.map {
                    [
                        "topic": .string($0.topic), "year": .int(Int64($0.year)), "rating": .float($0.rating),
                        "featured": .bool($0.featured),
                    ]
                },
                documents: batch.map(\.text))
            reporter?(
                JobProgress("adding articles", unit: "articles", done: start + batch.count, total: articles.count))
            printer.log("   added \(start + batch.count)/\(articles.count) articles (durable in the write-ahead log)")
        }
        printer.log("2. Ingested \(articles.count) articles in \(Self.format(ContinuousClock.now - started))")

        try await search(
            collection, "telescope images of a distant galaxy",
            title: "3. Query before compaction (the log tail is searched exactly)", printer: printer)

        let compactStart = ContinuousClock.now
        let summary = try await collection.compact(reporter: reporter)
        printer.finish()
        if let summary {
            print(
                "4. Compacted log offsets \(summary.fromOffset + 1)…\(summary.throughOffset) into version \(summary.version): "
                    + "\(summary.recordCount) records, HNSW index built, in \(Self.format(ContinuousClock.now - compactStart))"
            )
        }

        try await search(
            collection, "telescope images of a distant galaxy", title: "5. The same query on the HNSW index",
            printer: printer)
        try await search(
            collection, "a garlic pasta sauce recipe", title: "6. Filtered: cooking articles from 2020 on",
            where: .and([.eq("topic", "cooking"), .field("year", .gte(.int(2020)))]), printer: printer)
        try await search(
            collection, "interest rates and the bond market",
            title: "7. Filtered on the text: documents containing 'dividend'",
            whereDocument: .contains("dividend"), printer: printer)

        let featured = try await collection.get(
            where: .and([.eq("featured", .bool(true)), .field("rating", .gt(.float(4.5)))]), limit: 3)
        let featuredCount = try await collection.get(
            where: .and([.eq("featured", .bool(true)), .field("rating", .gt(.float(4.5)))]), include: Include()
        ).ids.count
        print("8. get(where: featured and rating > 4.5): \(featuredCount) articles; the first three:")
        for (id, document) in zip(featured.ids, featured.documents ?? []) { print("   \(id)  \(document ?? "")") }

        try await collection.update(ids: ["article-00000"], metadatas: [["featured": .bool(true), "year": nil]])
        try await collection.delete(ids: ["article-00001", "article-00002"])
        let changed = try await collection.get(ids: ["article-00000", "article-00001"])
        print(
            "9. Updated article-00000 and deleted two articles: visible at once (get returns \(changed.ids)), "
                + "metadata now \(changed.metadatas?.first.flatMap { $0 }.map(Self.describe) ?? "none"); count \(try await collection.count())"
        )

        try await showBlocks(root, collection: collection)
        print("Demo finished. Everything is under \(root.path)/ — the catalog, the log, and immutable Arrow blocks.")
    }

    /// Prints a query's results (through `printer` while its status line may be shown).
    private func search(
        _ collection: Collection, _ text: String, title: String, where filter: Where? = nil,
        whereDocument: WhereDocument? = nil, printer: ProgressPrinter
    ) async throws {
        let started = ContinuousClock.now
        let result = try await collection.query(
            queryEmbeddings: [DemoCorpus.embed(text)], nResults: 3, where: filter, whereDocument: whereDocument)
        printer.log("\(title)\n   \"\(text)\" → \(Self.format(ContinuousClock.now - started))")
        for i in result.ids[0].indices {
            let metadata = result.metadatas?[0][i].map(Self.describe) ?? ""
            printer.log(
                "   \(String(format: "%.3f", result.distances?[0][i] ?? 0))  \(result.ids[0][i])  \(result.documents?[0][i] ?? "")  \(metadata)"
            )
        }
    }

    /// Shows the largest block of the collection's record segment (ids, embeddings, metadata, documents), found
    /// through the version manifest, and opens it with pyarrow.
    private func showBlocks(_ root: URL, collection: Collection) async throws {
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey])
        var blocks: [URL] = []
        while let url = files?.nextObject() as? URL {
            if url.path.contains("/block/") { blocks.append(url) }
        }
        let manifest = try await ManifestStore(store: LocalFileStore(root: root), path: ObjectPath())
            .latest(tenant: collection.tenant, database: collection.database, collectionID: collection.id)
        let recordSegment = manifest?.segments.first { $0.kind == .record }.map { "/segment/\($0.id)/block/" }
        func size(_ url: URL) -> Int { (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0 }
        guard let recordSegment,
            let block = blocks.filter({ $0.path.contains(recordSegment) }).max(by: { size($0) < size($1) })
        else {
            print("10. No record blocks found (nothing was compacted)")
            return
        }
        print("10. \(blocks.count) Arrow IPC blocks on disk; the largest of the record segment:\n   \(block.path)")
        guard FileManager.default.isExecutableFile(atPath: python) else {
            print(
                "   (open it with: python -c \"import pyarrow.ipc as i; print(i.open_file('\(block.path)').read_all())\")"
            )
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            "-c",
            "import sys, pyarrow.ipc as ipc; t = ipc.open_file(sys.argv[1]).read_all(); "
                + "print('   pyarrow opened it:', t.num_rows, 'rows; columns', ', '.join(t.schema.names))",
            block.path,
        ]
        fflush(nil)  // our buffered lines first, then python's
        try process.run()
        process.waitUntilExit()
    }

    static func describe(_ metadata: Metadata) -> String {
        metadata.keys.sorted().map { "\($0)=\(metadata[$0].map { "\($0.json.jsonText)" } ?? "")" }.joined(
            separator: " ")
    }

    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds < 1 ? String(format: "%.1f ms", seconds * 1000) : String(format: "%.2f s", seconds)
    }
}
