// One version of a SPANN index (decision 0029): the centroids ("heads") in memory, scanned exactly by a query, the
// current version of every offset id in memory, and the posting lists in two blockfiles on the store, read on
// demand through the block cache. A query reads only the postings of the `nprobe` heads nearest to it. Writes find
// a vector's heads through an HNSW graph over the centroids, built when an update first needs it (an opened index
// serves queries without it).
import Blockfile
import Foundation
import ObjectStore
import VectorIndex

/// The four blockfile versions one SPANN index version is made of (root ids, possibly qualified: a fork's index
/// names its parent's roots), and the vectors' dimension. What a segment file records.
public struct SpannRoots: Sendable, Hashable, Codable {
    /// Head id → [offset id, version, offset id, version, …].
    public var postingIDs: String
    /// Head id → the posting's vectors, row-major, in the order of `postingIDs`.
    public var postingVectors: String
    /// Head id → its centroid.
    public var centroids: String
    /// Offset id → its current version (the high bit set: deleted).
    public var versions: String
    public var dimension: Int
    /// The space the vectors were stored for (cosine ones at unit length): opening with another is an error.
    public var space: DistanceSpace

    public init(
        postingIDs: String, postingVectors: String, centroids: String, versions: String, dimension: Int,
        space: DistanceSpace
    ) {
        self.postingIDs = postingIDs
        self.postingVectors = postingVectors
        self.centroids = centroids
        self.versions = versions
        self.dimension = dimension
        self.space = space
    }
}

/// One posting list: entries `i` are `(ids[i], versions[i])` with vector `vectors[i*d..<(i+1)*d]`.
struct Posting: Sendable {
    var ids: [OffsetID] = []
    var versions: [UInt32] = []
    var vectors: [Float] = []
    var count: Int { ids.count }

    mutating func append(_ id: OffsetID, _ version: UInt32, _ vector: UnsafeBufferPointer<Float>) {
        ids.append(id)
        versions.append(version)
        vectors.append(contentsOf: vector)
    }

    /// The `postingIDs` value: ids and versions interleaved.
    var encodedIDs: [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(ids.count * 2)
        for i in ids.indices {
            result.append(ids[i])
            result.append(versions[i])
        }
        return result
    }

    /// A posting from its two stored values, checked against each other and the dimension.
    init(head: UInt32, ids encoded: [UInt32], vectors: [Float], dimension: Int) throws(SpannError) {
        guard encoded.count % 2 == 0 else {
            throw SpannError(.corrupt, "posting ids hold \(encoded.count) values, not (id, version) pairs", head: head)
        }
        let count = encoded.count / 2
        guard vectors.count == count * dimension else {
            throw SpannError(
                .corrupt, "posting holds \(count) ids but \(vectors.count) floats (dimension \(dimension))",
                head: head)
        }
        ids.reserveCapacity(count)
        versions.reserveCapacity(count)
        for i in 0..<count {
            ids.append(encoded[2 * i])
            versions.append(encoded[2 * i + 1])
        }
        self.vectors = vectors
    }

    init() {}
}

/// What an update did (for tests, logs and metrics).
public struct SpannUpdateStatistics: Sendable, Hashable {
    public var upserted = 0
    public var deleted = 0
    public var splits = 0
    public var merges = 0
    /// Vectors moved to other postings after a split or merge (each counted once per move).
    public var reassigned = 0
    public var postingsWritten = 0
    public var postingsRemoved = 0
    public init() {}
}

public final class SpannIndex: ResidentIndex {
    public let parameters: SpannParameters
    public let dimension: Int
    public let roots: SpannRoots
    let postingIDs: BlockfileReader<[UInt32]>
    let postingVectors: BlockfileReader<[Float]>
    let centroidFile: BlockfileReader<[Float]>
    let versionFile: BlockfileReader<UInt32>
    /// Head id → centroid (unit length for cosine).
    let heads: [UInt32: [Float]]
    /// The centroids as one contiguous matrix, scanned exactly for a query's nearest heads.
    let centroidScan: FlatVectors
    /// HNSW over `heads`, labelled by head id, for writes (never mutated once the index is published); nil for an
    /// opened version until an update builds it.
    let graph: HNSWIndex?
    /// Offset id → current version; `deletedBit` set for a deleted id.
    let versions: VersionTable
    /// What the update that produced this version did (zero for a build or an open).
    public let updateStatistics: SpannUpdateStatistics

