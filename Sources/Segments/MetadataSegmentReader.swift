// Reads one version of a collection's metadata segment: the inverted index of metadata values and the trigram index
// of documents, and answers `where`/`where_document` filters with the exact set of matching offset ids.
import Bitmaps
import Blockfile
import ObjectStore

public struct MetadataSegmentReader: Sendable {
    /// Names of the segment's blockfiles in the version manifest; the suffix is the segment format's version.
    public static let metadataFile = "metadata_index.v1"
    public static let fullTextFile = "fulltext_trigrams.v1"
    static let formatVersion = 1

    /// Candidates handed to the verifier per call.
    public static let verificationBatchSize = 4096

    let metadata: BlockfileReader<RoaringBitmap>
    let fullText: BlockfileReader<RoaringBitmap>
    /// The sparse vector index (nil when the version has none: no sparse index in the schema, or written before
    /// Cairn had one).
    public let sparse: SparseIndexReader?
    /// Where a writer forked from this version writes (BlockfileReader keeps its own private).
    let store: any ObjectStore
    let location: BlockfileLocation
    let cache: BlockCache

    /// Opens the version whose blockfile roots `files` names (what `MetadataSegmentWriter.commit()` returned).
    public static func open(store: any ObjectStore, segment: SegmentPath, files: [String: String], cache: BlockCache)
        async throws -> MetadataSegmentReader
    {
        for name in files.keys {
            // A newer Cairn writes the same blockfiles under a higher version suffix: refuse it by name.
            for base in ["metadata_index.v", "fulltext_trigrams.v"] where name.hasPrefix(base) {
                let version = name.dropFirst(base.count)
                if version != String(formatVersion) {
                    throw MetadataSegmentError(
                        .unsupportedVersion,
                        "blockfile \(name) is metadata segment format v\(version); this Cairn reads v\(formatVersion)")
                }
            }
        }
        guard let metadataRoot = files[metadataFile], let fullTextRoot = files[fullTextFile] else {
            throw MetadataSegmentError(
                .corrupt,
                "the manifest names no \(metadataFile) or \(fullTextFile) blockfile (has: \(files.keys.sorted()))")
        }
        let location = BlockfileLocation(segment: segment)
        async let sparse = SparseIndexReader.open(store: store, location: location, files: files, cache: cache)
        async let metadata = BlockfileReader<RoaringBitmap>.open(
            store: store, location: location, rootID: metadataRoot, cache: cache)
        async let fullText = BlockfileReader<RoaringBitmap>.open(
            store: store, location: location, rootID: fullTextRoot, cache: cache)
        let reader = MetadataSegmentReader(
            metadata: try await metadata, fullText: try await fullText, sparse: try await sparse, store: store,
            location: location, cache: cache)
        guard reader.metadata.root.keyType == .string, reader.fullText.root.keyType == .uint32 else {
            throw MetadataSegmentError(.corrupt, "metadata segment blockfiles have unexpected key types")
        }
        return reader
    }

    /// The segment of a collection that has never been compacted (nothing is read).
    public static func empty(
        store: any ObjectStore, segment: SegmentPath, cache: BlockCache,
        maxBlockSize: Int = BlockfileDefaults.maxBlockSize
    ) -> MetadataSegmentReader {
        let location = BlockfileLocation(segment: segment)
        return MetadataSegmentReader(
            metadata: .empty(
                store: store, location: location, keyType: .string, maxBlockSize: maxBlockSize, cache: cache),
            fullText: .empty(
                store: store, location: location, keyType: .uint32, maxBlockSize: maxBlockSize, cache: cache),
            sparse: nil, store: store, location: location, cache: cache)
    }

    /// The offset ids in `universe` (the live records of this version) that match both filters (nil: no filter).
    /// Metadata filters are answered from the index alone and exactly; document filters take candidates from the
    /// trigram index and, where trigrams cannot decide, verify them with `verifier`.
    public func filter(
        where filter: Where?, whereDocument: WhereDocument?, universe: RoaringBitmap,
        verifier: any MetadataSegmentVerifier
    ) async throws -> RoaringBitmap {
        var result = universe
        if let filter {
            result = try await evaluate(filter, within: result, verifier: verifier)
        }
        if let whereDocument, !result.isEmpty {
            result = try await evaluate(whereDocument, within: result, verifier: verifier)
        }
        return result
    }
}
