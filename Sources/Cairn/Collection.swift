// A collection, as the embedded API hands it out: Chroma's add, upsert, update, delete, get, query, count, peek and
// modify. Writes are validated in full and made durable in the write-ahead log before they return; reads see every
// write this client acknowledged (and other processes' writes within the client's refresh interval).
import Blockfile
import Catalog
import Foundation
import Log
import Segments
import VectorIndex

public final class Collection: Sendable {
    public let id: String
    public let name: String
    public let tenant: String
    public let database: String
    /// The collection's metadata when this handle was made (Chroma's model has the same snapshot semantics).
    public let metadata: Metadata?
    /// HNSW space and parameters.
    public let configuration: CollectionConfiguration
    let runtime: CollectionRuntime
    let context: ClientContext

    init(
        record: CollectionRecord, configuration: CollectionConfiguration, runtime: CollectionRuntime,
        context: ClientContext
    ) {
        id = record.id
        name = record.name
        tenant = record.tenant
        database = record.database
        metadata = record.metadata.flatMap { try? Metadata(json: .object($0)) }
        self.configuration = configuration
        self.runtime = runtime
        self.context = context
    }

    // MARK: Writes

    /// How a write treats an id given twice: refused (Chroma's Python API), or applied in order as Chroma's server
    /// applies a raw request (the first add wins, the last upsert or update wins).
    public enum DuplicateIDs: Sendable {
        case refused, appliedInOrder
    }

    /// Adds records. Ids already in the collection are ignored (as Chroma does). `uris` are kept with each record
    /// (Chroma keeps them in the metadata, as `chroma:uri`) and returned with `include: uris`.
    public func add(
        ids: [String], embeddings: [[Float]], metadatas: [Metadata?]? = nil, documents: [String?]? = nil,
        uris: [String?]? = nil, duplicates: DuplicateIDs = .refused
    ) async throws {
        try await boundary {
            try await insert(
                .add, ids: ids, embeddings: embeddings, metadatas: metadatas, documents: documents, uris: uris,
                duplicates: duplicates)
        }
    }

    /// Adds records, or updates those whose id exists (fields given replace; metadata merges key by key).
    public func upsert(
        ids: [String], embeddings: [[Float]], metadatas: [Metadata?]? = nil, documents: [String?]? = nil,
        uris: [String?]? = nil, duplicates: DuplicateIDs = .refused
    ) async throws {
        try await boundary {
            try await insert(
                .upsert, ids: ids, embeddings: embeddings, metadatas: metadatas, documents: documents, uris: uris,
                duplicates: duplicates)
        }
    }

    /// Updates existing records: given embeddings and documents replace, metadata merges (a nil value removes the
    /// key). Ids not in the collection are ignored.
    public func update(
        ids: [String], embeddings: [[Float]]? = nil, metadatas: [MetadataUpdate?]? = nil, documents: [String?]? = nil,
        uris: [String?]? = nil, duplicates: DuplicateIDs = .refused
    ) async throws {
        try await boundary {
            try WriteValidation.ids(ids, duplicates: duplicates)
            try WriteValidation.count("embeddings", embeddings?.count, ids: ids.count)
            try WriteValidation.count("metadatas", metadatas?.count, ids: ids.count)
            try WriteValidation.count("documents", documents?.count, ids: ids.count)
            try WriteValidation.count("uris", uris?.count, ids: ids.count)
            if let embeddings { try await fixDimension(of: embeddings) }
            for case let update? in metadatas ?? [] { try WriteValidation.metadataUpdate(update) }
            let sparse = SparseEmbedding(configuration)
            let records = ids.indices.map { i in
                var update = Self.keeping(uri: uris?[i] ?? nil, in: metadatas?[i]) { .some($0) }
                if let sparse { update = sparse.filling(update, document: documents?[i] ?? nil) }
                return LogRecord(
                    .update, id: ids[i], embedding: embeddings?[i], metadataJSON: update?.updateJSONText,
                    document: documents?[i])
            }
            try await append(records)
        }
    }

    /// Deletes the records with the given ids and/or matching the filters. With no argument at all this is an
    /// error (as in Chroma), never "delete everything".
    public func delete(ids: [String]? = nil, where: Where? = nil, whereDocument: WhereDocument? = nil) async throws {
        try await boundary {
            guard ids != nil || `where` != nil || whereDocument != nil else {
                throw CairnError.invalid("You must provide either ids, where, or where_document to delete.")
            }
            var targets: [String]
            if `where` == nil && whereDocument == nil, let ids {
                targets = ids
            } else {
                targets = try await get(ids: ids, where: `where`, whereDocument: whereDocument, include: Include()).ids
            }
            targets = Array(Set(targets))
            guard !targets.isEmpty else { return }
            for start in stride(from: 0, to: targets.count, by: WriteValidation.maxBatchSize) {
                let batch = targets[start..<min(targets.count, start + WriteValidation.maxBatchSize)]
                try await append(batch.map { LogRecord(.delete, id: $0) })
            }
        }
    }