    static let deletedBit: UInt32 = 1 << 31
    static let prefix = ""

    init(
        parameters: SpannParameters, dimension: Int, postingIDs: BlockfileReader<[UInt32]>,
        postingVectors: BlockfileReader<[Float]>, centroidFile: BlockfileReader<[Float]>,
        versionFile: BlockfileReader<UInt32>, heads: [UInt32: [Float]], centroidScan: FlatVectors,
        graph: HNSWIndex?, versions: VersionTable, liveCount: Int? = nil,
        updateStatistics: SpannUpdateStatistics = SpannUpdateStatistics()
    ) {
        self.parameters = parameters
        self.dimension = dimension
        self.postingIDs = postingIDs
        self.postingVectors = postingVectors
        self.centroidFile = centroidFile
        self.versionFile = versionFile
        self.heads = heads
        self.graph = graph
        self.centroidScan = centroidScan
        self.versions = versions
        self.updateStatistics = updateStatistics
        self.liveCount = liveCount ?? versions.count { $0 & Self.deletedBit == 0 }
        roots = SpannRoots(
            postingIDs: postingIDs.root.rootID, postingVectors: postingVectors.root.rootID,
            centroids: centroidFile.root.rootID, versions: versionFile.root.rootID, dimension: dimension,
            space: parameters.space)
    }

    /// A version over these files and heads, its centroids laid out for the query scan.
    static func assemble(
        parameters: SpannParameters, dimension: Int, postingIDs: BlockfileReader<[UInt32]>,
        postingVectors: BlockfileReader<[Float]>, centroidFile: BlockfileReader<[Float]>,
        versionFile: BlockfileReader<UInt32>, heads: [UInt32: [Float]], graph: HNSWIndex?, versions: VersionTable,
        updateStatistics: SpannUpdateStatistics = SpannUpdateStatistics()
    ) throws -> SpannIndex {
        // Stored centroids are already unit length for cosine: scanned in the kernels' space.
        let scan = try FlatVectors(
            dimension: dimension, space: parameters.kernelSpace, rows: heads.map { ($0.key, $0.value) })
        return SpannIndex(
            parameters: parameters, dimension: dimension, postingIDs: postingIDs, postingVectors: postingVectors,
            centroidFile: centroidFile, versionFile: versionFile, heads: heads, centroidScan: scan, graph: graph,
            versions: versions, updateStatistics: updateStatistics)
    }

    /// Heads (posting lists) in this version.
    public var headCount: Int { heads.count }

    /// What it holds in memory: the centroids, their graph and the versions map (the postings stay on the store,
    /// in the block cache).
    public var memoryBytes: Int {
        heads.count * (dimension * MemoryLayout<Float>.stride + 64) + centroidScan.memoryBytes
            + (graph?.memoryBytes ?? 0) + versions.memoryBytes
    }

    /// This version, its postings read and its files forked through `store` (a compaction's, which remembers what
    /// it writes); the centroids, graph and versions are shared, not read again.
    public func reading(through store: any ObjectStore) -> SpannIndex {
        SpannIndex(
            parameters: parameters, dimension: dimension, postingIDs: postingIDs.reading(through: store),
            postingVectors: postingVectors.reading(through: store),
            centroidFile: centroidFile.reading(through: store), versionFile: versionFile.reading(through: store),
            heads: heads, centroidScan: centroidScan, graph: graph, versions: versions, liveCount: liveCount,
            updateStatistics: updateStatistics)
    }

