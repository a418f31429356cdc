// Reads of one collection state (a version snapshot plus the materialized log tail): get, query and count. The
// compacted segments answer through their indexes, the tail through its own (TailIndex: an in-memory HNSW over the
// slots it has indexed, exact comparison for the newest few, filter matches kept per filter); the two are merged
// with the tail's changes hiding the segments' stale copies.
import Bitmaps
import Blockfile
import CairnModel
import Segments
import Spann
import VectorIndex

struct CollectionReader: Sendable {
    let snapshot: VersionSnapshot
    let tail: TailView
    /// The collection's embedding dimension (nil before the first write).
    let dimension: Int?
    let provider: HnswIndexProvider
    let space: DistanceSpace
    /// HNSW's `ef_search` (SPANN's for a SPANN collection): the search width, and what counts as a small candidate
    /// set, compared exactly instead.
    let searchEF: Int
    /// A SPANN collection's parameters (its `search_nprobe` as the configuration says now).
    let spann: SpannParameters?

    init(
        snapshot: VersionSnapshot, tail: TailView, dimension: Int?, provider: HnswIndexProvider,
        configuration: CollectionConfiguration
    ) {
        self.snapshot = snapshot
        self.tail = tail
        self.dimension = dimension
        self.provider = provider
        space = configuration.hnsw.space
        spann = configuration.spann
        searchEF = configuration.spann?.efSearch ?? configuration.hnsw.searchEF
    }

    /// Records in the collection, from counts alone.
    var count: Int { snapshot.live.count - tail.compactedRemoved + tail.created }

    /// Unfiltered searches whose results may hold this many stale or excluded records search a little deeper and
    /// drop them; past it they search within an allowed set.
    static let maxDroppedPerSearch = 1024

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

    /// The live tail slots matching the filters.
    func tailMatches(_ filter: RecordFilter) throws -> RoaringBitmap {
        guard filter.where != nil || filter.whereDocument != nil, let slots = tail.slots else { return tail.live }
        return try slots.matches(filter).intersection(tail.live)
    }

    // MARK: get

    /// One record of a result, from the segments or the tail.
    enum Source {
        case compacted(UInt32)
        /// A tail slot.
        case tail(UInt32)
    }