    private func insert(
        _ operation: LogOperation, ids: [String], embeddings: [[Float]], metadatas: [Metadata?]?,
        documents: [String?]?, uris: [String?]?, duplicates: DuplicateIDs
    ) async throws {
        try WriteValidation.ids(ids, duplicates: duplicates)
        try WriteValidation.count("embeddings", embeddings.count, ids: ids.count)
        try WriteValidation.count("metadatas", metadatas?.count, ids: ids.count)
        try WriteValidation.count("documents", documents?.count, ids: ids.count)
        try WriteValidation.count("uris", uris?.count, ids: ids.count)
        try await fixDimension(of: embeddings)
        for case let metadata? in metadatas ?? [] { try WriteValidation.metadata(metadata) }
        let sparse = SparseEmbedding(configuration)
        let records = ids.indices.map { i in
            var metadata = Self.keeping(uri: uris?[i] ?? nil, in: metadatas?[i]) { $0 }
            if let sparse { metadata = sparse.filling(metadata, document: documents?[i] ?? nil) }
            return LogRecord(
                operation, id: ids[i], embedding: embeddings[i],
                metadataJSON: metadata.flatMap { $0.isEmpty ? nil : $0.jsonText }, document: documents?[i])
        }
        try await append(records)
    }

    /// `metadata` with the record's URI kept in it as `chroma:uri` (where Chroma keeps it); unchanged without one.
    static func keeping<Value>(uri: String?, in metadata: [String: Value]?, as wrap: (MetadataValue) -> Value)
        -> [String: Value]?
    {
        guard let uri else { return metadata }
        var kept = metadata ?? [:]
        kept[reservedURIMetadataKey] = wrap(.string(uri))
        return kept
    }

    /// Checks embeddings against the collection's dimension, fixing it in the catalog on the first write.
    private func fixDimension(of embeddings: [[Float]]) async throws {
        let known = try context.catalog.call { try $0.collection(id: id).dimension }
        guard let dimension = try WriteValidation.embeddings(embeddings, dimension: known), known == nil else { return }
        do {
            _ = try await context.catalog.service.setDimension(id: id, dimension)
        } catch {
            if error.code == .conflict { throw CairnError.invalid(error.message) }
            throw CairnError(error)
        }
        await runtime.setDimension(dimension)
    }

    private func append(_ records: [LogRecord]) async throws {
        try WriteValidation.batch(records)
        try await context.maintenance.admitWrite()
        // A log failure is mapped by the error boundary around every caller (a corrupt fragment is corruption).
        let offset = try await runtime.wal.append(records)
        await runtime.appended(offset, parameters: configuration.hnsw)
        context.maintenance.afterWrite(
            collectionID: id, records: records.count, bytes: records.reduce(0) { $0 + $1.encodedSize })
    }

    // MARK: Reads

    /// Records by id and/or filter, in insertion order; `limit`/`offset` page through them. `asOf` reads a kept
    /// version instead of the current state (`versions()`).
    public func get(
        ids: [String]? = nil, where: Where? = nil, whereDocument: WhereDocument? = nil, limit: Int? = nil,
        offset: Int? = nil, include: Include = .getDefault, asOf: ReadPoint? = nil
    ) async throws -> GetResult {
        try await boundary {
            if let limit, limit < 0 {
                throw CairnError.invalid("Expected limit to be a non-negative integer, got \(limit)")
            }
            if let offset, offset < 0 {
                throw CairnError.invalid("Expected offset to be a non-negative integer, got \(offset)")
            }
            let reader = try await reader(at: asOf)
            let records = try await reader.get(
                ids: ids,
                filter: try RecordFilter(where: `where`, whereDocument: whereDocument, configuration: configuration),
                limit: limit,
                offset: offset ?? 0)
            var result = GetResult(include: include)
            for record in records { try result.append(record, include: include) }
            return result
        }
    }

    /// The `nResults` nearest records to each query embedding among those matching the filters (and, with `ids`,
    /// among those records only). `nResults` 0 answers empty rows, as Chroma's server does. `asOf` searches a
    /// kept version instead of the current state.
    public func query(
        queryEmbeddings: [[Float]], nResults: Int = 10, ids: [String]? = nil, where: Where? = nil,
        whereDocument: WhereDocument? = nil, include: Include = .queryDefault, asOf: ReadPoint? = nil
    ) async throws -> QueryResult {
        try await boundary {
            guard nResults >= 0 else {
                throw CairnError.invalid(
                    "Expected requested number of results to be a positive integer, got \(nResults)")
            }
            guard !queryEmbeddings.isEmpty else {
                throw CairnError.invalid("Expected query embeddings to be a non-empty list")
            }
            let reader = try await reader(at: asOf)
            let dimension = reader.dimension
            _ = try WriteValidation.embeddings(queryEmbeddings, dimension: dimension)
            var result = QueryResult(include: include)
            guard dimension != nil else {
                for _ in queryEmbeddings { result.appendEmpty() }
                return result
            }
            let hits = try await reader.query(
                queryEmbeddings, k: nResults, ids: ids,
                filter: try RecordFilter(where: `where`, whereDocument: whereDocument, configuration: configuration))
            for row in hits {
                let records = try await reader.records(for: row.map(\.source))
                try result.append(records, distances: row.map(\.distance), include: include)
            }
            return result
        }
    }

