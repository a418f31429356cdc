// The embedded API's contract with its users: Chroma's validation and messages, get-or-create, persistence across
// reopening, read-your-writes, and concurrent writers losing nothing.
import Cairn
import Foundation
import StorageTesting
import Testing

@Suite struct CollectionAPITests {
    /// The embedded API refuses an id given twice, as the Python client does, naming the duplicates; the check is
    /// linear in the batch (issue 16: 50,000 duplicated ids took 62 s to refuse).
    @Test func duplicateIDsAreRefusedByALinearCheck() async throws {
        try await TemporaryDirectory.with { folder in
            let collection = try await Client.open(folder.path).createCollection("dups")
            let ids = (0..<50_000).map { "dup\($0)" }
            await Self.expectError(.invalidArgument, "found duplicates of: dup0, dup1") {
                try await collection.add(ids: ids + ids, embeddings: Array(repeating: [1, 2], count: 100_000))
            }
            #expect(try await collection.count() == 0)
        }
    }

    /// Store URLs mean the same to `Client.open` as to every other command (one parser): a `file://` URL must be
    /// absolute and is percent-decoded; a plain path is a folder.
    @Test func storeURLsAreParsedOneWay() async throws {
        try await TemporaryDirectory.with { folder in
            let spaced = folder.appendingPathComponent("a folder")
            let encoded = "file://" + spaced.path.replacingOccurrences(of: " ", with: "%20")
            _ = try await Client.open(encoded).createCollection("there")
            #expect(FileManager.default.fileExists(atPath: spaced.path), "file:// URLs are percent-decoded")
            #expect(try await Client.open(spaced.path).getCollection("there").name == "there")
            await Self.expectError(.invalidArgument, "absolute path") {
                _ = try await Client.open("file://relative/dir")
            }
        }
    }

    static func options(threshold: Int? = nil) -> Client.Options {
        var options = Client.Options()
        options.compactionThreshold = threshold
        return options
    }

    static func withClient(_ body: (Client, URL) async throws -> Void) async throws {
        try await TemporaryDirectory.with { folder in
            try await body(try await Client.open(folder.path, options: options()), folder)
        }
    }

