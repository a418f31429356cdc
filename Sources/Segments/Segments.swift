// The segments of a collection: records, metadata indexes and vectors, each over blockfiles or HNSW files. They
// store and answer the model's types (metadata, filters), so importing Segments brings those along.
@_exported import CairnJSON
@_exported import CairnModel
