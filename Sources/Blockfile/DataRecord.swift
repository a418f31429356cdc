// The record-segment value: a user's id, embedding, metadata (JSON text) and document. In a block it is four
// columns — id, embedding (fixed_size_list<float32>[dimension]), metadata and document — that pyarrow reads
// as they are.
import ArrowIPC
import Foundation

public struct DataRecord: Sendable, Equatable {
    public var id: String
    public var embedding: [Float]?
    /// Metadata as a JSON object, or nil.
    public var metadataJSON: String?
    public var document: String?

    public init(id: String, embedding: [Float]?, metadataJSON: String? = nil, document: String? = nil) {
        self.id = id
        self.embedding = embedding
        self.metadataJSON = metadataJSON
        self.document = document
    }
}

/// Zero-copy views of a block's record columns.
public struct DataRecordColumns: Sendable {
    public let ids: StringArray
    public let embeddings: FixedSizeFloat32Array?
    public let metadata: StringArray
    public let documents: StringArray
}

extension DataRecord: BlockfileValue {
    public static var valueType: ValueType { .dataRecord }
    public static var placeholder: DataRecord { DataRecord(id: "", embedding: nil) }

    public var encodedSize: Int {
        id.utf8.count + 4 + (embedding?.count ?? 0) * 4 + (metadataJSON?.utf8.count ?? 0) + 4
            + (document?.utf8.count ?? 0) + 4
    }

    public static func makeColumns(_ values: [DataRecord]) throws(ArrowError) -> [(ArrowField, ArrowArray)] {
        let dimension = values.lazy.compactMap { $0.embedding?.count }.first ?? 0
        let ids = VariableBinaryArrayBuilder(type: .utf8, capacity: values.count)
        let embeddings = FixedSizeFloat32ArrayBuilder(dimension: dimension, capacity: values.count)
        let metadata = VariableBinaryArrayBuilder(type: .utf8, capacity: values.count)
        let documents = VariableBinaryArrayBuilder(type: .utf8, capacity: values.count)
        for record in values {
            ids.append(record.id)
            if let embedding = record.embedding {
                guard embedding.count == dimension else {
                    throw ArrowError(
                        .invalidArgument,
                        "record \(record.id) has a \(embedding.count)-dimensional embedding in a block of dimension \(dimension)"
                    )
                }
                try embeddings.append(embedding)
            } else {
                embeddings.appendNull()
            }
            metadata.append(record.metadataJSON)
            documents.append(record.document)
        }
        return [
            (ArrowField("id", .utf8, nullable: false), try ids.finish()),
            (ArrowField("embedding", .embedding(dimension: dimension)), embeddings.finish()),
            (ArrowField("metadata", .utf8), try metadata.finish()),
            (ArrowField("document", .utf8), try documents.finish()),
        ]
    }

    public static func columns(in batch: RecordBatch) throws(ArrowError) -> DataRecordColumns {
        DataRecordColumns(
            ids: try batch.strings("id"), embeddings: try batch.float32Vectors("embedding"),
            metadata: try batch.strings("metadata"), documents: try batch.strings("document"))
    }

    public static func value(in columns: DataRecordColumns, at index: Int) -> DataRecord {
        DataRecord(
            id: columns.ids[index], embedding: columns.embeddings?.value(at: index),
            metadataJSON: columns.metadata.value(at: index), document: columns.documents.value(at: index))
    }
}
