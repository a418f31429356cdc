// The segments of a collection: records, metadata indexes and vectors, each over blockfiles or HNSW files.
@_exported import CairnJSON
