// The three segments of one collection version and the files (blockfile roots, HNSW index id) each holds: what a
// version manifest records about segments, and what readers open.
import Bitmaps
import Blockfile
import ObjectStore
import Spann
import VectorIndex

/// The names of a vector segment's files in a version manifest's `files`.
public enum VectorSegmentFiles {
    /// The HNSW index id (its files are under the segment's `hnsw/{id}/` prefix).
    public static let index = "hnsw"
    /// Present (instead of `index`) when the version's vectors are its record segment's, searched exactly: a small
    /// collection keeps them once (decision 0025). Its value names nothing to read. A manifest naming it needs
    /// format 3 (`CollectionManifest.vectorsInRecordsFile` is the same name), so a reader that would look for an
    /// HNSW file refuses it instead of answering from the log tail alone.
    public static let vectorsInRecords = "vectors_in_records"
    /// A SPANN index's four blockfile roots (decision 0029), in the segment's own folder like any blockfile. A
    /// manifest naming them needs format 4 (`CollectionManifest.spannFile` is `spannCentroids`).
    public static let spannPostingIDs = "spann_posting_ids"
    public static let spannPostingVectors = "spann_posting_vectors"
    public static let spannCentroids = "spann_centroids"
    public static let spannVersions = "spann_versions"
    /// Every blockfile a vector segment may name (walked by garbage collection, checks and warming).
    public static let blockfiles = [spannPostingIDs, spannPostingVectors, spannCentroids, spannVersions]
}

/// One segment: its id (its objects live under `segment/{id}/`) and its files.
public struct SegmentFiles: Sendable, Hashable {
    public var id: String
    /// Name → root id or index id; empty for a segment that has never been written.
    public var files: [String: String]

    public init(id: String, files: [String: String] = [:]) {
        self.id = id
        self.files = files
    }
}

/// One version of a collection's segments, with what compaction needs to continue from it.
public struct CollectionSegments: Sendable, Hashable {
    public var record: SegmentFiles
    public var metadata: SegmentFiles
    public var vector: SegmentFiles
    /// The log offset through which the segments hold every write.
    public var compactedOffset: UInt64
    /// The largest offset id ever given out (offset ids are never reused).
    public var maxOffsetID: UInt32

    public init(
        record: SegmentFiles, metadata: SegmentFiles, vector: SegmentFiles, compactedOffset: UInt64 = 0,
        maxOffsetID: UInt32 = 0
    ) {
        self.record = record
        self.metadata = metadata
        self.vector = vector
        self.compactedOffset = compactedOffset
        self.maxOffsetID = maxOffsetID
    }

    /// Fresh, never-written segments with new ids.
    public static func fresh(newID: () -> String) -> CollectionSegments {
        CollectionSegments(
            record: SegmentFiles(id: newID()), metadata: SegmentFiles(id: newID()), vector: SegmentFiles(id: newID()))
    }

    public var all: [SegmentFiles] { [record, metadata, vector] }

    /// Whether the vectors of this version are its record segment's (no HNSW file: decision 0025).
    public var vectorsInRecords: Bool { vector.files[VectorSegmentFiles.vectorsInRecords] != nil }

    /// The vector segment's SPANN index roots, if it holds one (`dimension` and `space` are the collection's).
    public func spannRoots(dimension: Int, space: DistanceSpace) -> SpannRoots? {
        let files = vector.files
        guard let ids = files[VectorSegmentFiles.spannPostingIDs],
            let vectors = files[VectorSegmentFiles.spannPostingVectors],
            let centroids = files[VectorSegmentFiles.spannCentroids],
            let versions = files[VectorSegmentFiles.spannVersions]
        else { return nil }
        return SpannRoots(
            postingIDs: ids, postingVectors: vectors, centroids: centroids, versions: versions, dimension: dimension,
            space: space)
    }

    /// Whether the vector segment holds a SPANN index.
    public var holdsSpann: Bool { vector.files[VectorSegmentFiles.spannCentroids] != nil }

    /// The vector segment's files for a SPANN index with `roots`.
    public static func spannFiles(_ roots: SpannRoots) -> [String: String] {
        [
            VectorSegmentFiles.spannPostingIDs: roots.postingIDs,
            VectorSegmentFiles.spannPostingVectors: roots.postingVectors,
            VectorSegmentFiles.spannCentroids: roots.centroids, VectorSegmentFiles.spannVersions: roots.versions,
        ]
    }

    /// Where the vector segment's SPANN files (and its other blockfiles) live.
    public func vectorLocation(collection: CollectionPath) -> BlockfileLocation {
        BlockfileLocation(collection: collection, segmentID: vector.id)
    }

    /// Where the vector segment's HNSW index lives, if one has been written.
    public func hnswLocation(collection: CollectionPath) -> HNSWIndexLocation? {
        vector.files[VectorSegmentFiles.index].map {
            HNSWIndexLocation(collection: collection, segmentID: vector.id, indexID: $0)
        }
    }
}

extension MetadataSegmentReader {
    /// Opens the version `files` names; a segment that has never been written (no files) opens empty.
    public static func openOrEmpty(
        store: any ObjectStore, segment: SegmentPath, files: [String: String], cache: BlockCache
    ) async throws -> MetadataSegmentReader {
        files.isEmpty
            ? .empty(store: store, segment: segment, cache: cache)
            : try await open(store: store, segment: segment, files: files, cache: cache)
    }
}
