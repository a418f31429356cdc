// Incremental maintenance of a SPANN index, as SPFresh and Chroma's SPANN do it: a written vector gets a new
// version and is appended to its nearest postings; older copies become stale and are dropped when their posting is
// next rewritten; a posting over `split_threshold` is split in two by 2-means, and the vectors of it and of its
// neighbouring postings that are now nearer another head are reassigned; a rewritten posting under
// `merge_threshold` is removed and its vectors reassigned. The result is a new version: copy-on-write forks of the
// four blockfiles, sharing every untouched block with this one, which stays valid.
import Blockfile
import Foundation
import ObjectStore
import VectorIndex

extension SpannIndex {
    /// A new version with `upserts` written (added, or replacing the id's vector) and `deletes` removed (ids not
    /// in the index are ignored), written to `target` (default: where this version is). An id may not appear
    /// twice in `upserts`, nor in both lists.
    ///
    /// Deletes are lazy: a deleted id's entries stay in their postings, skipped by queries, until the posting is
    /// next rewritten. With `sweep`, every posting is read and settled (stale entries dropped, small postings
    /// merged): what compaction runs when the deleted share has grown (`deletedCount`).
    public func update(
        upserts: [(OffsetID, [Float])], deletes: [OffsetID] = [], sweep: Bool = false,
        into target: BlockfileLocation? = nil
    ) async throws -> SpannIndex {
        var ids = Set<OffsetID>()
        for (id, vector) in upserts {
            guard vector.count == dimension else {
                throw SpannError(.invalidArgument, "vector \(id) has \(vector.count) values, expected \(dimension)")
            }
            guard ids.insert(id).inserted else {
                throw SpannError(.invalidArgument, "offset id \(id) is written twice in one update")
            }
        }
        if let both = deletes.first(where: { ids.contains($0) }) {
            throw SpannError(.invalidArgument, "offset id \(both) is both written and deleted in one update")
        }
        let session = try UpdateSession(self)
        for id in deletes { session.delete(id) }
        for (id, vector) in upserts {
            try await session.write(id, stored(vector))
            session.statistics.upserted += 1
        }
        if sweep { session.pending.formUnion(heads.keys) }
        try await session.settle()
        if sweep { session.forgetDeleted() }
        return try await session.commit(into: target)
    }
}

/// The mutable state of one update: the heads, a copy of the graph, the versions, and the postings read or
/// changed so far.
final class UpdateSession {
    let base: SpannIndex
    let dimension: Int
    let parameters: SpannParameters
    var heads: [UInt32: [Float]]
    let graph: HNSWIndex
    var versions: VersionTable
    /// Postings read or changed in this update (current contents).
    var postings: [UInt32: Posting] = [:]
    /// Heads whose postings were appended to, split or created, to settle (split, merge, drop stale entries).
    var pending: Set<UInt32> = []
    /// Heads changed in this update (to write) and heads removed (to delete from the files).
    var changed: Set<UInt32> = []
    var removed: Set<UInt32> = []
    var changedIDs: Set<OffsetID> = []
    /// Ids already reassigned in this update: a vector moves at most once, which bounds the work.
    var reassignedIDs: Set<OffsetID> = []
    /// Heads a split made in this update: never merged in the same update (a split's smaller half would otherwise
    /// merge back into its sibling and split again).
    var splitBorn: Set<UInt32> = []
    /// Heads written to in this update: growing, never merged in it (a merge's vectors land in such postings, which
    /// would otherwise merge in turn, and so on through the index).
    var appended: Set<UInt32> = []
    var nextHead: UInt32
    var statistics = SpannUpdateStatistics()
    var generator: SeededGenerator

    init(_ base: SpannIndex) throws {
        self.base = base
        dimension = base.dimension
        parameters = base.parameters
        heads = base.heads
        graph =
            try base.graph?.clone()
            ?? SpannIndex.makeGraph(base.heads, dimension: base.dimension, parameters: base.parameters)
        versions = base.versions
        nextHead = (base.heads.keys.max() ?? 0) &+ 1
        if base.heads.isEmpty { nextHead = 0 }
        // A different stream per version: the same update of the same version splits the same way.
        generator = SeededGenerator(seed: base.parameters.seed ^ UInt64(truncatingIfNeeded: base.versions.count))
    }

    var space: DistanceSpace { base.kernelSpace }

    func distance(_ a: UnsafePointer<Float>, _ b: [Float]) -> Float {
        b.withUnsafeBufferPointer { DistanceKernels.distance(space, a, $0.baseAddress!, dimension: dimension) }
    }

    func isLive(_ posting: Posting, _ i: Int) -> Bool { versions[posting.ids[i]] == posting.versions[i] }

    /// The posting of `head` in this update: read from the base version the first time.
    func posting(_ head: UInt32) async throws -> Posting {
        if let posting = postings[head] { return posting }
        let posting = try await base.posting(head)
        postings[head] = posting
        return posting
    }

    func delete(_ id: OffsetID) {
        guard let version = versions[id], version & SpannIndex.deletedBit == 0 else { return }
        versions[id] = (version &+ 1) | SpannIndex.deletedBit
        changedIDs.insert(id)
        statistics.deleted += 1
    }

