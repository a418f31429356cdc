// Chroma's BM25 sparse embedding computed by Cairn itself (issue 21): when the collection's sparse vector index
// names `chroma_bm25` with a `source_key`, a write that gives the source text but no vector under the index's key
// gets the vector `ChromaBm25EmbeddingFunction` would have computed (TextAnalysis reproduces it exactly). The
// official client computes it before sending and skips records that already have one, as Cairn does here; so
// raw HTTP and Swift users get keyword search without computing anything.
import CairnJSON
import CairnModel
import TextAnalysis

struct SparseEmbedding: Sendable {
    let key: String
    /// `#document` or a string metadata key.
    let sourceKey: String
    let encoder: BM25Encoder
    let includeTokens: Bool

    /// The embedding the configuration's sparse index asks for, when it is one Cairn computes.
    init?(_ configuration: CollectionConfiguration) {
        guard let index = configuration.sparseIndex, let sourceKey = index.sourceKey,
            let function = index.embeddingFunction, function["name"] == .string("chroma_bm25")
        else { return nil }
        var parameters = BM25Parameters.chromaDefault
        var includeTokens = false
        if case .object(let config)? = function["config"] {
            if let k = config["k"]?.numberValue { parameters.k = k }
            if let b = config["b"]?.numberValue { parameters.b = b }
            if let length = config["avg_doc_length"]?.numberValue, length > 0 {
                parameters.averageDocumentLength = length
            }
            if case .int(let length)? = config["token_max_length"], length > 0 {
                parameters.tokenMaxLength = Int(length)
            }
            if case .array(let words)? = config["stopwords"] {
                parameters.stopwords = Set(words.compactMap { if case .string(let word) = $0 { word } else { nil } })
            }
            if case .bool(let flag)? = config["include_tokens"] { includeTokens = flag }
        }
        key = index.key
        self.sourceKey = sourceKey
        encoder = BM25Encoder(parameters)
        self.includeTokens = includeTokens
    }

    /// The vector of `text` as a metadata value.
    func vector(_ text: String) -> MetadataValue? {
        let encoded = encoder.encode(text)
        return try? .sparseVector(
            SparseVector(
                indices: encoded.indices, values: encoded.values.map { Float($0) },
                tokens: includeTokens ? encoded.labels : nil))
    }

    /// The source text of a record: its document, or the string under the source key.
    private func source(_ value: MetadataValue?, document: String?) -> String? {
        if sourceKey == "#document" { return document }
        if case .string(let text)? = value { return text }
        return nil
    }

    /// `metadata` with the vector added when the record gives the source text and no value under the key.
    func filling(_ metadata: Metadata?, document: String?) -> Metadata? {
        guard metadata?[key] == nil, let text = source(metadata?[sourceKey], document: document),
            let vector = vector(text)
        else { return metadata }
        var filled = metadata ?? [:]
        filled[key] = vector
        return filled
    }

    /// An update's metadata with the vector set when the update changes the source text and not the key.
    func filling(_ update: MetadataUpdate?, document: String?) -> MetadataUpdate? {
        guard update?[key] == nil, let text = source(update?[sourceKey] ?? nil, document: document),
            let vector = vector(text)
        else { return update }
        var filled = update ?? [:]
        filled[key] = .some(vector)
        return filled
    }
}
