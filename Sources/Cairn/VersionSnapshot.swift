// One committed version of a collection, opened for reading: its segments' readers and where its vector index is
// (an HNSW index, a SPANN index, or its record segment's vectors). Immutable: a version never changes, so a snapshot
// is shared by every read that starts while it is current.
import Bitmaps
import Blockfile
import ObjectStore
import Segments
import Spann
import VectorIndex

final class VersionSnapshot: Sendable {
    let version: UInt64
    let segments: CollectionSegments
    let records: RecordSegmentReader
    let metadata: MetadataSegmentReader
    let hnsw: HNSWIndexLocation?
    /// Where the vector segment's blockfiles (a SPANN index's) are read from.
    let vectorFiles: (store: any ObjectStore, location: BlockfileLocation, cache: BlockCache)
    /// Recent filter results over this version (keyed by filter and tail position).
    let filters = FilterCache()
    /// The sparse vectors under each key a sparse search asked for, as postings.
    let sparsePostings = SparsePostingsCache()

    init(
        version: UInt64, segments: CollectionSegments, records: RecordSegmentReader, metadata: MetadataSegmentReader,
        hnsw: HNSWIndexLocation?, vectorFiles: (store: any ObjectStore, location: BlockfileLocation, cache: BlockCache)
    ) {
        self.version = version
        self.segments = segments
        self.records = records
        self.metadata = metadata
        self.hnsw = hnsw
        self.vectorFiles = vectorFiles
    }

    static func open(
        version: UInt64, segments: CollectionSegments, path: CollectionPath, store: any ObjectStore, cache: BlockCache
    ) async throws -> VersionSnapshot {
        async let records = RecordSegmentReader.open(
            store: store, segment: path.segment(segments.record.id), files: segments.record.files, cache: cache)
        async let metadata = MetadataSegmentReader.openOrEmpty(
            store: store, segment: path.segment(segments.metadata.id), files: segments.metadata.files, cache: cache)
        return VersionSnapshot(
            version: version, segments: segments, records: try await records, metadata: try await metadata,
            hnsw: segments.hnswLocation(collection: path),
            vectorFiles: (store, segments.vectorLocation(collection: path), cache))
    }

    /// The version's SPANN index, when its vector segment holds one: opened once (centroids, graph and versions)
    /// and cached in `provider` with the HNSW indexes; its postings stay on the store, read per query.
    func spannIndex(provider: HnswIndexProvider, parameters: SpannParameters, dimension: Int) async throws
        -> SpannIndex?
    {
        guard let roots = segments.spannRoots(dimension: dimension, space: parameters.space) else { return nil }
        do {
            return try await provider.spann(
                roots, parameters: parameters, store: vectorFiles.store, location: vectorFiles.location,
                cache: vectorFiles.cache)
        } catch let error as SpannError {
            throw CairnError(error.code == .corrupt ? .corrupt : .storage, "opening the SPANN index: \(error)")
        }
    }

    /// Offset ids of every record the segments hold.
    var live: RoaringBitmap { records.live }

    /// The version's vectors when its record segment holds them (a small collection, decision 0025): read once
    /// from the record blocks and cached in `provider` with the HNSW indexes, under the records' root id (a fork
    /// shares its parent's).
    func flatVectors(provider: HnswIndexProvider, dimension: Int, space: DistanceSpace) async throws -> FlatVectors {
        let root = segments.record.files[RecordSegmentFiles.records] ?? "empty:\(segments.record.id)"
        return try await provider.resident("records:\(space.rawValue):\(root)") {
            let offsetIDs = live.array
            let stored = try await records.records(offsetIDs)
            let rows = try zip(offsetIDs, stored).map { offsetID, record in
                guard let embedding = record?.embedding else {
                    throw CairnError(.storage, "record \(offsetID) of version \(version) holds no vector")
                }
                return (offsetID, embedding)
            }
            do throws(VectorIndexError) {
                return try FlatVectors(dimension: dimension, space: space, rows: rows)
            } catch {
                throw CairnError(.storage, "the vectors of version \(version): \(error.message)")
            }
        }
    }
}
