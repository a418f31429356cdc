// Chroma's checks on the arguments of add, upsert and update, with its messages: every write is validated in full
// before anything reaches the log, so a bad batch changes nothing.
import Log
import Segments

enum WriteValidation {
    /// The most records one call may write (one log fragment).
    static var maxBatchSize: Int { WriteAheadLog.maxFragmentRecords }

    static func ids(_ ids: [String]) throws {
        guard !ids.isEmpty else { throw CairnError.invalid("Expected IDs to be a non-empty list, got 0 IDs") }
        guard ids.count <= maxBatchSize else {
            throw CairnError.invalid(
                "Cannot submit more than \(maxBatchSize) records at once (got \(ids.count)); split the batch")
        }
        if let empty = ids.firstIndex(where: \.isEmpty) {
            throw CairnError.invalid("Expected ID to be a non-empty str, got an empty ID at index \(empty)")
        }
        var seen = Set<String>()
        var duplicates: [String] = []
        for id in ids where !seen.insert(id).inserted && !duplicates.contains(id) { duplicates.append(id) }
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

    static func metadataUpdate(_ update: MetadataUpdate) throws {
        do { try validateMetadataUpdate(update) } catch { throw CairnError.invalid(error.message) }
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
