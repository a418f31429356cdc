// Reads of one collection state (a version snapshot plus the materialized log tail): get, query and count. The
// compacted segments answer through their indexes; the tail is searched by brute force; the two are merged with
// the tail's changes hiding the segments' stale copies.
import Bitmaps
import Blockfile
import Segments
import VectorIndex

struct CollectionReader: Sendable {
    let snapshot: VersionSnapshot
    let tail: TailView
    /// The collection's embedding dimension (nil before the first write).
    let dimension: Int?
    let provider: HnswIndexProvider
    let space: DistanceSpace
    let searchEF: Int

    /// Records in the collection, from counts alone.
    var count: Int { snapshot.live.count - tail.compactedRemoved + tail.created }

    /// Offset ids of the compacted records that are still current.
    var compactedUniverse: RoaringBitmap {
        tail.masked.isEmpty ? snapshot.live : snapshot.live.subtracting(tail.masked)
    }

    // MARK: Filters

    /// The compacted records (offset ids) matching the filters, within `universe`.
    func compactedMatches(_ filter: RecordFilter, within universe: RoaringBitmap) async throws -> RoaringBitmap {
        guard filter.where != nil || filter.whereDocument != nil else { return universe }
        return try await snapshot.metadata.filter(
            where: filter.where, whereDocument: filter.whereDocument, universe: universe,
            verifier: RecordSegmentVerifier(records: snapshot.records))
    }

    /// Positions in `tail.records` of the tail records matching the filters (and `ids`, when given).
    func tailMatches(_ filter: RecordFilter, ids: Set<String>?) throws -> [Int] {
        let document = try filter.compiledDocumentFilter()
        // `#document` conditions inside `where`, compiled once for every record.
        var inWhere: [WhereDocument: CompiledWhereDocument] = [:]
        for condition in filter.where?.documentConditions ?? [] where inWhere[condition] == nil {
            do {
                inWhere[condition] = try condition.compiled()
            } catch {
                throw CairnError.invalid(error.message)
            }
        }
        return tail.records.indices.filter { position in
            let tailRecord = tail.records[position]
            if let ids, !ids.contains(tailRecord.record.id) { return false }
            if let filter = filter.where,
                !filter.matches(
                    tailRecord.metadata,
                    document: { inWhere[$0]?.matches(document: tailRecord.record.document) ?? false })
            {
                return false
            }
            return document?.matches(document: tailRecord.record.document) ?? true
        }
    }

    // MARK: get

    /// One record of a result, from the segments or the tail.
    enum Source {
        case compacted(UInt32)
        case tail(Int)
    }

    /// The records `get` returns, in Chroma's order (insertion order), after `offset`/`limit`.
    func get(ids: [String]?, filter: RecordFilter, limit: Int?, offset: Int) async throws -> [DataRecord] {
        var universe = compactedUniverse
        var idSet: Set<String>?
        if let ids {
            idSet = Set(ids)
            let fromSegments = ids.filter { tail.index[$0] == nil && !tail.deleted.contains($0) }
            let offsets = try await snapshot.records.offsetIDs(for: fromSegments).compactMap { $0 }
            universe = universe.intersection(RoaringBitmap(offsets))
        }
        let compacted = try await compactedMatches(filter, within: universe).array
        let fromTail = try tailMatches(filter, ids: idSet)

        // Merge: updates in place interleave with the compacted records by offset id; created records follow.
        var order: [Source] = []
        order.reserveCapacity(compacted.count + fromTail.count)
        var next = 0
        for position in fromTail {
            guard let tailOffset = tail.records[position].offsetID else {
                while next < compacted.count {
                    order.append(.compacted(compacted[next]))
                    next += 1
                }
                order.append(.tail(position))
                continue
            }
            while next < compacted.count, compacted[next] < tailOffset {
                order.append(.compacted(compacted[next]))
                next += 1
            }
            order.append(.tail(position))
        }
        while next < compacted.count {
            order.append(.compacted(compacted[next]))
            next += 1
        }

        // `offset` and `limit` come from requests and may be anything up to Int.max: compare, never add.
        let start = min(max(offset, 0), order.count)
        let end = limit.map { start + min(max($0, 0), order.count - start) } ?? order.count
        return try await records(for: order[start..<end])
    }

