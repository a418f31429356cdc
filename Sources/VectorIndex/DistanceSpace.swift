// The distance spaces Chroma offers (`hnsw:space`), with the distances it reports for each.

/// `l2` is squared Euclidean distance, `ip` is 1 − inner product, `cosine` is 1 − cosine similarity.
public enum DistanceSpace: String, Sendable, Hashable, CaseIterable, Codable {
    case l2
    case ip
    case cosine

    /// The shim's space constant.
    var nativeValue: Int32 {
        switch self {
        case .l2: return 0
        case .ip: return 1
        case .cosine: return 2
        }
    }
}
