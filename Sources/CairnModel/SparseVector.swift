// A sparse vector as Chroma 1.5 carries it in metadata and in sparse `$knn` queries: strictly ascending u32
// indices, one f32 value each, optional labels (`tokens` on the wire). Transport and messages as Chroma's
// (docs/search-reference.md §4).
import CairnJSON

public struct SparseVector: Sendable, Hashable {
    public private(set) var indices: [UInt32]
    public private(set) var values: [Float]
    /// A label per index (the token a BM25 index stands for), when the writer gave them.
    public private(set) var tokens: [String]?

    /// A validated sparse vector: equal lengths, indices strictly ascending.
    public init(indices: [UInt32], values: [Float], tokens: [String]? = nil) throws(ValidationError) {
        guard indices.count == values.count, tokens.map({ $0.count == indices.count }) ?? true else {
            throw ValidationError(
                .invalidMetadataValue,
                "Sparse vector indices, values, and tokens (when present) must have the same length")
        }
        for i in indices.indices.dropFirst() where indices[i - 1] >= indices[i] {
            throw ValidationError(
                .invalidMetadataValue,
                "Sparse vector indices must be sorted in strictly ascending order (no duplicates)")
        }
        self.indices = indices
        self.values = values
        self.tokens = tokens
    }

    /// From the wire object `{"#type": "sparse_vector", "indices": [...], "values": [...], "tokens"?: [...]}`
    /// (`#type` optional; any other value of it refused).
    public init(json members: [String: JSONValue]) throws(ValidationError) {
        if let type = members["#type"], type != .string("sparse_vector") {
            let shown: String
            if case .string(let text) = type { shown = text } else { shown = type.pythonRepr }
            throw ValidationError(.invalidMetadataValue, "Expected #type='sparse_vector', got '\(shown)'")
        }
        for key in members.keys where !["#type", "indices", "values", "tokens"].contains(key) {
            throw ValidationError(.invalidMetadataValue, "unknown field `\(key)` in a sparse vector")
        }
        guard case .array(let indexValues)? = members["indices"] else {
            throw ValidationError(.invalidMetadataValue, "a sparse vector needs `indices`, a list of integers")
        }
        guard case .array(let valueValues)? = members["values"] else {
            throw ValidationError(.invalidMetadataValue, "a sparse vector needs `values`, a list of numbers")
        }
        var indices: [UInt32] = []
        indices.reserveCapacity(indexValues.count)
        for value in indexValues {
            guard case .int(let index) = value, let index = UInt32(exactly: index) else {
                throw ValidationError(
                    .invalidMetadataValue,
                    "sparse vector indices must be integers in 0...4294967295, got \(value.pythonRepr)")
            }
            indices.append(index)
        }
        var values: [Float] = []
        values.reserveCapacity(valueValues.count)
        for value in valueValues {
            let number: Double
            switch value {
            case .int(let integer): number = Double(integer)
            case .double(let double): number = double
            default:
                throw ValidationError(
                    .invalidMetadataValue, "sparse vector values must be numbers, got \(value.pythonRepr)")
            }
            guard Float(number).isFinite else {
                throw ValidationError(.invalidMetadataValue, "sparse vector values must be finite 32-bit floats")
            }
            values.append(Float(number))
        }
        var tokens: [String]?
        switch members["tokens"] {
        case nil, .null?: tokens = nil
        case .array(let items)?:
            tokens = []
            for item in items {
                guard case .string(let token) = item else {
                    throw ValidationError(.invalidMetadataValue, "sparse vector tokens must be strings")
                }
                tokens?.append(token)
            }
        case let other?:
            throw ValidationError(.invalidMetadataValue, "sparse vector tokens must be a list, got \(other.pythonRepr)")
        }
        try self.init(indices: indices, values: values, tokens: tokens)
    }

    /// The wire object, every key present (`tokens: null` without labels), values as their shortest f32 decimals
    /// (what Chroma's serializer writes).
    public var json: JSONValue {
        .object([
            "#type": .string("sparse_vector"),
            "indices": .array(indices.map { .int(Int64($0)) }),
            "values": .array(values.map { .double(Double($0.description) ?? Double($0)) }),
            "tokens": tokens.map { .array($0.map(JSONValue.string)) } ?? .null,
        ])
    }

    public var isEmpty: Bool { indices.isEmpty }

    /// Σ over shared indices of the two values (f32, in ascending index order).
    public func dot(_ other: SparseVector) -> Float {
        var (i, j) = (0, 0)
        var sum: Float = 0
        while i < indices.count, j < other.indices.count {
            let (a, b) = (indices[i], other.indices[j])
            if a == b {
                sum += values[i] * other.values[j]
                i += 1
                j += 1
            } else if a < b {
                i += 1
            } else {
                j += 1
            }
        }
        return sum
    }

    /// The same vector with each value multiplied by `factor(index)` (BM25's IDF at query time).
    public func scaled(by factor: (UInt32) -> Float) -> SparseVector {
        var copy = self
        for i in copy.values.indices { copy.values[i] *= factor(copy.indices[i]) }
        return copy
    }
}