    /// The records `get` returns, in Chroma's order (insertion order), after `offset`/`limit`.
    func get(ids: [String]?, filter: RecordFilter, limit: Int?, offset: Int) async throws -> [DataRecord] {
        var (universe, tailCandidates) = (compactedUniverse, tail.live)
        if let ids { (universe, tailCandidates) = try await candidates(named: ids) }
        let compacted = try await compactedMatches(filter, within: universe).array
        let fromTail = tail.orderedSlots(within: try tailMatches(filter).intersection(tailCandidates))

        // Merge: updates in place interleave with the compacted records by offset id; created records follow.
        var order: [Source] = []
        order.reserveCapacity(compacted.count + fromTail.count)
        var next = 0
        for slot in fromTail {
            guard let tailOffset = tail[slot].offsetID else {
                while next < compacted.count {
                    order.append(.compacted(compacted[next]))
                    next += 1
                }
                order.append(.tail(slot))
                continue
            }
            while next < compacted.count, compacted[next] < tailOffset {
                order.append(.compacted(compacted[next]))
                next += 1
            }
            order.append(.tail(slot))
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

    /// The current compacted records (offset ids) and live tail slots of the records `ids` names.
    func candidates(named ids: [String]) async throws -> (compacted: RoaringBitmap, tail: RoaringBitmap) {
        let fromSegments = ids.filter { tail.slotOfID[$0] == nil && !tail.deleted.contains($0) }
        let offsets = try await snapshot.records.offsetIDs(for: fromSegments).compactMap { $0 }
        return (
            compactedUniverse.intersection(RoaringBitmap(offsets)), RoaringBitmap(ids.compactMap { tail.slotOfID[$0] })
        )
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
            case .tail(let slot):
                results.append(tail[slot].record)
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
        let k = min(requested, snapshot.live.count + tail.live.count)
        guard k > 0, !queries.isEmpty else { return queries.map { _ in [] } }
        if let ids { return try await query(queries, k: k, restrictedTo: ids, filter: filter) }
        let filtered = filter.where != nil || filter.whereDocument != nil
        let fromTail = filtered ? try tailMatches(filter) : tail.live
        if let coverage = tail.coverage {
            // One search of the tail's graph for the version's records and the tail's.
            let inVersion = try await versionMatches(filter, filtered: filtered)
            let candidates = coverage.slots(matching: filter.cacheKey, inVersion.matches, excluding: inVersion.stale)
                .union(fromTail)
            return try queries.map { query in
                try tailNeighbors(query, k: k, candidates: candidates).map { hit in
                    guard case .tail(let slot) = hit.source, !fromTail.contains(slot),
                        let offsetID = coverage.offsetID(ofSlot: slot)
                    else { return hit }
                    return Hit(source: .compacted(offsetID), distance: hit.distance)
                }
            }
        }
        let compacted = try await compactedCandidates(filter, filtered: filtered, k: k)

        var index: HNSWIndex?
        var flat: FlatVectors?
        var spannIndex: SpannIndex?
        var exact: (vectors: [Float], sources: [Source])?
        if snapshot.segments.holdsSpann, spann == nil {
            throw CairnError(
                .corrupt,
                "version \(snapshot.version) holds a SPANN index but the collection has no spann configuration")
        }
        if snapshot.segments.holdsSpann, !compacted.matches.isEmpty, let spann, let dimension {
            // A small set (a selective filter) is compared exactly from the records: probing postings for it could
            // read every one.
            if compacted.matches.count <= 2 * max(searchEF, k) {
                exact = try await storedVectors(compacted.matches.array, dimension: dimension)
            } else {
                spannIndex = try await snapshot.spannIndex(provider: provider, parameters: spann, dimension: dimension)
            }
        } else if let location = snapshot.hnsw, !compacted.matches.isEmpty {
            do {
                index = try await provider.get(location)
            } catch {
                throw CairnError(.storage, "loading the HNSW index \(location.indexID): \(error.message)")
            }
        } else if snapshot.segments.vectorsInRecords, !compacted.matches.isEmpty, let dimension {
            flat = try await snapshot.flatVectors(provider: provider, dimension: dimension, space: space)
        }
        var results: [[Hit]] = []
        results.reserveCapacity(queries.count)
        for query in queries {
            var hits: [Hit] = []
            if let index {
                hits = try search(index, query, k: k, allowed: compacted.allowed, excluding: compacted.stale)
                    .map { Hit(source: .compacted($0.id), distance: $0.distance) }
            } else if let flat {
                hits = try search(flat, query, k: k, among: compacted.matches)
                    .map { Hit(source: .compacted($0.id), distance: $0.distance) }
            } else if let spannIndex {
                hits = try await search(spannIndex, query, k: k, allowed: compacted.allowed, excluding: compacted.stale)
                    .map { Hit(source: .compacted($0.id), distance: $0.distance) }
            } else if let exact {
                hits = try compare(query, k: k, vectors: exact.vectors, sources: exact.sources)
            }
            if !fromTail.isEmpty {
                hits += try tailNeighbors(query, k: k, candidates: fromTail, ceiling: Self.kthDistance(hits, k: k))
                hits.sort { $0.distance < $1.distance }
                if hits.count > k { hits.removeLast(hits.count - k) }
            }
            results.append(hits)
        }
        return results
    }

    /// The compacted records matching the filter in the version (kept per snapshot and filter: the same filter over
    /// the same version has the same answer, whatever the tail does), and those of them the tail made stale.
    private func versionMatches(_ filter: RecordFilter, filtered: Bool) async throws -> (
        matches: RoaringBitmap, allowed: AllowedSet?, stale: RoaringBitmap
    ) {
        let entry: FilterCache.Entry
        if let cached = snapshot.filters.entry(filter.cacheKey) {
            entry = cached
        } else {
            let matches = filtered ? try await compactedMatches(filter, within: snapshot.live) : snapshot.live
            let allowed =
                filtered && matches.count < snapshot.live.count ? try AllowedSet(sortedUnique: matches.array) : nil
            entry = FilterCache.Entry(matches: matches, allowed: allowed)
            snapshot.filters.insert(filter.cacheKey, entry)
        }
        let stale = tail.masked.isEmpty ? RoaringBitmap() : entry.matches.intersection(tail.masked)
        return (entry.matches, entry.allowed, stale)
    }

    /// What a query searches among the compacted records: those matching the filter and still current, the allowed
    /// set for a filtered or an exact search, and the matching records the tail made stale (searched past, dropped).
    private func compactedCandidates(_ filter: RecordFilter, filtered: Bool, k: Int) async throws
        -> (matches: RoaringBitmap, allowed: AllowedSet?, stale: RoaringBitmap)
    {
        var (matches, allowed, stale) = try await versionMatches(filter, filtered: filtered)
        if !stale.isEmpty { matches = matches.subtracting(stale) }
        // Small sets are searched exactly (the planner picks brute force), and so are sets with too many stale
        // copies to search past: an allowed set of the current ones.
        if stale.count > Self.maxDroppedPerSearch
            || (matches.count <= 2 * max(searchEF, k) && (allowed == nil || !stale.isEmpty))
        {
            allowed = try AllowedSet(sortedUnique: matches.array)
            stale = RoaringBitmap()
        }
        return (matches, allowed, stale)
    }

    /// The `k` nearest in `index` among `allowed` (all when nil), none of `excluding` (searched past and dropped).
    private func search(
        _ index: HNSWIndex, _ query: [Float], k: Int, allowed: AllowedSet?, excluding: RoaringBitmap
    ) throws -> [Neighbor] {
        do {
            let extra = excluding.count
            let found: [Neighbor]
            if let allowed {
                found = try index.search(query, k: k + extra, allowed: allowed, ef: max(searchEF, k + extra)).neighbors
            } else {
                found = try index.search(query, k: k + extra, ef: max(searchEF, k + extra))
            }
            return Array((extra == 0 ? found : found.filter { !excluding.contains($0.id) }).prefix(k))
        } catch {
            throw CairnError(.internal, "searching the HNSW index: \(error.message)")
        }
    }

    /// The `k` nearest in a SPANN index among `allowed` (all when nil), none of `excluding`: the filter applies
    /// inside the probed postings.
    private func search(
        _ index: SpannIndex, _ query: [Float], k: Int, allowed: AllowedSet?, excluding: RoaringBitmap
    ) async throws -> [Neighbor] {
        let isCandidate: (@Sendable (UInt32) -> Bool)?
        if let allowed {
            isCandidate = { allowed.contains($0) }
        } else if !excluding.isEmpty {
            isCandidate = { !excluding.contains($0) }
        } else {
            isCandidate = nil
        }
        do {
            return try await index.search(
                query, k: k, nprobe: spann?.searchNprobe, isCandidate: isCandidate)
        } catch let error as SpannError {
            throw CairnError(
                error.code == .invalidArgument ? .internal : error.code == .corrupt ? .corrupt : .storage,
                "searching the SPANN index: \(error)")
        }
    }

    /// The stored vectors of compacted records (offset ids), to compare exactly.
    private func storedVectors(_ offsets: [UInt32], dimension: Int) async throws -> (
        vectors: [Float], sources: [Source]
    ) {
        let records = try await records(for: offsets.map { Source.compacted($0) })
        var vectors: [Float] = []
        vectors.reserveCapacity(offsets.count * dimension)
        var sources: [Source] = []
        for (offset, record) in zip(offsets, records) {
            guard let embedding = record.embedding, embedding.count == dimension else { continue }
            vectors += embedding
            sources.append(.compacted(offset))
        }
        return (vectors, sources)
    }

    /// The `k` nearest of `vectors` (row `i` is `sources[i]`), compared exactly.
    private func compare(_ query: [Float], k: Int, vectors: [Float], sources: [Source]) throws -> [Hit] {
        guard !sources.isEmpty else { return [] }
        let dimension = dimension ?? tail.dimension
        let neighbors: [Neighbor]
        do throws(VectorIndexError) {
            neighbors = try BruteForce.search(
                query: query, vectors: vectors, ids: sources.indices.map { UInt32($0) }, dimension: dimension,
                space: space, k: k)
        } catch {
            throw CairnError(.internal, "comparing stored vectors: \(error.message)")
        }
        return neighbors.map { Hit(source: sources[Int($0.id)], distance: $0.distance) }
    }

    /// The `k` nearest among `matches` in a version whose vectors are its records' (every one compared).
    private func search(_ flat: FlatVectors, _ query: [Float], k: Int, among matches: RoaringBitmap) throws
        -> [Neighbor]
    {
        do {
            return matches.count == flat.count
                ? try flat.search(query, k: k) : try flat.search(query, k: k) { matches.contains($0) }
        } catch {
            throw CairnError(.internal, "searching the collection's vectors: \(error.message)")
        }
    }

    /// A query among the records `ids` names: their few candidates are compared exactly (brute force over the
    /// stored vectors), as a filter down to those records would be.
    private func query(_ queries: [[Float]], k: Int, restrictedTo ids: [String], filter: RecordFilter) async throws
        -> [[Hit]]
    {
        let fromSegments = ids.filter { tail.slotOfID[$0] == nil && !tail.deleted.contains($0) }
        let offsets = try await snapshot.records.offsetIDs(for: fromSegments).compactMap { $0 }
        let compacted = try await compactedMatches(
            filter, within: compactedUniverse.intersection(RoaringBitmap(offsets))
        )
        .array
        let fromTail = try tailMatches(filter).intersection(RoaringBitmap(ids.compactMap { tail.slotOfID[$0] }))
        let dimension = dimension ?? tail.dimension
        var (vectors, sources) = try await storedVectors(compacted, dimension: dimension)
        if let slots = tail.slots, slots.dimension == dimension, !fromTail.isEmpty {
            let tailSlots = fromTail.array
            vectors += slots.vectors(tailSlots)
            sources += tailSlots.map { .tail($0) }
        }
        return try queries.map { try compare($0, k: k, vectors: vectors, sources: sources) }
    }

    /// The `k`-th smallest distance of `hits` (infinity when fewer): a record farther than that is not wanted.
    private static func kthDistance(_ hits: [Hit], k: Int) -> Float {
        hits.count < k ? .infinity : hits.map(\.distance).sorted()[k - 1]
    }

    /// The `k` nearest tail records among `candidates` (live slots): the tail index for the slots it holds, exact
    /// comparison for those written since (past records no nearer than `ceiling`: `k` nearer ones are known).
    private func tailNeighbors(_ query: [Float], k: Int, candidates: RoaringBitmap, ceiling: Float = .infinity)
        throws -> [Hit]
    {
        guard let slots = tail.slots else { return [] }
        var hits: [Hit] = []
        var exact = candidates
        tail.index?.noteRead()
        let indexed = tail.index?.indexed ?? 0
        if let tailIndex = tail.index, indexed > 0 {
            var indexedRange = RoaringBitmap()
            indexedRange.insert(range: 0..<UInt32(indexed))
            let inIndex = candidates.intersection(indexedRange)
            exact = candidates.subtracting(indexedRange)
            if !inIndex.isEmpty {
                // Slots the index holds that are not candidates (replaced, deleted or filtered out) are searched
                // past and dropped while few, excluded by an allowed set otherwise.
                let excluded = indexed - inIndex.count
                let wanted = min(k, inIndex.count)
                var found: [Neighbor] = []
                if excluded <= Self.maxDroppedPerSearch {
                    let dropped = excluded > 0 ? indexedRange.subtracting(inIndex) : RoaringBitmap()
                    found = try search(tailIndex.index, query, k: wanted, allowed: nil, excluding: dropped)
                        .filter { inIndex.contains($0.id) }
                }
                // (The index may briefly hold a batch beyond `indexed`: a short answer is searched again exactly.)
                if found.count < wanted {
                    let allowed = try AllowedSet(sortedUnique: inIndex.array)
                    found = try search(tailIndex.index, query, k: wanted, allowed: allowed, excluding: RoaringBitmap())
                }
                hits = found.map { Hit(source: .tail($0.id), distance: $0.distance) }
            }
        }
        guard !exact.isEmpty else { return hits }
        let neighbors: [Neighbor]
        do {
            // Compared where the slots hold them: no copy of the vectors per query.
            neighbors = try withExtendedLifetime(slots) { () throws(VectorIndexError) in
                // A large set (right after a bulk load, before the tail index catches up) is compared by its int8
                // codes first, then its best rows exactly.
                if exact.count >= BruteForce.quantizedScanMinimum {
                    return try BruteForce.searchQuantized(
                        query: query, dimension: slots.dimension, space: space, k: k, sketch: slots.sketch,
                        ceiling: min(ceiling, Self.kthDistance(hits, k: k)),
                        forEachRun: { slots.forEachQuantizedRun(exact, $0) }, vector: slots.vector)
                }
                return try BruteForce.search(query: query, dimension: slots.dimension, space: space, k: k) { row in
                    slots.forEachVector(exact.array, row)
                }
            }
        } catch {
            throw CairnError(.internal, "searching the log tail: \(error.message)")
        }
        return hits + neighbors.map { Hit(source: .tail($0.id), distance: $0.distance) }
    }
}

/// The `where` and `where_document` of a call, validated when made (a bad filter fails before anything is read).
struct RecordFilter: Sendable {
    let `where`: Where?
    let whereDocument: WhereDocument?

    /// A filter as a call gives it, checked against the collection's schema (conditions on an index the schema
    /// turned off are refused, as Chroma refuses them).
    init(where filter: Where?, whereDocument: WhereDocument?, configuration: CollectionConfiguration) throws {
        do {
            try filter?.validate()
            try whereDocument?.validate()
            try configuration.checkFilterable(where: filter, whereDocument: whereDocument)
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