    /// Offset ids present (not deleted).
    public let liveCount: Int
    /// Deleted ids still in the versions file (their entries may still sit in postings until a sweep).
    public var deletedCount: Int { versions.count - liveCount }
    /// Whether `id` is present (not deleted).
    public func contains(_ id: OffsetID) -> Bool { versions[id].map { $0 & Self.deletedBit == 0 } ?? false }
    /// Every blockfile root of this version's four files (for garbage collection and checks).
    public var blockfileRoots: [BlockfileRoot] {
        [postingIDs.root, postingVectors.root, centroidFile.root, versionFile.root]
    }

    var kernelSpace: DistanceSpace { parameters.kernelSpace }

    func stored(_ vector: [Float]) -> [Float] { parameters.stored(vector) }

    func distance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) -> Float {
        DistanceKernels.distance(kernelSpace, a, b, dimension: dimension)
    }

    // MARK: Build

    /// Builds an index of `rows` (offset id, vector) by hierarchical 2-means bisection (clusters of at most
    /// (`merge_threshold` + `split_threshold`) / 2), each vector written to its nearest heads by the replication
    /// rule, and writes it to `location`.
    public static func build(
        rows: [(OffsetID, [Float])], dimension: Int, parameters: SpannParameters, store: any ObjectStore,
        location: BlockfileLocation, cache: BlockCache
    ) async throws -> SpannIndex {
        try parameters.checked()
        guard dimension > 0, dimension <= 65536 else {
            throw SpannError(.invalidArgument, "dimension must be 1...65536; got \(dimension)")
        }
        var seen = Set<OffsetID>()
        var flat: [Float] = []
        flat.reserveCapacity(rows.count * dimension)
        for (id, vector) in rows {
            guard vector.count == dimension else {
                throw SpannError(.invalidArgument, "vector \(id) has \(vector.count) values, expected \(dimension)")
            }
            guard seen.insert(id).inserted else {
                throw SpannError(.invalidArgument, "offset id \(id) appears twice")
            }
            flat += parameters.stored(vector)
        }
        // Clusters of at most (merge + split) / 2 vectors hold about half to all of it: with replicas, postings start
        // between the thresholds, so neither the first writes nor the first deletes split or merge them at once.
        let target = max(2, (parameters.mergeThreshold + parameters.splitThreshold) / 2)
        let clusters = flat.withUnsafeBufferPointer {
            Clustering.bisect(
                $0, count: rows.count, dimension: dimension, target: target, samples: parameters.numSamplesKmeans,
                seed: parameters.seed)
        }
        var heads: [UInt32: [Float]] = [:]
        flat.withUnsafeBufferPointer { rowsBuffer in
            for (i, cluster) in clusters.enumerated() where !cluster.isEmpty {
                heads[UInt32(i)] = parameters.stored(Clustering.mean(rowsBuffer, cluster, dimension))
            }
        }
        let graph = try makeGraph(heads, dimension: dimension, parameters: parameters)
        // Every vector at version 1, in the postings the replication rule picks among its nearest heads.
        var postings: [UInt32: Posting] = [:]
        try flat.withUnsafeBufferPointer { rowsBuffer in
            for (row, (id, _)) in rows.enumerated() {
                let vector = UnsafeBufferPointer(rebasing: rowsBuffer[(row * dimension)..<((row + 1) * dimension)])
                for head in try replicaHeads(
                    vector, graph: graph, heads: heads, parameters: parameters, dimension: dimension)
                {
                    postings[head, default: Posting()].append(id, 1, vector)
                }
            }
        }
        let key = { (head: UInt32) in BlockfileKey(prefix, head) }
        let idsWriter = OrderedBlockfileWriter<[UInt32]>(
            store: store, location: location, keyType: .uint32, cache: cache,
            maxBlockSize: parameters.postingBlockSize)
        let vectorsWriter = OrderedBlockfileWriter<[Float]>(
            store: store, location: location, keyType: .uint32, cache: cache,
            maxBlockSize: parameters.postingBlockSize)
        let centroidsWriter = OrderedBlockfileWriter<[Float]>(
            store: store, location: location, keyType: .uint32, cache: cache)
        let versionsWriter = OrderedBlockfileWriter<UInt32>(
            store: store, location: location, keyType: .uint32, cache: cache)
        for head in heads.keys.sorted() {
            try await centroidsWriter.append(key(head), heads[head]!)
            let posting = postings[head] ?? Posting()
            try await idsWriter.append(key(head), posting.encodedIDs)
            try await vectorsWriter.append(key(head), posting.vectors)
        }
        var versions = VersionTable()
        for id in seen.sorted() {
            try await versionsWriter.append(key(id), 1)
            versions[id] = 1
        }
        async let ids = idsWriter.commit()
        async let vectors = vectorsWriter.commit()
        async let centroids = centroidsWriter.commit()
        async let versionReader = versionsWriter.commit()
        return try SpannIndex.assemble(
            parameters: parameters, dimension: dimension, postingIDs: try await ids,
            postingVectors: try await vectors, centroidFile: try await centroids,
            versionFile: try await versionReader, heads: heads, graph: graph, versions: versions)
    }

    static func makeGraph(_ heads: [UInt32: [Float]], dimension: Int, parameters: SpannParameters) throws
        -> HNSWIndex
    {
        let graph = try HNSWIndex.create(
            dimension: dimension, parameters: parameters.headParameters, capacity: max(heads.count * 2, 16),
            seed: Int(parameters.seed % 1_000_000))
        let ids = heads.keys.sorted()
        var flat: [Float] = []
        flat.reserveCapacity(ids.count * dimension)
        for id in ids { flat += heads[id]! }
        try graph.add(flat: flat, ids: ids)
        return graph
    }

    /// The heads a vector is written to: among its `write_nprobe` nearest, in order, each head within
    /// (1 + write_rng_epsilon) × the nearest's distance that no already chosen head is nearer to (scaled by
    /// write_rng_factor) than the vector is — the relative-neighbourhood rule of SPANN — up to `nreplica_count`.
    static func replicaHeads(
        _ vector: UnsafeBufferPointer<Float>, graph: HNSWIndex, heads: [UInt32: [Float]],
        parameters: SpannParameters, dimension: Int
    ) throws -> [UInt32] {
        let live = heads.count
        guard live > 0 else { return [] }
        let candidates = try graph.search(
            Array(vector), k: min(parameters.writeNprobe, live), ef: max(parameters.efSearch, parameters.writeNprobe))
        let space = parameters.kernelSpace
        var chosen: [UInt32] = []
        guard let nearest = candidates.first else { return [] }
        // HNSW reports cosine distance itself: recompute in the kernel space, as postings compare.
        func distanceTo(_ head: UInt32) -> Float {
            heads[head]!.withUnsafeBufferPointer {
                DistanceKernels.distance(space, vector.baseAddress!, $0.baseAddress!, dimension: dimension)
            }
        }
        let nearestDistance = distanceTo(nearest.id)
        for candidate in candidates {
            guard heads[candidate.id] != nil else { continue }
            if chosen.count >= parameters.nreplicaCount { break }
            let d = distanceTo(candidate.id)
            if abs(d - nearestDistance) > abs(nearestDistance) * parameters.writeRngEpsilon { break }
            let blocked = chosen.contains { other in
                heads[other]!.withUnsafeBufferPointer { a in
                    heads[candidate.id]!.withUnsafeBufferPointer { b in
                        parameters.writeRngFactor
                            * DistanceKernels.distance(space, a.baseAddress!, b.baseAddress!, dimension: dimension) <= d
                    }
                }
            }
            if !blocked { chosen.append(candidate.id) }
        }
        return chosen
    }

    // MARK: Open

    /// Opens the version `roots` names: reads the centroids and versions whole and leaves the postings on the
    /// store. The centroid graph waits for an update to need it (building it at open would cost seconds at a
    /// million vectors, where a query's exact scan of the centroids costs a millisecond).
    public static func open(
        roots: SpannRoots, parameters: SpannParameters, store: any ObjectStore, location: BlockfileLocation,
        cache: BlockCache
    ) async throws -> SpannIndex {
        try parameters.checked()
        guard roots.space == parameters.space else {
            throw SpannError(
                .invalidArgument,
                "the index was built for the \(roots.space.rawValue) space, not \(parameters.space.rawValue)")
        }
        guard roots.dimension > 0, roots.dimension <= 65536 else {
            throw SpannError(.invalidArgument, "dimension must be 1...65536; got \(roots.dimension)")
        }
        func openFile<V: BlockfileValue>(_ rootID: String, _: V.Type, _ name: String) async throws
            -> BlockfileReader<V>
        {
            do {
                return try await BlockfileReader<V>.open(store: store, location: location, rootID: rootID, cache: cache)
            } catch let error as BlockfileError {
                throw SpannError(error.code == .notFound ? .notFound : .corrupt, "\(name) file: \(error)")
            }
        }
        // The four roots at once, then the centroids' and versions' blocks all at once: a cold open from a distant
        // bucket costs two or three round trips, not one per object.
        async let openedIDs = openFile(roots.postingIDs, [UInt32].self, "posting ids")
        async let openedVectors = openFile(roots.postingVectors, [Float].self, "posting vectors")
        async let openedCentroids = openFile(roots.centroids, [Float].self, "centroids")
        async let openedVersions = openFile(roots.versions, UInt32.self, "versions")
        let (ids, vectors, centroidFile, versionFile) = try await (
            openedIDs, openedVectors, openedCentroids, openedVersions
        )
        var heads: [UInt32: [Float]] = [:]
        var versions = VersionTable()
        do {
            async let centroidBlocks: Void = centroidFile.prefetchAll()
            async let versionBlocks: Void = versionFile.prefetchAll()
            _ = try await (centroidBlocks, versionBlocks)
            for try await batch in centroidFile.scan().batches() {
                for i in 0..<batch.count {
                    guard case .uint32(let head) = batch.keys[i].key, batch.values[i].count == roots.dimension else {
                        throw SpannError(
                            .corrupt, "centroid \(batch.keys[i]) is not \(roots.dimension) floats under a uint32 key")
                    }
                    heads[head] = batch.values[i]
                }
            }
            for try await batch in versionFile.scan().batches() {
                for i in 0..<batch.count {
                    guard case .uint32(let id) = batch.keys[i].key else {
                        throw SpannError(.corrupt, "version key \(batch.keys[i]) is not a uint32 offset id")
                    }
                    versions[id] = batch.values[i]
                }
            }
        } catch let error as BlockfileError {
            throw SpannError(error.code == .notFound ? .notFound : .corrupt, "reading centroids or versions: \(error)")
        }
        return try SpannIndex.assemble(
            parameters: parameters, dimension: roots.dimension, postingIDs: ids, postingVectors: vectors,
            centroidFile: centroidFile, versionFile: versionFile, heads: heads, graph: nil, versions: versions)
    }

    // MARK: Postings

    /// The posting of `head` as stored (stale entries included); an error names the head.
    func posting(_ head: UInt32) async throws -> Posting {
        let key = BlockfileKey(Self.prefix, head)
        let ids: [UInt32]?
        let vectors: [Float]?
        do {
            async let i = postingIDs.get(key)
            async let v = postingVectors.get(key)
            (ids, vectors) = (try await i, try await v)
        } catch let error as BlockfileError {
            throw SpannError(
                error.code == .notFound ? .notFound : (error.code == .storage ? .storage : .corrupt), "\(error)",
                head: head)
        }
        guard let ids, let vectors else {
            throw SpannError(.notFound, "the posting files hold no entry for this head", head: head)
        }
        return try Posting(head: head, ids: ids, vectors: vectors, dimension: dimension)
    }

    /// The postings of `heads`, as stored. Batch gets answer cached blocks inline and fetch the others in
    /// parallel; when one fails, the heads are read one by one so that the error names the posting.
    func postings(_ heads: [UInt32]) async throws -> [Posting] {
        let keys = heads.map { BlockfileKey(Self.prefix, $0) }
        let ids: [[UInt32]?]
        let vectors: [[Float]?]
        do {
            async let i = postingIDs.get(keys)
            async let v = postingVectors.get(keys)
            (ids, vectors) = (try await i, try await v)
        } catch is BlockfileError {
            var all: [Posting] = []
            for head in heads { all.append(try await posting(head)) }
            return all
        }
        var all: [Posting] = []
        all.reserveCapacity(heads.count)
        for (n, head) in heads.enumerated() {
            guard let headIDs = ids[n], let headVectors = vectors[n] else {
                throw SpannError(.notFound, "the posting files hold no entry for this head", head: head)
            }
            all.append(try Posting(head: head, ids: headIDs, vectors: headVectors, dimension: dimension))
        }
        return all
    }

    // MARK: Search

    /// The `k` nearest live vectors to `query` among those `isCandidate` accepts (all when nil), nearest first,
    /// with exact distances (those an HNSW index of the space reports), from the postings of the `nprobe`
    /// (default `search_nprobe`) nearest heads, four times as many again while fewer than `k` are found. A vector
    /// replicated in several postings is returned once.
    public func search(
        _ query: [Float], k: Int, nprobe: Int? = nil, isCandidate: (@Sendable (OffsetID) -> Bool)? = nil
    ) async throws -> [Neighbor] {
        guard query.count == dimension else {
            throw SpannError(.invalidArgument, "query has \(query.count) values, expected \(dimension)")
        }
        guard k > 0 else { throw SpannError(.invalidArgument, "k must be positive; got \(k)") }
        let probes = nprobe ?? parameters.searchNprobe
        guard probes > 0 else { throw SpannError(.invalidArgument, "nprobe must be positive; got \(probes)") }
        guard !heads.isEmpty else { return [] }
        let q = stored(query)
        var top = TopK(k: k)
        var scanned = Set<UInt32>()
        var width = min(probes, heads.count)
        while true {
            let nearestHeads = try centroidScan.search(q, k: width).map(\.id)
            let postings = try await postings(nearestHeads.filter { scanned.insert($0).inserted })
            q.withUnsafeBufferPointer { qb in
                for posting in postings {
                    posting.vectors.withUnsafeBufferPointer { vb in
                        for i in 0..<posting.count {
                            let id = posting.ids[i]
                            guard versions[id] == posting.versions[i], isCandidate?(id) ?? true else { continue }
                            // A replica has the same vector, so the same distance: kept once.
                            top.insertOnce(id, distance(qb.baseAddress!, vb.baseAddress! + i * dimension))
                        }
                    }
                }
            }
            // Fewer than k found (a selective filter, or postings full of stale entries): probe four times as
            // many heads, until k are found or every posting has been read.
            guard top.count < k, width < heads.count else { break }
            width = min(heads.count, width * 4)
        }
        return top.sorted()
    }

    /// An allowed set (a where-clause's result) as a search filter.
    public func search(_ query: [Float], k: Int, nprobe: Int? = nil, allowed: AllowedSet) async throws -> [Neighbor] {
        try await search(query, k: k, nprobe: nprobe, isCandidate: { allowed.contains($0) })
    }

    // MARK: Check

    /// Reads every posting and checks it: each decodes, each head has a centroid, and every live id is in at
    /// least one posting at its current version. Returns the number of live entries seen (replicas included).
    public func verify() async throws -> Int {
        var found = Set<OffsetID>()
        var entries = 0
        for head in heads.keys.sorted() {
            let posting = try await self.posting(head)
            for i in 0..<posting.count where versions[posting.ids[i]] == posting.versions[i] {
                found.insert(posting.ids[i])
                entries += 1
            }
        }
        guard postingIDs.count == heads.count, postingVectors.count == heads.count else {
            throw SpannError(
                .corrupt,
                "\(heads.count) centroids but \(postingIDs.count) posting id lists and \(postingVectors.count) vector lists"
            )
        }
        for (id, version) in versions.entries where version & Self.deletedBit == 0 && !found.contains(id) {
            throw SpannError(.corrupt, "offset id \(id) (version \(version)) is in no posting")
        }
        return entries
    }
}