    /// How far indexing has come (Chroma's `get_indexing_status`): the records of the compacted, indexed version
    /// and the writes still waiting in the log for compaction (queries see them too, by exact search).
    public func indexingStatus() async throws -> IndexingStatus {
        try await boundary {
            let reader = try await reader()
            return IndexingStatus(
                indexed: reader.snapshot.live.count, unindexed: reader.tail.logRecords - reader.tail.highWaterMarks)
        }
    }

    /// Records in the collection, or in the kept version `asOf` names (from counts; nothing is scanned).
    public func count(asOf: ReadPoint? = nil) async throws -> Int {
        try await boundary {
            try await reader(at: asOf).count
        }
    }

    /// The embedding dimension fixed by the first write; nil before it (the HTTP server's collection model).
    public func currentDimension() throws -> Int? {
        try synchronousBoundary {
            try context.catalog.call { try $0.collection(id: id).dimension }
        }
    }

    /// The first `limit` records.
    public func peek(limit: Int = 10) async throws -> GetResult {
        try await boundary {
            try await get(limit: limit, include: Include(.metadatas, .documents, .embeddings))
        }
    }

    /// Renames the collection, replaces its metadata and/or changes its configuration (Chroma's
    /// `new_configuration`: HNSW search parameters, the embedding function); returns the updated collection.
    @discardableResult
    public func modify(
        name newName: String? = nil, metadata newMetadata: Metadata? = nil,
        configuration: [String: JSONValue]? = nil
    ) async throws -> Collection {
        try await boundary {
            try await context.modify(
                collectionID: id, name: newName, metadata: newMetadata, configuration: configuration)
        }
    }

    /// Folds the log into the segments now (the client also does it in the background past a threshold);
    /// `reporter` hears the log records read, the records written and the vectors indexed.
    @discardableResult
    public func compact(reporter: ProgressReporter? = nil) async throws -> CompactionSummary? {
        try await boundary {
            try await context.maintenance.compact(collectionID: id, reporter: reporter)
        }
    }

    func reader() async throws -> CollectionReader {
        let state = try await runtime.current(parameters: configuration.hnsw)
        return CollectionReader(
            snapshot: state.snapshot, tail: state.tail, dimension: state.dimension, provider: context.provider,
            configuration: configuration)
    }
}

extension GetResult {
    mutating func append(_ record: DataRecord, include: Include) throws {
        ids.append(record.id)
        if include.contains(.embeddings) { embeddings?.append(record.embedding) }
        if include.contains(.documents) { documents?.append(record.document) }
        if include.contains(.metadatas) { metadatas?.append(try record.userMetadata) }
        if include.contains(.uris) { uris?.append(try record.uri) }
    }
}

extension QueryResult {
    mutating func appendEmpty() {
        ids.append([])
        distances?.append([])
        embeddings?.append([])
        metadatas?.append([])
        documents?.append([])
        uris?.append([])
    }

    mutating func append(_ records: [DataRecord], distances rowDistances: [Float], include: Include) throws {
        ids.append(records.map(\.id))
        distances?.append(rowDistances)
        embeddings?.append(records.map(\.embedding))
        documents?.append(records.map(\.document))
        if include.contains(.metadatas) { metadatas?.append(try records.map { try $0.userMetadata }) }
        if include.contains(.uris) { uris?.append(try records.map { try $0.uri }) }
    }
}

extension DataRecord {
    /// The metadata a user sees: without the URI Chroma keeps in it (a record with a URI and no metadata has `{}`,
    /// as in Chroma).
    var userMetadata: Metadata? {
        get throws {
            guard var metadata = try metadata else { return nil }
            metadata[reservedURIMetadataKey] = nil
            return metadata
        }
    }

    /// The record's URI, if it was given one.
    var uri: String? {
        get throws {
            guard case .string(let uri)? = try metadata?[reservedURIMetadataKey] else { return nil }
            return uri
        }
    }

    /// The record's metadata, parsed.
    var metadata: Metadata? {
        get throws {
            guard let json = metadataJSON else { return nil }
            do {
                return try Metadata(jsonText: json)
            } catch {
                throw CairnError(.corrupt, "stored metadata of \(id) is not valid: \(error.message)")
            }
        }
    }
}
