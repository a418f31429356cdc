// Builds the next version of a metadata segment: records added and removed (with their old values, so nothing is
// read while collecting) change in-memory posting lists; commit merges them into the parent's blockfiles, with one
// ordered bulk write when the parent is empty (the first compaction).
import Bitmaps
import Blockfile
import ObjectStore

public final class MetadataSegmentWriter {
    public let parent: MetadataSegmentReader

    /// Offset ids gained and lost by one posting list. An id is in at most one of the two: the later call wins.
    struct Posting {
        var added = RoaringBitmap()
        var removed: RoaringBitmap?

        mutating func add(_ id: UInt32) {
            added.insert(id)
            if removed != nil { removed?.remove(id) }
        }

        mutating func remove(_ id: UInt32) {
            if removed == nil { removed = RoaringBitmap() }
            removed?.insert(id)
            added.remove(id)
        }

        /// The list after these changes, given the parent's.
        func applied(to old: RoaringBitmap?) -> RoaringBitmap {
            var result = old ?? RoaringBitmap()
            if let removed { result.subtract(removed) }
            result.formUnion(added)
            return result
        }
    }

    struct MetadataEntry: Hashable {
        var prefix: String
        var value: String
    }

    private var metadataPostings: [MetadataEntry: Posting] = [:]
    private var trigramPostings: [UInt32: Posting] = [:]
    private var scratchEntries: [(String, String)] = []
    private var scratchTrigrams: [UInt32] = []
    private var closed = false

    /// A writer whose new version starts as `parent`.
    public init(forking parent: MetadataSegmentReader) {
        self.parent = parent
    }

    /// Indexes a record's metadata and document under `offsetID`.
    public func add(offsetID: UInt32, metadata: Metadata?, document: String?) throws {
        try apply(offsetID: offsetID, metadata: metadata, document: document, adding: true)
    }

    /// Removes what `add` indexed for this record: pass the values it was indexed with (an update is a remove of the
    /// old values followed by an add of the new ones).
    public func remove(offsetID: UInt32, metadata: Metadata?, document: String?) throws {
        try apply(offsetID: offsetID, metadata: metadata, document: document, adding: false)
    }

    private func apply(offsetID: UInt32, metadata: Metadata?, document: String?, adding: Bool) throws {
        guard !closed else { throw MetadataSegmentError(.corrupt, "metadata segment writer used after commit") }
        if let metadata {
            scratchEntries.removeAll(keepingCapacity: true)
            for (key, value) in metadata { MetadataIndexKey.entries(key: key, value: value, into: &scratchEntries) }
            for (prefix, value) in scratchEntries {
                let entry = MetadataEntry(prefix: prefix, value: value)
                if adding {
                    metadataPostings[entry, default: Posting()].add(offsetID)
                } else {
                    metadataPostings[entry, default: Posting()].remove(offsetID)
                }
            }
        }
        if let document {
            Trigrams.distinct(document, into: &scratchTrigrams)
            scratchTrigrams.append(Trigrams.hasDocumentKey)
            for trigram in scratchTrigrams {
                if adding {
                    trigramPostings[trigram, default: Posting()].add(offsetID)
                } else {
                    trigramPostings[trigram, default: Posting()].remove(offsetID)
                }
            }
        }
    }

    /// Writes the new version and returns its blockfiles (manifest name → root id) for the version manifest.
    nonisolated(nonsending) public func commit() async throws -> [String: String] {
        guard !closed else { throw MetadataSegmentError(.corrupt, "metadata segment writer committed twice") }
        closed = true
        let metadataKeys = metadataPostings.map { (BlockfileKey($0.key.prefix, .string($0.key.value)), $0.value) }
        let trigramKeys = trigramPostings.map { (BlockfileKey("", .uint32($0.key)), $0.value) }
        metadataPostings = [:]
        trigramPostings = [:]
        let (store, location, cache) = (parent.store, parent.location, parent.cache)
        let (metadataParent, fullTextParent) = (parent.metadata, parent.fullText)
        async let metadataRoot = Self.write(metadataKeys, into: metadataParent, store, location, cache)
        async let fullTextRoot = Self.write(trigramKeys, into: fullTextParent, store, location, cache)
        return [
            MetadataSegmentReader.metadataFile: try await metadataRoot,
            MetadataSegmentReader.fullTextFile: try await fullTextRoot,
        ]
    }

    /// Applies the changes to one blockfile and returns the new root id.
    private static func write(
        _ changes: [(BlockfileKey, Posting)], into parent: BlockfileReader<RoaringBitmap>, _ store: any ObjectStore,
        _ location: BlockfileLocation, _ cache: BlockCache
    ) async throws -> String {
        let sorted = changes.sorted { $0.0 < $1.0 }
        if parent.root.blocks.isEmpty {
            let writer = OrderedBlockfileWriter<RoaringBitmap>(
                store: store, location: location, keyType: parent.root.keyType, cache: cache,
                maxBlockSize: parent.root.maxBlockSize)
            for (key, posting) in sorted {
                if posting.added.isEmpty { continue }
                try await writer.append(key, posting.added)
            }
            return try await writer.commit().root.rootID
        }
        let old = try await parent.get(sorted.map(\.0))
        let writer = BlockfileWriter(forking: parent)
        for ((key, posting), previous) in zip(sorted, old) {
            let bitmap = posting.applied(to: previous)
            if bitmap.isEmpty {
                if previous != nil { try writer.delete(key) }
            } else if bitmap != previous {
                try writer.set(key, bitmap)
            }
        }
        return try await writer.commit().root.rootID
    }
}