    /// The records for `sources`, fetching compacted ones in one batch.
    func records(for sources: some Swift.Collection<Source>) async throws -> [DataRecord] {
        var offsets: [UInt32] = []
        for case .compacted(let offset) in sources { offsets.append(offset) }
        let fetched = try await snapshot.records.records(offsets)
        var results: [DataRecord] = []
        results.reserveCapacity(sources.count)
        var nextFetched = 0
        for source in sources {
            switch source {
            case .compacted(let offset):
                guard let record = fetched[nextFetched] else {
                    throw CairnError(.corrupt, "record segment lists offset id \(offset) but holds no record for it")
                }
                results.append(record)
                nextFetched += 1
            case .tail(let position):
                results.append(tail.records[position].record)
            }
        }
        return results
    }

    // MARK: query

    /// A nearest neighbour: where it is and how far.
    struct Hit {
        var source: Source
        var distance: Float
    }

    /// The `k` nearest records to each query among those matching the filters, nearest first.
    func query(_ queries: [[Float]], k requested: Int, ids: [String]? = nil, filter: RecordFilter) async throws
        -> [[Hit]]
    {
        // More neighbours than records cannot be found; `requested` comes from a request and may be anything.
        let k = min(requested, snapshot.live.count + tail.records.count)
        guard k > 0, !queries.isEmpty else { return queries.map { _ in [] } }
        if let ids { return try await query(queries, k: k, restrictedTo: ids, filter: filter) }
        let filtered = filter.where != nil || filter.whereDocument != nil
        // The same filter over the same version and tail has the same answer.
        let cacheKey = filtered ? "\(tail.through) \(filter.cacheKey)" : nil
        let cached = cacheKey.flatMap { snapshot.filters.entry($0) }
        let allowedBitmap: RoaringBitmap
        if let cached {
            allowedBitmap = cached.matches
        } else {
            allowedBitmap = filtered ? try await compactedMatches(filter, within: compactedUniverse) : compactedUniverse
        }
        let fromTail = filtered ? try tailMatches(filter, ids: nil) : Array(tail.records.indices)

        var index: HNSWIndex?
        if let location = snapshot.hnsw, !allowedBitmap.isEmpty {
            do {
                index = try await provider.get(location)
            } catch {
                throw CairnError(.storage, "loading the HNSW index \(location.indexID): \(error.message)")
            }
        }
        // Small sets are searched exactly (the planner picks brute force); unfiltered searches with a few stale
        // copies search a little deeper and drop them, rather than build an allowed set of every live record.
        let exact = allowedBitmap.count <= 2 * max(searchEF, k)
        let needsAllowed = exact || filtered || tail.masked.count > 1024
        let allowed: AllowedSet? =
            try cached?.allowed
            ?? (needsAllowed && (exact || allowedBitmap.count < snapshot.live.count)
                ? AllowedSet(sortedUnique: allowedBitmap.array) : nil)
        if let cacheKey, cached == nil {
            snapshot.filters.insert(cacheKey, FilterCache.Entry(matches: allowedBitmap, allowed: allowed))
        }

        var results: [[Hit]] = []
        results.reserveCapacity(queries.count)
        for query in queries {
            var hits: [Hit] = []
            if let index {
                let neighbors: [Neighbor]
                do {
                    if let allowed {
                        neighbors = try index.search(query, k: k, allowed: allowed, ef: max(searchEF, k)).neighbors
                    } else {
                        let extra = tail.masked.count
                        let found = try index.search(query, k: k + extra, ef: max(searchEF, k + extra))
                        neighbors = extra == 0 ? found : found.filter { !tail.masked.contains($0.id) }
                    }
                } catch {
                    throw CairnError(.internal, "searching the HNSW index: \(error.message)")
                }
                hits = neighbors.prefix(k).map { Hit(source: .compacted($0.id), distance: $0.distance) }
            }
            if !fromTail.isEmpty {
                hits += try tailNeighbors(query, k: k, positions: fromTail)
                hits.sort { $0.distance < $1.distance }
                if hits.count > k { hits.removeLast(hits.count - k) }
            }
            results.append(hits)
        }
        return results
    }

