// Chroma's checks on the arguments of add, upsert and update, with its messages: every write is validated in full
// before anything reaches the log, so a bad batch changes nothing.
import Log
import Segments

/// The documented limits of one write (docs/collections.md).
public enum Limits {
    /// Records one call may write (one log fragment).
    public static var maxBatchSize: Int { WriteAheadLog.maxFragmentRecords }
    /// Bytes one call may write in all (ids, embeddings, metadata, documents).
    public static var maxBatchBytes: Int { WriteAheadLog.maxFragmentBytes }
    /// Bytes of one id (UTF-8).
    public static let maxIDBytes = 4096
    /// Bytes of one record's metadata as JSON.
    public static let maxMetadataBytes = 64 << 10
    /// Bytes of one document (UTF-8).
    public static let maxDocumentBytes = 4 << 20
    /// Values in one embedding.
    public static let maxDimension = 65_536
}

enum WriteValidation {
    static var maxBatchSize: Int { Limits.maxBatchSize }

    static func ids(_ ids: [String], duplicates: Collection.DuplicateIDs = .refused) throws {
        guard !ids.isEmpty else { throw CairnError.invalid("Expected IDs to be a non-empty list, got 0 IDs") }
        guard ids.count <= maxBatchSize else {
            throw CairnError.invalid(
                "Cannot submit more than \(maxBatchSize) records at once (got \(ids.count)); split the batch")
        }
        if let empty = ids.firstIndex(where: \.isEmpty) {
            throw CairnError.invalid("Expected ID to be a non-empty str, got an empty ID at index \(empty)")
        }
        if let long = ids.first(where: { $0.utf8.count > Limits.maxIDBytes }) {
            throw CairnError.invalid(
                "ID \(long.prefix(40))… is \(long.utf8.count) bytes; the limit is \(Limits.maxIDBytes)")
        }
        if duplicates == .appliedInOrder { return }
        // Linear: one set of the ids seen, one of the duplicates reported (a request's CPU is bounded by its size).
        var seen = Set<String>(minimumCapacity: ids.count)
        var reported = Set<String>()
        var duplicates: [String] = []
        for id in ids where !seen.insert(id).inserted && reported.insert(id).inserted { duplicates.append(id) }
        if !duplicates.isEmpty {
            let shown = duplicates.prefix(10).joined(separator: ", ")
            throw CairnError.invalid(
                "Expected IDs to be unique, found duplicates of: \(shown)\(duplicates.count > 10 ? ", …" : "")")
        }
    }

    static func count(_ name: String, _ count: Int?, ids: Int) throws {
        if let count, count != ids {
            throw CairnError.invalid("Number of \(name) \(count) must match number of ids \(ids)")
        }
    }

    /// Checks embeddings against each other and the collection's dimension; returns their dimension.
    static func embeddings(_ embeddings: [[Float]], dimension: Int?) throws -> Int? {
        var expected = dimension
        for embedding in embeddings {
            guard !embedding.isEmpty else {
                throw CairnError.invalid("Expected each embedding in the embeddings to be a non-empty list")
            }
            guard embedding.allSatisfy(\.isFinite) else {
                throw CairnError.invalid("Expected each value in the embeddings to be a finite number")
            }
            guard embedding.count <= Limits.maxDimension else {
                throw CairnError.invalid(
                    "Embedding dimension \(embedding.count) exceeds the limit of \(Limits.maxDimension)")
            }
            if let expected, embedding.count != expected {
                throw CairnError.invalid(
                    "Collection expecting embedding with dimension of \(expected), got \(embedding.count)")
            }
            expected = embedding.count
        }
        return expected
    }

    static func metadata(_ metadata: Metadata) throws {
        do { try validateMetadata(metadata) } catch { throw CairnError.invalid(error.message) }
    }

    /// Sizes of what one record carries to the log.
    static func sizes(id: String, metadataJSON: String?, document: String?) throws {
        if let metadataJSON, metadataJSON.utf8.count > Limits.maxMetadataBytes {
            throw CairnError.invalid(
                "Metadata of \(id) is \(metadataJSON.utf8.count) bytes as JSON; the limit is \(Limits.maxMetadataBytes)"
            )
        }
        if let document, document.utf8.count > Limits.maxDocumentBytes {
            throw CairnError.invalid(
                "Document of \(id) is \(document.utf8.count) bytes; the limit is \(Limits.maxDocumentBytes)")
        }
    }

    /// The whole batch must fit one log fragment.
    static func batch(_ records: [LogRecord]) throws {
        var bytes = 0
        for record in records {
            try sizes(id: record.id, metadataJSON: record.metadataJSON, document: record.document)
            bytes += record.encodedSize
        }
        guard bytes <= Limits.maxBatchBytes else {
            throw CairnError.invalid(
                "The batch is \(bytes) bytes; one call may write at most \(Limits.maxBatchBytes): split it")
        }
    }

    static func metadataUpdate(_ update: MetadataUpdate) throws {
        do { try validateMetadataUpdate(update) } catch { throw CairnError.invalid(error.message) }
    }
}

extension CairnError {
    /// A `ValidationError` as the API reports it: 422-style for a request of the wrong shape, invalid otherwise.
    init(validation error: ValidationError) {
        self.init(error.code == .malformedRequest ? .malformedRequest : .invalidArgument, error.message)
    }
}

extension Dictionary where Key == String, Value == MetadataValue? {
    /// The update as JSON text, with null for removed keys (what the log stores for `update`).
    var updateJSONText: String {
        var object: [String: JSONValue] = [:]
        for (key, value) in self { object[key] = value?.json ?? .null }
        var out = ""
        JSONValue.object(object).write(to: &out)
        return out
    }
}