    /// Gives `id` a new version and appends `vector` (as stored) to the postings the replication rule picks; with
    /// no head left, the vector becomes a head of its own.
    func write(_ id: OffsetID, _ vector: [Float]) async throws {
        let previous = (versions[id] ?? 0) & ~SpannIndex.deletedBit
        let version = previous &+ 1
        guard version < SpannIndex.deletedBit else {
            throw SpannError(.invalidArgument, "offset id \(id) has been written 2^31 times")
        }
        versions[id] = version
        changedIDs.insert(id)
        var targets = try replicaHeads(vector)
        if targets.isEmpty { targets = [try addHead(vector)] }
        for head in targets {
            var posting = try await self.posting(head)
            vector.withUnsafeBufferPointer { posting.append(id, version, $0) }
            postings[head] = posting
            changed.insert(head)
            pending.insert(head)
            appended.insert(head)
        }
    }

    func replicaHeads(_ vector: [Float]) throws -> [UInt32] {
        try vector.withUnsafeBufferPointer {
            try SpannIndex.replicaHeads($0, graph: graph, heads: heads, parameters: parameters, dimension: dimension)
        }
    }

    func addHead(_ centroid: [Float]) throws -> UInt32 {
        let head = nextHead
        nextHead &+= 1
        heads[head] = centroid
        try graph.add(flat: centroid, ids: [head])
        postings[head] = Posting()
        changed.insert(head)
        removed.remove(head)
        return head
    }

    func removeHead(_ head: UInt32) throws {
        heads[head] = nil
        try graph.markDeleted([head])
        postings[head] = nil
        changed.remove(head)
        pending.remove(head)
        removed.insert(head)
    }

    /// Moves `id` (live at `vector`) to the postings it belongs in now: a new version, written afresh. Nothing
    /// changes when the write rule would still pick `stays`, the head whose posting holds it (the vector is where
    /// it belongs; its other replicas stay valid too).
    func reassign(_ id: OffsetID, _ vector: [Float], stays: UInt32? = nil) async throws {
        guard !reassignedIDs.contains(id) else { return }
        if let stays, try replicaHeads(vector).contains(stays) { return }
        reassignedIDs.insert(id)
        statistics.reassigned += 1
        try await write(id, vector)
    }

    /// Settles every pending posting: drops stale entries, splits those over the split threshold and merges
    /// those under the merge threshold, until none is left (each split and merge may append to others).
    func settle() async throws {
        var rounds = 0
        while let head = pending.min() {
            pending.remove(head)
            rounds += 1
            // Each round either settles a posting or splits or merges one; a bound keeps a bug from looping.
            guard rounds < 1_000_000 else { throw SpannError(.invalidArgument, "update did not settle") }
            guard heads[head] != nil else { continue }
            var posting = try await self.posting(head)
            var live = Posting()
            posting.vectors.withUnsafeBufferPointer { vb in
                for i in 0..<posting.count where isLive(posting, i) {
                    live.append(
                        posting.ids[i], posting.versions[i],
                        UnsafeBufferPointer(rebasing: vb[(i * dimension)..<((i + 1) * dimension)]))
                }
            }
            let shrank = live.count < posting.count
            posting = live
            postings[head] = posting
            changed.insert(head)
            if posting.count > parameters.splitThreshold {
                try await split(head, posting)
            } else if posting.count < parameters.mergeThreshold && shrank && heads.count > 1
                && !splitBorn.contains(head) && !appended.contains(head)
            {
                try await merge(head, posting)
            } else if posting.count == 0 && heads.count > 1 {
                try removeHead(head)
            }
        }
    }

