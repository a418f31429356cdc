// A brute-force model of a collection with Chroma's semantics, for checking the real one against.
import Cairn

struct ModelRecord: Equatable {
    var id: String
    var embedding: [Float]
    var metadata: Metadata?
    var document: String?
    /// Insertion order (a re-added id goes to the end; updates keep their place).
    var order: Int
}

struct CollectionModel {
    var records: [String: ModelRecord] = [:]
    private var nextOrder = 0

    mutating func add(_ id: String, _ embedding: [Float], _ metadata: Metadata?, _ document: String?) {
        guard records[id] == nil else { return }
        records[id] = ModelRecord(
            id: id, embedding: embedding, metadata: metadata.flatMap { $0.isEmpty ? nil : $0 }, document: document,
            order: nextOrder)
        nextOrder += 1
    }

    mutating func upsert(_ id: String, _ embedding: [Float], _ metadata: Metadata?, _ document: String?) {
        if records[id] == nil {
            add(id, embedding, metadata, document)
        } else {
            update(id, embedding, metadata.map { $0.mapValues { Optional($0) } }, document)
        }
    }

    mutating func update(_ id: String, _ embedding: [Float]?, _ metadata: MetadataUpdate?, _ document: String?) {
        guard var record = records[id] else { return }
        if let embedding { record.embedding = embedding }
        if let document { record.document = document }
        if let metadata {
            let merged = (record.metadata ?? [:]).applying(metadata)
            record.metadata = merged.isEmpty ? nil : merged
        }
        records[id] = record
    }

    mutating func delete(_ id: String) { records[id] = nil }

    /// Records in Chroma's `get` order.
    var ordered: [ModelRecord] { records.values.sorted { $0.order < $1.order } }

    func matching(_ filter: Where?, _ document: WhereDocument?) -> [ModelRecord] {
        ordered.filter { record in
            (filter?.matches(record.metadata) ?? true) && (document?.matches(document: record.document) ?? true)
        }
    }

    /// Exact nearest neighbours by squared L2 (hnswlib's "l2").
    func nearest(_ query: [Float], k: Int, _ filter: Where?, _ document: WhereDocument?) -> [(String, Float)] {
        var scored: [(String, Float)] = []
        for record in matching(filter, document) {
            var distance: Float = 0
            for (a, b) in zip(record.embedding, query) { distance += (a - b) * (a - b) }
            scored.append((record.id, distance))
        }
        scored.sort { $0.1 < $1.1 }
        return Array(scored.prefix(k))
    }
}
