// The versioned header stored next to an HNSW index file: what a reader needs before it trusts the file.
import Foundation

struct HNSWIndexHeader: Codable, Sendable, Hashable {
    /// Readers refuse versions they do not know.
    static let currentVersion = 1

    var formatVersion: Int
    /// Always "hnswlib-0.6" for now: the layout of `index.bin`.
    var engine: String
    var dimension: Int
    var parameters: HNSWParameters
    var count: Int
    var deletedCount: Int
    var dataBytes: Int

    static let engineName = "hnswlib-0.6"

    static func decode(_ data: Data, key: String) throws(VectorIndexError) -> HNSWIndexHeader {
        struct Version: Decodable { var formatVersion: Int }
        let version: Version
        do {
            version = try JSONDecoder().decode(Version.self, from: data)
        } catch {
            throw VectorIndexError(.corrupt, "\(key) is not an HNSW index header (no formatVersion)")
        }
        guard version.formatVersion == currentVersion else {
            throw VectorIndexError(
                .unsupportedVersion,
                "\(key) has format version \(version.formatVersion); this build reads version \(currentVersion)")
        }
        let header: HNSWIndexHeader
        do {
            header = try JSONDecoder().decode(HNSWIndexHeader.self, from: data)
        } catch {
            throw VectorIndexError(.corrupt, "\(key) is not a valid HNSW index header: \(error)")
        }
        guard header.engine == engineName else {
            throw VectorIndexError(.unsupportedVersion, "\(key) names engine \(header.engine), expected \(engineName)")
        }
        guard header.dimension > 0, header.dataBytes > 0, header.count >= 0 else {
            throw VectorIndexError(.corrupt, "\(key) has impossible sizes")
        }
        return header
    }

    func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)) ?? Data()
    }
}
