import Cairn

/// Every record of a collection (or of one of its kept versions) as id → document, embedding and metadata, for
/// tests that compare what two collections, or a collection and a model, hold.
enum RecordContents {
    static func of(_ collection: Collection, asOf: ReadPoint? = nil) async throws -> [String: String] {
        let all = try await collection.get(include: Include(.documents, .embeddings, .metadatas), asOf: asOf)
        var contents: [String: String] = [:]
        for (index, id) in all.ids.enumerated() {
            contents[id] =
                "\(all.documents![index] ?? "")|\(all.embeddings![index] ?? [])|\((all.metadatas![index] ?? [:]).jsonText)"
        }
        return contents
    }
}

extension Client.Options {
    /// No background compaction or garbage collection: tests that compact and collect at chosen moments.
    static var manualMaintenance: Client.Options {
        var options = Client.Options()
        options.compactionThreshold = nil
        options.garbageCollectionInterval = nil
        return options
    }
}
