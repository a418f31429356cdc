// Sparse `$knn` (issue 21): records ranked by `1 − q·d` over the sparse vectors under one metadata key, with BM25's
// IDF applied to the query at query time when the key's index says so (docs/search-reference.md §2.2, §6). Exact:
// every live record holding a vector under the key that shares an index with the query is scored. The compacted
// records' postings come from the metadata segment's sparse index (only the query's dimensions are read); the
// tail's vectors from its slots.
import Bitmaps
import Blockfile
import CairnModel
import Foundation
import Segments
import Synchronization

/// A version's postings for the dimensions sparse queries asked for: read from the metadata segment's sparse
/// index (decision 0022), or — for a version written before the collection had one — gathered once from every
/// record's metadata. Kept while the version is read, up to `maxPostings` (then dropped and read again).
final class SparsePostingsCache: Sendable {
    static let maxPostings = 4_000_000
    /// Records read per batch while gathering from the records.
    static let batch = 4096

    private struct State {
        var lists: [UInt32: SparseTopK.Prepared] = [:]
        var postings = 0
        /// Every dimension of the version, gathered from the records (no sparse index), by metadata key.
        var gathered: [String: [UInt32: SparseTopK.Prepared]] = [:]
    }

    private let state = Mutex(State())

    /// The posting lists of `dimensions` (dimensions no record holds are absent).
    func lists(_ snapshot: VersionSnapshot, key: String, dimensions: [UInt32]) async throws
        -> [UInt32: SparseTopK.Prepared]
    {
        guard let index = snapshot.metadata.sparse else {
            let all = try await gathered(snapshot, key: key)
            return all.filter { dimensions.contains($0.key) }
        }
        var found: [UInt32: SparseTopK.Prepared] = [:]
        var missing: [UInt32] = []
        state.withLock { state in
            for dimension in dimensions {
                if let list = state.lists[dimension] { found[dimension] = list } else { missing.append(dimension) }
            }
        }
        for dimension in missing {
            let list = SparseTopK.Prepared(try await index.postingList(dimension))
            found[dimension] = list
            state.withLock { state in
                let size = list.list.offsets.count
                if state.postings + size > Self.maxPostings { (state.lists, state.postings) = ([:], 0) }
                state.lists[dimension] = list
                state.postings += size
            }
        }
        return found.filter { !$0.value.list.offsets.isEmpty }
    }

    /// How many records of the version hold each of `dimensions` (for IDF).
    func counts(_ snapshot: VersionSnapshot, key: String, dimensions: [UInt32]) async throws -> [UInt32: Int] {
        guard let index = snapshot.metadata.sparse else {
            let all = try await gathered(snapshot, key: key)
            return Dictionary(uniqueKeysWithValues: dimensions.map { ($0, all[$0]?.list.offsets.count ?? 0) })
        }
        let terms = try await index.terms(dimensions)
        return Dictionary(uniqueKeysWithValues: zip(dimensions, terms.map { $0?.count ?? 0 }))
    }

    private func gathered(_ snapshot: VersionSnapshot, key: String) async throws -> [UInt32: SparseTopK.Prepared] {
        if let built = state.withLock({ $0.gathered[key] }) { return built }
        var lists: [UInt32: SparsePostingList] = [:]
        let offsets = snapshot.live.array
        for start in stride(from: 0, to: offsets.count, by: Self.batch) {
            let chunk = Array(offsets[start..<min(offsets.count, start + Self.batch)])
            for (offset, record) in zip(chunk, try await snapshot.records.records(chunk)) {
                guard let vector = try record.map({ try Self.sparseVector(of: $0, key: key) }) ?? nil else { continue }
                for (index, value) in zip(vector.indices, vector.values) {
                    lists[index, default: SparsePostingList()].offsets.append(offset)
                    lists[index, default: SparsePostingList()].values.append(value)
                }
            }
        }
        let prepared = lists.mapValues(SparseTopK.Prepared.init)
        state.withLock { $0.gathered[key] = prepared }
        return prepared
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

extension CollectionReader {
    /// The `k` best records for the sparse query `query` under `key` among those matching `filter` (and `ids`),
    /// best first: measure `1 − q·d` (IDF-scaled `q` with `bm25`), ties in insertion order. Only records sharing an
    /// index with the query are candidates.
    func sparseQuery(
        _ query: SparseVector, key: String, bm25: Bool, k: Int, ids: [String]?, filter: RecordFilter
    ) async throws -> [Hit] {
        guard k > 0, !query.isEmpty else { return [] }
        let cache = snapshot.sparsePostings
        let lists = try await cache.lists(snapshot, key: key, dimensions: query.indices)
        let tailVectors = try tailSparseVectors(key: key, within: tail.live)
        var scaled = query
        if bm25 {
            let counts = try await cache.counts(snapshot, key: key, dimensions: query.indices)
            scaled = try await idfScaled(query, compactedCounts: counts, lists: lists, tailVectors: tailVectors)
        }

        // Candidates: the compacted records still current, and the tail's live slots, that match.
        var universe = compactedUniverse
        var tailCandidates = try tailMatches(filter)
        if let ids {
            let named = try await candidates(named: ids)
            universe = named.compacted
            tailCandidates = tailCandidates.intersection(named.tail)
        }
        let matches = try await compactedMatches(filter, within: universe)

        // The compacted records' best k (MaxScore with block bounds: most postings are skipped), their dots then
        // summed again in dimension order, as an exhaustive scan sums them.
        let terms = zip(scaled.indices, scaled.values).compactMap { index, weight in
            lists[index].map { SparseTopK.Term(weight: weight, postings: $0) }
        }
        var hits: [Hit] = SparseTopK.top(terms, k: k) { matches.contains($0) }.map { found in
            var dot: Float = 0
            for (index, weight) in zip(scaled.indices, scaled.values) {
                guard let list = lists[index]?.list else { continue }
                if let position = SparseTopK.position(of: found.offset, in: list.offsets) {
                    dot += weight * list.values[position]
                }
            }
            return Hit(source: .compacted(found.offset), distance: 1 - dot)
        }
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
        _ query: SparseVector, compactedCounts: [UInt32: Int], lists: [UInt32: SparseTopK.Prepared],
        tailVectors: [(UInt32, SparseVector)]
    ) async throws -> SparseVector {
        let total = Float(count)
        var documents: [UInt32: Int] = [:]
        for index in query.indices {
            // Compacted records the tail replaced or deleted no longer count.
            let stale = tail.masked.isEmpty ? 0 : (lists[index]?.list.offsets.count { tail.masked.contains($0) } ?? 0)
            documents[index] = (compactedCounts[index] ?? 0) - stale
        }
        for (_, vector) in tailVectors {
            for index in query.indices where SparseTopK.position(of: index, in: vector.indices) != nil {
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
