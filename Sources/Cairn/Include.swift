// What `get` and `query` return, and which fields a caller asks for (Chroma's `include`).
import Segments

/// A field `get` or `query` can include in its result.
public enum IncludeField: String, Sendable, Hashable, CaseIterable, Codable {
    case documents, embeddings, metadatas, distances, uris, data
}

/// Chroma's defaults: `get` includes metadatas and documents; `query` adds distances.
public struct Include: Sendable, Hashable {
    public var fields: Set<IncludeField>
    public init(_ fields: Set<IncludeField>) { self.fields = fields }
    public init(_ fields: IncludeField...) { self.fields = Set(fields) }
    public static let getDefault = Include(.metadatas, .documents)
    public static let queryDefault = Include(.metadatas, .documents, .distances)
    public func contains(_ field: IncludeField) -> Bool { fields.contains(field) }
}

/// The result of `get`: parallel arrays, one entry per record; a field not included is nil.
public struct GetResult: Sendable, Equatable {
    public var ids: [String] = []
    public var embeddings: [[Float]?]?
    public var metadatas: [Metadata?]?
    public var documents: [String?]?
    public var uris: [String?]?
    public var include: [IncludeField]

    public init(include: Include) {
        self.include = IncludeField.allCases.filter { include.contains($0) && $0 != .distances }
        if include.contains(.embeddings) { embeddings = [] }
        if include.contains(.metadatas) { metadatas = [] }
        if include.contains(.documents) { documents = [] }
        if include.contains(.uris) { uris = [] }
    }
}

/// The result of `query`: for each query embedding, its nearest records, nearest first.
public struct QueryResult: Sendable, Equatable {
    public var ids: [[String]] = []
    public var distances: [[Float]]?
    public var embeddings: [[[Float]?]]?
    public var metadatas: [[Metadata?]]?
    public var documents: [[String?]]?
    public var uris: [[String?]]?
    public var include: [IncludeField]

    public init(include: Include) {
        self.include = IncludeField.allCases.filter { include.contains($0) }
        if include.contains(.distances) { distances = [] }
        if include.contains(.embeddings) { embeddings = [] }
        if include.contains(.metadatas) { metadatas = [] }
        if include.contains(.documents) { documents = [] }
        if include.contains(.uris) { uris = [] }
    }
}
