// One committed version of a collection, opened for reading: its segments' readers and where its HNSW index is.
// Immutable: a version never changes, so a snapshot is shared by every read that starts while it is current.
import Bitmaps
import Blockfile
import ObjectStore
import Segments
import VectorIndex

final class VersionSnapshot: Sendable {
    let version: UInt64
    let segments: CollectionSegments
    let records: RecordSegmentReader
    let metadata: MetadataSegmentReader
    let hnsw: HNSWIndexLocation?
    /// Recent filter results over this version (keyed by filter and tail position).
    let filters = FilterCache()
    /// The sparse vectors under each key a sparse search asked for, as postings.
    let sparsePostings = SparsePostingsCache()

    init(
        version: UInt64, segments: CollectionSegments, records: RecordSegmentReader, metadata: MetadataSegmentReader,
        hnsw: HNSWIndexLocation?
    ) {
        self.version = version
        self.segments = segments
        self.records = records
        self.metadata = metadata
        self.hnsw = hnsw
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
            hnsw: segments.hnswLocation(collection: path))
    }

    /// Offset ids of every record the segments hold.
    var live: RoaringBitmap { records.live }

    /// The version's vectors when its record segment holds them (a small collection, decision 0025): read once
    /// from the record blocks and cached in `provider` with the HNSW indexes, under the records' root id (a fork
    /// shares its parent's).
    func flatVectors(provider: HnswIndexProvider, dimension: Int, space: DistanceSpace) async throws -> FlatVectors {
        let root = segments.record.files[RecordSegmentFiles.records] ?? "empty:\(segments.record.id)"
        return try await provider.flat("records:\(space.rawValue):\(root)") {
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