    /// Splits `head`'s live posting in two new heads, then reassigns what may now be nearer elsewhere: vectors of
    /// the split posting further from their new head than from the old centroid, and vectors of the
    /// `reassign_neighbor_count` nearest postings that are nearer a new head than their own (SPFresh).
    func split(_ head: UInt32, _ posting: Posting) async throws {
        guard let oldCentroid = heads[head] else { return }
        let halves = posting.vectors.withUnsafeBufferPointer {
            Clustering.twoMeans(
                $0, Array(0..<posting.count), dimension: dimension, samples: parameters.numSamplesKmeans,
                generator: &generator)
        }
        guard let (left, right) = halves else { return }  // identical vectors: a split cannot separate them
        statistics.splits += 1
        try removeHead(head)
        var newHeads: [(UInt32, [Float])] = []
        for side in [left, right] {
            let centroid = parameters.stored(
                posting.vectors.withUnsafeBufferPointer { Clustering.mean($0, side, dimension) })
            let newHead = try addHead(centroid)
            var part = Posting()
            posting.vectors.withUnsafeBufferPointer { vb in
                for i in side {
                    part.append(
                        posting.ids[i], posting.versions[i],
                        UnsafeBufferPointer(rebasing: vb[(i * dimension)..<((i + 1) * dimension)]))
                }
            }
            postings[newHead] = part
            pending.insert(newHead)
            splitBorn.insert(newHead)
            newHeads.append((newHead, centroid))
        }
        // The split posting's own vectors that the new centroids moved away from.
        for (newHead, centroid) in newHeads {
            let part = postings[newHead]!
            for i in 0..<part.count {
                let vector = Array(part.vectors[(i * dimension)..<((i + 1) * dimension)])
                let toNew = vector.withUnsafeBufferPointer { distance($0.baseAddress!, centroid) }
                let toOld = vector.withUnsafeBufferPointer { distance($0.baseAddress!, oldCentroid) }
                if toNew > toOld { try await reassign(part.ids[i], vector, stays: newHead) }
            }
        }
        // Neighbouring postings' vectors now nearer a new head than their own.
        guard parameters.reassignNeighborCount > 0, heads.count > 2 else { return }
        let neighbours = try graph.search(
            oldCentroid, k: min(parameters.reassignNeighborCount + 2, heads.count),
            ef: max(parameters.efSearch, parameters.reassignNeighborCount + 2)
        ).map(\.id).filter { id in !newHeads.contains { $0.0 == id } }.prefix(parameters.reassignNeighborCount)
        for neighbour in neighbours {
            guard let own = heads[neighbour] else { continue }
            let other = try await self.posting(neighbour)
            for i in 0..<other.count where isLive(other, i) {
                let vector = Array(other.vectors[(i * dimension)..<((i + 1) * dimension)])
                // Only a vector a new centroid is nearer to than both its own head and the old centroid can have
                // changed its nearest heads (SPFresh's necessary condition).
                let (toOwn, toOld, toNew) = vector.withUnsafeBufferPointer { v in
                    (
                        distance(v.baseAddress!, own), distance(v.baseAddress!, oldCentroid),
                        newHeads.map { distance(v.baseAddress!, $0.1) }.min() ?? .infinity
                    )
                }
                let nearer = toNew < toOwn && toNew < toOld
                if nearer { try await reassign(other.ids[i], vector, stays: neighbour) }
            }
        }
    }

    /// Removes `head` and writes its live vectors to the postings they are nearest to now.
    func merge(_ head: UInt32, _ posting: Posting) async throws {
        statistics.merges += 1
        try removeHead(head)
        for i in 0..<posting.count {
            let vector = Array(posting.vectors[(i * dimension)..<((i + 1) * dimension)])
            // A merge must move every vector, even one a split already moved in this update.
            reassignedIDs.remove(posting.ids[i])
            try await reassign(posting.ids[i], vector)
        }
    }

    /// Drops deleted ids from the versions once every posting has been settled (no entry of theirs is left), so
    /// that a swept index holds no trace of them and `deletedCount` starts again from zero.
    func forgetDeleted() {
        for (id, version) in versions.entries where version & SpannIndex.deletedBit != 0 {
            versions[id] = nil
            changedIDs.insert(id)
        }
    }

    /// Writes the changed postings, centroids and versions as forks of the base version's files.
    func commit(into target: BlockfileLocation?) async throws -> SpannIndex {
        let idsWriter = BlockfileWriter(forking: base.postingIDs, into: target)
        let vectorsWriter = BlockfileWriter(forking: base.postingVectors, into: target)
        let centroidsWriter = BlockfileWriter(forking: base.centroidFile, into: target)
        let versionsWriter = BlockfileWriter(forking: base.versionFile, into: target)
        for head in removed.subtracting(changed).sorted() where base.heads[head] != nil {
            let key = BlockfileKey(SpannIndex.prefix, head)
            try idsWriter.delete(key)
            try vectorsWriter.delete(key)
            try centroidsWriter.delete(key)
            statistics.postingsRemoved += 1
        }
        for head in changed.sorted() {
            guard let centroid = heads[head], let posting = postings[head] else { continue }
            let key = BlockfileKey(SpannIndex.prefix, head)
            try idsWriter.set(key, posting.encodedIDs)
            try vectorsWriter.set(key, posting.vectors)
            if base.heads[head] != centroid { try centroidsWriter.set(key, centroid) }
            statistics.postingsWritten += 1
        }
        for id in changedIDs.sorted() {
            let key = BlockfileKey(SpannIndex.prefix, id)
            if let version = versions[id] {
                try versionsWriter.set(key, version)
            } else {
                try versionsWriter.delete(key)
            }
        }
        async let ids = idsWriter.commit()
        async let vectors = vectorsWriter.commit()
        async let centroids = centroidsWriter.commit()
        async let versionReader = versionsWriter.commit()
        // The published graph holds only live heads: rebuilt when removals left tombstones in the copy.
        var published = graph
        if !removed.isEmpty {
            published = try SpannIndex.makeGraph(heads, dimension: dimension, parameters: parameters)
        }
        return try SpannIndex.assemble(
            parameters: parameters, dimension: dimension, postingIDs: try await ids, postingVectors: try await vectors,
            centroidFile: try await centroids, versionFile: try await versionReader, heads: heads, graph: published,
            versions: versions, updateStatistics: statistics)
    }
}
