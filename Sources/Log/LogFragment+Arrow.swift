// A log fragment on the object store: an Arrow IPC stream with one record batch — columns operation, id,
// embedding (list<float32>), metadata (JSON text), document — and its identity in the schema metadata, so that
// a fragment found under the wrong key is detected.
import ArrowIPC
import Foundation

extension LogFragment {
    /// The fragment format this code writes; readers refuse newer ones.
    public static let formatVersion = 1

    enum Schema {
        static let versionKey = "cairn.log.version"
        static let offsetKey = "cairn.log.offset"
        static let writerKey = "cairn.log.writer_id"
    }

    public func encoded() throws(LogError) -> Data {
        do {
            let operations = VariableBinaryArrayBuilder(type: .utf8, capacity: records.count)
            let ids = VariableBinaryArrayBuilder(type: .utf8, capacity: records.count)
            let embeddings = ListArrayBuilder<Float>(capacity: records.count)
            let metadata = VariableBinaryArrayBuilder(type: .utf8, capacity: records.count)
            let documents = VariableBinaryArrayBuilder(type: .utf8, capacity: records.count)
            for record in records {
                operations.append(record.operation.rawValue)
                ids.append(record.id)
                if let embedding = record.embedding { embeddings.append(embedding) } else { embeddings.appendNull() }
                metadata.append(record.metadataJSON)
                documents.append(record.document)
            }
            let embeddingColumn = try embeddings.finish()
            let batch = try RecordBatch(
                [
                    (ArrowField("operation", .utf8, nullable: false), try operations.finish()),
                    (ArrowField("id", .utf8, nullable: false), try ids.finish()),
                    (ArrowField("embedding", embeddingColumn.type), embeddingColumn),
                    (ArrowField("metadata", .utf8), try metadata.finish()),
                    (ArrowField("document", .utf8), try documents.finish()),
                ],
                metadata: [
                    Schema.versionKey: String(Self.formatVersion), Schema.offsetKey: String(offset),
                    Schema.writerKey: writerID,
                ])
            return try ArrowWriter.encode([batch], schema: batch.schema, format: .stream)
        } catch {
            throw LogError(.invalidArgument, "cannot encode fragment: \(error)", offset: offset)
        }
    }

    /// Decodes the fragment stored at `offset`, checking that it says it is that fragment.
    public init(decoding data: Data, offset: UInt64) throws(LogError) {
        do {
            let stream = try ArrowStreamReader(data: data)
            let metadata = stream.metadata
            guard let version = metadata[Schema.versionKey].flatMap(Int.init) else {
                throw LogError(.corrupt, "not a Cairn log fragment (no version)", offset: offset)
            }
            guard version <= Self.formatVersion else {
                throw LogError(
                    .unsupportedVersion, "fragment format \(version) is newer than this reader (\(Self.formatVersion))",
                    offset: offset)
            }
            guard metadata[Schema.offsetKey] == String(offset), let writerID = metadata[Schema.writerKey] else {
                throw LogError(
                    .corrupt, "fragment says it is offset \(metadata[Schema.offsetKey] ?? "?")", offset: offset)
            }
            guard stream.batches.count == 1, let batch = stream.batches.first else {
                throw LogError(
                    .corrupt, "a fragment holds one record batch, not \(stream.batches.count)", offset: offset)
            }
            let operations = try batch.strings("operation")
            let ids = try batch.strings("id")
            let embeddings = try batch.lists("embedding", of: Float.self)
            let metadataColumn = try batch.strings("metadata")
            let documents = try batch.strings("document")
            var records: [LogRecord] = []
            records.reserveCapacity(batch.count)
            for i in 0..<batch.count {
                guard let operation = LogOperation(rawValue: operations[i]) else {
                    throw LogError(.corrupt, "record \(i) has unknown operation '\(operations[i])'", offset: offset)
                }
                records.append(
                    LogRecord(
                        operation, id: ids[i], embedding: embeddings.value(at: i),
                        metadataJSON: metadataColumn.value(at: i), document: documents.value(at: i)))
            }
            self.init(offset: offset, writerID: writerID, records: records)
        } catch let error as LogError {
            throw error
        } catch {
            throw LogError(.corrupt, "\(error)", offset: offset)
        }
    }
}