    /// A query among the records `ids` names: their few candidates are compared exactly (brute force over the
    /// stored vectors), as a filter down to those records would be.
    private func query(_ queries: [[Float]], k: Int, restrictedTo ids: [String], filter: RecordFilter) async throws
        -> [[Hit]]
    {
        let idSet = Set(ids)
        let fromSegments = ids.filter { tail.index[$0] == nil && !tail.deleted.contains($0) }
        let offsets = try await snapshot.records.offsetIDs(for: fromSegments).compactMap { $0 }
        let compacted = try await compactedMatches(
            filter, within: compactedUniverse.intersection(RoaringBitmap(offsets))
        )
        .array
        let fromTail = try tailMatches(filter, ids: idSet)
        let records = try await records(for: compacted.map { Source.compacted($0) })
        let dimension = dimension ?? tail.dimension
        var vectors: [Float] = []
        var sources: [Source] = []
        for (offset, record) in zip(compacted, records) {
            guard let embedding = record.embedding, embedding.count == dimension else { continue }
            vectors += embedding
            sources.append(.compacted(offset))
        }
        for position in fromTail where tail.dimension == dimension {
            vectors += tail.vectors[(position * dimension)..<((position + 1) * dimension)]
            sources.append(.tail(position))
        }
        return try queries.map { query in
            guard !sources.isEmpty else { return [] }
            let neighbors: [Neighbor]
            do throws(VectorIndexError) {
                neighbors = try BruteForce.search(
                    query: query, vectors: vectors, ids: sources.indices.map { UInt32($0) }, dimension: dimension,
                    space: space, k: k)
            } catch {
                throw CairnError(.internal, "searching the records named by ids: \(error.message)")
            }
            return neighbors.map { Hit(source: sources[Int($0.id)], distance: $0.distance) }
        }
    }

    private func tailNeighbors(_ query: [Float], k: Int, positions: [Int]) throws -> [Hit] {
        let dimension = tail.dimension
        var vectors: [Float]
        if positions.count == tail.records.count {
            vectors = tail.vectors
        } else {
            vectors = []
            vectors.reserveCapacity(positions.count * dimension)
            for position in positions {
                vectors.append(contentsOf: tail.vectors[(position * dimension)..<((position + 1) * dimension)])
            }
        }
        let neighbors: [Neighbor]
        do {
            neighbors = try BruteForce.search(
                query: query, vectors: vectors, ids: positions.map { UInt32($0) }, dimension: dimension, space: space,
                k: k)
        } catch {
            throw CairnError(.internal, "searching the log tail: \(error.message)")
        }
        return neighbors.map { Hit(source: .tail(Int($0.id)), distance: $0.distance) }
    }
}

/// The `where` and `where_document` of a call, validated when made (a bad filter fails before anything is read).
struct RecordFilter: Sendable {
    let `where`: Where?
    let whereDocument: WhereDocument?

    init(where filter: Where?, whereDocument: WhereDocument?) throws {
        do {
            try filter?.validate()
            try whereDocument?.validate()
        } catch {
            throw CairnError.invalid(error.message)
        }
        self.where = filter
        self.whereDocument = whereDocument
    }

    /// The filter as text, to key cached results by.
    var cacheKey: String {
        (self.where?.json.jsonText ?? "-") + " " + (whereDocument?.json.jsonText ?? "-")
    }

    /// The document filter with its regular expressions compiled (once per call: compiled ones are not Sendable).
    func compiledDocumentFilter() throws -> CompiledWhereDocument? {
        do {
            return try whereDocument?.compiled()
        } catch {
            throw CairnError.invalid(error.message)
        }
    }
}