    static func expectError(_ code: CairnError.Code, _ message: String? = nil, _ body: () async throws -> Void)
        async
    {
        do {
            try await body()
            Issue.record("expected a \(code) error")
        } catch let error as CairnError {
            #expect(error.code == code, "\(error)")
            if let message { #expect(error.message.contains(message), "\(error.message)") }
        } catch {
            Issue.record("expected a CairnError, got \(error)")
        }
    }

    @Test func badWritesAreRefusedAndChangeNothing() async throws {
        try await Self.withClient { client, _ in
            let collection = try await client.createCollection("docs")
            try await collection.add(ids: ["a"], embeddings: [[1, 2, 3]])
            await Self.expectError(.invalidArgument, "Expected IDs to be unique, found duplicates of: b") {
                try await collection.add(ids: ["b", "b"], embeddings: [[1, 2, 3], [1, 2, 3]])
            }
            await Self.expectError(.invalidArgument, "Collection expecting embedding with dimension of 3, got 2") {
                try await collection.add(ids: ["c"], embeddings: [[1, 2]])
            }
            await Self.expectError(.invalidArgument, "Number of metadatas 1 must match number of ids 2") {
                try await collection.add(ids: ["d", "e"], embeddings: [[1, 2, 3], [1, 2, 3]], metadatas: [["k": 1]])
            }
            await Self.expectError(.invalidArgument, "Expected IDs to be a non-empty list") {
                try await collection.add(ids: [], embeddings: [])
            }
            await Self.expectError(.invalidArgument) {
                try await collection.add(ids: ["f"], embeddings: [[1, 2, 3]], metadatas: [[:]])
            }
            await Self.expectError(.invalidArgument, "You must provide either ids, where, or where_document") {
                try await collection.delete()
            }
            await Self.expectError(.invalidArgument, "dimension of 3, got 4") {
                _ = try await collection.query(queryEmbeddings: [[1, 2, 3, 4]])
            }
            #expect(try await collection.count() == 1)
            #expect(try await collection.get().ids == ["a"])
        }
    }

    @Test func collectionsFollowChromasNamingAndGetOrCreate() async throws {
        try await Self.withClient { client, _ in
            let first = try await client.createCollection("notes", metadata: ["topic": "a"])
            await Self.expectError(.alreadyExists, "Collection [notes] already exists") {
                _ = try await client.createCollection("notes")
            }
            let again = try await client.getOrCreateCollection("notes")
            #expect(again.id == first.id)
            #expect(again.metadata == ["topic": "a"])
            await Self.expectError(.invalidArgument) { _ = try await client.createCollection("a") }
            await Self.expectError(.notFound) { _ = try await client.getCollection("missing") }
            _ = try await client.createCollection("other")
            #expect(try await client.listCollections().map(\.name) == ["notes", "other"])
            #expect(try await client.countCollections() == 2)
            let renamed = try await first.modify(name: "renamed", metadata: ["topic": "b"])
            #expect(renamed.name == "renamed")
            #expect(try await client.getCollection("renamed").metadata == ["topic": "b"])
            try await client.deleteCollection("renamed")
            await Self.expectError(.notFound) { _ = try await client.getCollection("renamed") }
            #expect(try await client.countCollections() == 1)
        }
    }

    @Test func writesSurviveReopeningBeforeAndAfterCompaction() async throws {
        try await TemporaryDirectory.with { folder in
            do {
                let client = try await Client.open(folder.path, options: Self.options())
                let collection = try await client.createCollection("persist")
                try await collection.add(
                    ids: (0..<100).map { "a\($0)" }, embeddings: (0..<100).map { [Float($0), 1] },
                    metadatas: (0..<100).map { ["n": .int(Int64($0))] }, documents: (0..<100).map { "doc \($0)" })
                try await collection.compact()
                try await collection.add(ids: ["late"], embeddings: [[0.5, 0.5]], documents: ["tail"])
                try await collection.delete(ids: ["a3"])
            }
            let client = try await Client.open(folder.path, options: Self.options())
            let collection = try await client.getCollection("persist")
            #expect(try await collection.count() == 100)
            #expect(
                try await collection.get(ids: ["late", "a3", "a4"], include: Include(.documents)).documents == [
                    "doc 4", "tail",
                ])
            let nearest = try await collection.query(queryEmbeddings: [[3, 1]], nResults: 2)
            #expect(nearest.ids == [["a2", "a4"]] || nearest.ids == [["a4", "a2"]])
            let counted = try await collection.get(where: .field("n", .gte(.int(90))), include: Include())
            #expect(counted.ids.count == 10)
        }
    }

