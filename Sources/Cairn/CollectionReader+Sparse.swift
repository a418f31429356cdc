// Sparse `$knn` (issue 21): records ranked by `1 − q·d` over the sparse vectors under one metadata key, with BM25's
// IDF applied to the query at query time when the key's index says so (docs/search-reference.md §2.2, §6). Exact:
// every live record holding a vector under the key that shares an index with the query is scored. The compacted
// records' vectors are gathered once per version into in-memory postings (`SparsePostings`); the tail's are read
// from its slots.
import Bitmaps
import Blockfile
import CairnModel
import Foundation
import Synchronization

/// The sparse vectors under one key of a version's records, as postings: for each index, the records holding it
/// (offset id order) with their values. Built on a version's first sparse query of the key, then shared.
final class SparsePostings: Sendable {
    let postings: [UInt32: [(offset: UInt32, value: Float)]]

    init(postings: [UInt32: [(offset: UInt32, value: Float)]]) {
        self.postings = postings
    }

    /// Records read per batch while building.
    static let batch = 4096

    /// Reads every live record of `snapshot` and keeps the sparse vectors under `key`.
    static func build(_ snapshot: VersionSnapshot, key: String) async throws -> SparsePostings {
        var postings: [UInt32: [(offset: UInt32, value: Float)]] = [:]
        let offsets = snapshot.live.array
        for start in stride(from: 0, to: offsets.count, by: batch) {
            let chunk = Array(offsets[start..<min(offsets.count, start + batch)])
            for (offset, record) in zip(chunk, try await snapshot.records.records(chunk)) {
                guard let vector = try record.map({ try sparseVector(of: $0, key: key) }) ?? nil else { continue }
                for (index, value) in zip(vector.indices, vector.values) {
                    postings[index, default: []].append((offset, value))
                }
            }
        }
        return SparsePostings(postings: postings)
    }

    /// The sparse vector a record holds under `key` (nil when it holds none or another kind of value).
    static func sparseVector(of record: DataRecord, key: String) throws -> SparseVector? {
        guard let json = record.metadataJSON else { return nil }
        let metadata: Metadata
        do {
            metadata = try Metadata(jsonText: json)
        } catch {
            throw CairnError(.corrupt, "metadata of \(record.id): \(error.message)")
        }
        guard case .sparseVector(let vector)? = metadata[key] else { return nil }
        return vector
    }
}

/// Each version's sparse postings by key (a version never changes, so they stay valid as long as it is read).
final class SparsePostingsCache: Sendable {
    private let state = Mutex<[String: SparsePostings]>([:])

    func postings(_ snapshot: VersionSnapshot, key: String) async throws -> SparsePostings {
        if let built = state.withLock({ $0[key] }) { return built }
        let built = try await SparsePostings.build(snapshot, key: key)
        state.withLock { $0[key] = $0[key] ?? built }
        return built
    }
}

extension CollectionReader {
    /// The `k` best records for the sparse query `query` under `key` among those matching `filter` (and `ids`),
    /// best first: measure `1 − q·d` (IDF-scaled `q` with `bm25`), ties in insertion order. Only records sharing an
    /// index with the query are candidates.
    func sparseQuery(
        _ query: SparseVector, key: String, bm25: Bool, k: Int, ids: [String]?, filter: RecordFilter
    ) async throws -> [Hit] {
        guard k > 0, !query.isEmpty else { return [] }
        let postings = try await snapshot.sparsePostings.postings(snapshot, key: key)
        let tailVectors = try tailSparseVectors(key: key, within: tail.live)
        let scaled = bm25 ? idfScaled(query, postings: postings, tailVectors: tailVectors) : query

        // Candidates: the compacted records still current, and the tail's live slots, that match.
        var universe = compactedUniverse
        var tailCandidates = try tailMatches(filter)
        if let ids {
            let fromSegments = ids.filter { tail.slotOfID[$0] == nil && !tail.deleted.contains($0) }
            let offsets = try await snapshot.records.offsetIDs(for: fromSegments).compactMap { $0 }
            universe = universe.intersection(RoaringBitmap(offsets))
            tailCandidates = tailCandidates.intersection(RoaringBitmap(ids.compactMap { tail.slotOfID[$0] }))
        }
        let matches = try await compactedMatches(filter, within: universe)

        var hits: [Hit] = []
        var dots: [UInt32: Float] = [:]
        for (index, value) in zip(scaled.indices, scaled.values) {
            for posting in postings.postings[index] ?? [] where matches.contains(posting.offset) {
                dots[posting.offset, default: 0] += value * posting.value
            }
        }
        for (offset, dot) in dots { hits.append(Hit(source: .compacted(offset), distance: 1 - dot)) }
        for (slot, vector) in tailVectors where tailCandidates.contains(slot) && vector.sharesIndex(with: scaled) {
            hits.append(Hit(source: .tail(slot), distance: 1 - scaled.dot(vector)))
        }
        hits.sort { ($0.distance, SearchKey($0.source)) < ($1.distance, SearchKey($1.source)) }
        return Array(hits.prefix(k))
    }

    /// The tail's live slots within `slots` holding a sparse vector under `key`.
    private func tailSparseVectors(key: String, within slots: RoaringBitmap) throws -> [(UInt32, SparseVector)] {
        guard tail.slots != nil else { return [] }
        var vectors: [(UInt32, SparseVector)] = []
        for slot in slots.array {
            if case .sparseVector(let vector)? = tail[slot].metadata?[key] { vectors.append((slot, vector)) }
        }
        return vectors
    }

    /// BM25's IDF applied to the query: `idf(t) = ln(1 + (N − n_t + 0.5) / (n_t + 0.5))` in f32, N the records in
    /// the collection, n_t those whose vector under the key holds t (Chroma's `idf.rs`).
    private func idfScaled(
        _ query: SparseVector, postings: SparsePostings, tailVectors: [(UInt32, SparseVector)]
    ) -> SparseVector {
        let total = Float(count)
        var documents: [UInt32: Int] = [:]
        for index in query.indices {
            let compacted = postings.postings[index] ?? []
            documents[index] =
                tail.masked.isEmpty ? compacted.count : compacted.count { !tail.masked.contains($0.offset) }
        }
        for (_, vector) in tailVectors {
            for index in query.indices where vector.indices.binarySearchContains(index) {
                documents[index, default: 0] += 1
            }
        }
        return query.scaled { index in
            let n = Float(documents[index] ?? 0)
            return log1pf((total - n + 0.5) / (n + 0.5))
        }
    }
}

extension SparseVector {
    /// Whether the two vectors share an index.
    func sharesIndex(with other: SparseVector) -> Bool {
        var (i, j) = (0, 0)
        while i < indices.count, j < other.indices.count {
            if indices[i] == other.indices[j] { return true }
            if indices[i] < other.indices[j] { i += 1 } else { j += 1 }
        }
        return false
    }
}

extension Array where Element == UInt32 {
    /// Whether the ascending array holds `value`.
    func binarySearchContains(_ value: UInt32) -> Bool {
        var (low, high) = (0, count)
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < count && self[low] == value
    }
}
