/// Parameters of Chroma's BM25 sparse embedding (`ChromaBm25EmbeddingFunction`).
public struct BM25Parameters: Sendable, Equatable {
    /// Term-frequency saturation `k` (Chroma default 1.2).
    public var k: Double
    /// Length normalisation `b` (Chroma default 0.75).
    public var b: Double
    /// Assumed average document length in tokens (Chroma default 256). Must not be zero:
    /// Python raises `ZeroDivisionError` where this would produce infinities or NaN.
    public var averageDocumentLength: Double
    /// Tokens longer than this many code points, after lowercasing, are dropped (default 40).
    public var tokenMaxLength: Int
    /// Words dropped before stemming; compared after lowercasing both sides, as Python does.
    public var stopwords: Set<String>

    /// Chroma's English stopword list (179 words).
    public static let chromaStopwords: Set<String> = Set(chromaEnglishStopwords)

    /// The parameters `ChromaBm25EmbeddingFunction()` uses when given no arguments.
    public static let chromaDefault = BM25Parameters()

    /// Creates parameters; every default is Chroma's.
    public init(
        k: Double = 1.2,
        b: Double = 0.75,
        averageDocumentLength: Double = 256,
        tokenMaxLength: Int = 40,
        stopwords: Set<String> = BM25Parameters.chromaStopwords
    ) {
        self.k = k
        self.b = b
        self.averageDocumentLength = averageDocumentLength
        self.tokenMaxLength = tokenMaxLength
        self.stopwords = stopwords
    }
}

/// A BM25 sparse vector: entries sorted by ascending index.
public struct BM25Vector: Sendable, Equatable {
    /// Token indices, `abs(murmur3_x86_32(token))`, strictly ascending.
    public var indices: [UInt32]
    /// BM25 term weights, one per index.
    public var values: [Double]
    /// The stemmed token behind each index (the first one seen if two tokens collide),
    /// what Chroma returns with `include_tokens=True`.
    public var labels: [String]

    /// Creates a vector from parallel arrays.
    public init(indices: [UInt32] = [], values: [Double] = [], labels: [String] = []) {
        self.indices = indices
        self.values = values
        self.labels = labels
    }

    /// Whether the text had no token left after filtering.
    public var isEmpty: Bool { indices.isEmpty }
}

/// Computes the BM25 sparse vectors of chromadb 1.5.9's `ChromaBm25EmbeddingFunction`.
///
/// Documents and queries are encoded the same way.
public struct BM25Encoder: Sendable {
    /// The parameters this encoder was created with.
    public let parameters: BM25Parameters
    private let tokenizer: Tokenizer

    /// Creates an encoder; the stopwords are lowercased once here.
    public init(_ parameters: BM25Parameters = .chromaDefault) {
        self.parameters = parameters
        self.tokenizer = Tokenizer(stopwords: parameters.stopwords, tokenMaxLength: parameters.tokenMaxLength)
    }

    /// The kept stemmed tokens of `text`, in order and with repeats.
    public func tokens(_ text: String) -> [String] {
        tokenizer.stems(in: text)
    }

    /// The BM25 sparse vector of `text`; empty when no token is left.
    public func encode(_ text: String) -> BM25Vector {
        var slotOfIndex: [UInt32: Int] = [:]
        var indices: [UInt32] = []
        var counts: [Int] = []
        var labels: [String] = []
        var documentLength = 0
        tokenizer.forEachStem(in: text) { stem in
            documentLength += 1
            let index = MurmurHash3.chromaIndex(UnsafeRawBufferPointer(stem))
            if let slot = slotOfIndex[index] {
                counts[slot] += 1
            } else {
                slotOfIndex[index] = indices.count
                indices.append(index)
                counts.append(1)
                labels.append(String(decoding: stem, as: UTF8.self))
            }
        }
        guard documentLength > 0 else { return BM25Vector() }

        let k = parameters.k
        let b = parameters.b
        let length = Double(documentLength)
        // Same operations in the same order as Python, so the doubles are identical.
        let normalisation = 1 - b + (b * length) / parameters.averageDocumentLength
        let order = indices.indices.sorted { indices[$0] < indices[$1] }
        var vector = BM25Vector()
        vector.indices.reserveCapacity(order.count)
        vector.values.reserveCapacity(order.count)
        vector.labels.reserveCapacity(order.count)
        for slot in order {
            let tf = Double(counts[slot])
            let denominator = tf + k * normalisation
            vector.indices.append(indices[slot])
            vector.values.append(tf * (k + 1) / denominator)
            vector.labels.append(labels[slot])
        }
        return vector
    }
}