    @Test func concurrentWritersLoseNothing() async throws {
        try await Self.withClient { client, _ in
            let collection = try await client.createCollection("busy")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for batch in 0..<20 {
                            let ids = (0..<5).map { "w\(writer)-b\(batch)-\($0)" }
                            try await collection.add(
                                ids: ids, embeddings: ids.map { _ in [Float(writer), Float(batch)] })
                            // Read-your-writes: what this writer just wrote is visible at once.
                            let seen = try await collection.get(ids: ids, include: Include())
                            #expect(seen.ids.count == ids.count)
                        }
                    }
                }
                group.addTask {
                    for _ in 0..<20 { _ = try await collection.query(queryEmbeddings: [[1, 1]], nResults: 3) }
                }
                try await group.waitForAll()
            }
            #expect(try await collection.count() == 8 * 20 * 5)
            try await collection.compact()
            #expect(try await collection.count() == 8 * 20 * 5)
            #expect(Set(try await collection.get(include: Include()).ids).count == 800)
        }
    }

    @Test func backgroundCompactionKeepsResultsTheSame() async throws {
        try await TemporaryDirectory.with { folder in
            let client = try await Client.open(folder.path, options: Self.options(threshold: 100))
            let collection = try await client.createCollection("auto")
            for batch in 0..<5 {
                let ids = (0..<50).map { "b\(batch)-\($0)" }
                try await collection.add(ids: ids, embeddings: ids.indices.map { [Float(batch), Float($0)] })
            }
            await client.waitForBackgroundCompaction()
            #expect(try await collection.count() == 250)
            let nearest = try await collection.query(queryEmbeddings: [[2, 7]], nResults: 1)
            #expect(nearest.ids == [["b2-7"]])
        }
    }

    @Test(.enabled(if: S3TestEnvironment.isAvailable, "needs the local S3 server"))
    func s3BackedCollectionsWork() async throws {
        let storeURL = try #require(S3TestEnvironment.url(appending: "cairn-\(UUID().uuidString.lowercased())"))
        let catalog = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID()).sqlite3")
        func removeCatalog() {
            for suffix in ["", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: catalog.path + suffix)
            }
        }
        defer { removeCatalog() }
        var options = Self.options()
        options.catalogFile = catalog
        let client = try await Client.open(storeURL, options: options)
        let collection = try await client.createCollection("remote")
        try await collection.add(
            ids: ["x", "y", "z"], embeddings: [[0, 0], [1, 1], [5, 5]], metadatas: [["k": 1], ["k": 2], ["k": 3]])
        try await collection.compact()
        try await collection.add(ids: ["w"], embeddings: [[0.9, 0.9]], metadatas: [["k": 4]])
        let result = try await collection.query(
            queryEmbeddings: [[1, 1]], nResults: 2, where: .field("k", .gte(.int(2))))
        #expect(result.ids == [["y", "w"]])

        // A fresh node with an empty catalog rebuilds it from the bucket and sees everything.
        removeCatalog()
        let fresh = try await Client.open(storeURL, options: options)
        let reopened = try await fresh.getCollection("remote")
        #expect(try await reopened.count() == 4)
    }
}

@Suite struct CollectionLimitTests {
    @Test func limitsAreEnforcedWithClearErrors() async throws {
        try await CollectionAPITests.withClient { client, _ in
            let collection = try await client.createCollection("limits")
            await CollectionAPITests.expectError(.invalidArgument, "the limit is 4096") {
                try await collection.add(ids: [String(repeating: "x", count: 5000)], embeddings: [[1]])
            }
            await CollectionAPITests.expectError(.invalidArgument, "Document of big") {
                try await collection.add(
                    ids: ["big"], embeddings: [[1]],
                    documents: [String(repeating: "d", count: Limits.maxDocumentBytes + 1)])
            }
            await CollectionAPITests.expectError(
                .invalidArgument, "Expected requested number of results to be a positive integer"
            ) {
                _ = try await collection.query(queryEmbeddings: [[1]], nResults: -1)
            }
            await CollectionAPITests.expectError(.invalidArgument, "finite") {
                try await collection.add(ids: ["nan"], embeddings: [[Float.nan]])
            }
            #expect(try await collection.count() == 0)
        }
    }
}

@Suite struct CollectionFilterValidationTests {
    @Test func badFiltersAreRefusedBeforeAnythingIsRead() async throws {
        try await CollectionAPITests.withClient { client, _ in
            let collection = try await client.createCollection("filters")
            try await collection.add(ids: ["a"], embeddings: [[1]], documents: ["hello"])
            await CollectionAPITests.expectError(.invalidArgument) {
                _ = try await collection.get(whereDocument: .regex("(unclosed"))
            }
            await CollectionAPITests.expectError(.invalidArgument) {
                _ = try await collection.get(where: .and([]))
            }
            await CollectionAPITests.expectError(.invalidArgument) {
                try await collection.delete(whereDocument: .regex("[z-a]"))
            }
            #expect(try await collection.get(whereDocument: .regex("h.llo")).ids == ["a"])
            #expect(try await collection.count() == 1)
        }
    }
}
