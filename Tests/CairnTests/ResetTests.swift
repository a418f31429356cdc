// Chroma's reset (issue 17): every tenant, database and collection goes, the default tenant and database stay, and a
// catalog rebuilt from the store afterwards (another node, a lost catalog) does not bring anything back — on a
// folder and on the local S3 server.
import Cairn
import Foundation
import StorageTesting
import Testing

@Suite struct ResetTests {
    static func exercise(_ url: String, catalogs folder: URL) async throws {
        var options = Client.Options()
        options.compactionThreshold = nil
        options.garbageCollectionInterval = nil
        options.catalogFile = folder.appendingPathComponent("first.sqlite")
        let client = try await Client.open(url, options: options)
        try await client.createTenant("acme")
        try await client.createDatabase("docs", tenant: "acme")
        let kept = try await client.createCollection("before", tenant: "acme", database: "docs")
        try await kept.add(ids: ["a"], embeddings: [[1, 2]])
        try await kept.compact()
        _ = try await client.createCollection("plain")
        try await client.reset()

        #expect(try await client.listCollections().isEmpty)
        #expect(try !client.tenantExists("acme"))
        _ = try await client.createCollection("plain")  // the name is free, the default database there

        options.catalogFile = folder.appendingPathComponent("rebuilt.sqlite")
        let rebuilt = try await Client.open(url, options: options)
        #expect(try await rebuilt.listCollections().map(\.name) == ["plain"])
        #expect(try !rebuilt.tenantExists("acme"), "a rebuild must not bring back a reset tenant")
    }

    @Test func resetOnAFolderLeavesNothingARebuildCouldBringBack() async throws {
        try await TemporaryDirectory.with { folder in
            try await Self.exercise(folder.appendingPathComponent("store").path, catalogs: folder)
        }
    }

    @Test func resetOnS3LeavesNothingARebuildCouldBringBack() async throws {
        guard S3TestEnvironment.isAvailable,
            let url = S3TestEnvironment.url(appending: "reset-\(UUID().uuidString.lowercased())")
        else { return }
        try await TemporaryDirectory.with { folder in try await Self.exercise(url, catalogs: folder) }
    }
}
