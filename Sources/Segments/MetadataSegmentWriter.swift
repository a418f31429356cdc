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
    /// The metadata key whose sparse vectors go into the sparse index (nil: the collection has none).
    let sparseKey: String?
    private var sparseChanges = SparseIndexChanges()
    private var trigramPostings: [UInt32: Posting] = [:]
    private var scratchEntries: [(String, String)] = []
    private var scratchTrigrams: [UInt32] = []
    private var closed = false

    /// Consecutive numeric values per range summary (see `RangeSummaries`).
    let summaryEvery: Int

    /// A writer whose new version starts as `parent`.
    /// `sparseKey`: the metadata key of the collection's sparse vector index, if it has one.
    public convenience init(forking parent: MetadataSegmentReader, sparseKey: String? = nil) {
        self.init(forking: parent, summaryEvery: RangeSummaries.defaultEvery, sparseKey: sparseKey)
    }

    /// Tests use small summaries so that a few thousand records exercise them.
    init(forking parent: MetadataSegmentReader, summaryEvery: Int, sparseKey: String? = nil) {
        precondition(summaryEvery > 1, "a summary covers at least two values")
        self.parent = parent
        self.summaryEvery = summaryEvery
        self.sparseKey = sparseKey
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
            if let sparseKey, case .sparseVector(let vector)? = metadata[sparseKey] {
                if adding { sparseChanges.add(offsetID, vector) } else { sparseChanges.remove(offsetID, vector) }
            }
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
        let every = summaryEvery
        async let metadataRoot = Self.write(
            metadataKeys, into: metadataParent, store, location, cache, summaryEvery: every)
        async let fullTextRoot = Self.write(
            trigramKeys, into: fullTextParent, store, location, cache, summaryEvery: nil)
        var files = [
            MetadataSegmentReader.metadataFile: try await metadataRoot,
            MetadataSegmentReader.fullTextFile: try await fullTextRoot,
        ]
        // The sparse index is written once the collection has one, and kept from then on (changed or not).
        if sparseKey != nil || parent.sparse != nil {
            let sparseParent =
                parent.sparse
                ?? .empty(
                    store: store, location: location, cache: cache, maxBlockSize: parent.metadata.root.maxBlockSize)
            let sparseFiles = try await sparseChanges.commit(
                over: sparseParent, store: store, location: location, cache: cache)
            files.merge(sparseFiles) { $1 }
        }
        sparseChanges = SparseIndexChanges()
        return files
    }

    /// Applies the changes to one blockfile and returns the new root id. With `summaryEvery`, numeric prefixes
    /// that changed get their range summaries rebuilt (see `RangeSummaries`).
    private static func write(
        _ changes: [(BlockfileKey, Posting)], into parent: BlockfileReader<RoaringBitmap>, _ store: any ObjectStore,
        _ location: BlockfileLocation, _ cache: BlockCache, summaryEvery: Int?
    ) async throws -> String {
        let sorted = changes.sorted { $0.0 < $1.0 }
        if parent.root.blocks.isEmpty {
            let writer = OrderedBlockfileWriter<RoaringBitmap>(
                store: store, location: location, keyType: parent.root.keyType, cache: cache,
                maxBlockSize: parent.root.maxBlockSize)
            var entries = sorted.compactMap { key, posting in posting.added.isEmpty ? nil : (key, posting.added) }
            if let summaryEvery {
                entries += RangeSummaries.build(entries, every: summaryEvery)
                entries.sort { $0.0 < $1.0 }
            }
            for (key, bitmap) in entries { try await writer.append(key, bitmap) }
            return try await writer.commit().root.rootID
        }
        let old = try await parent.get(sorted.map(\.0))
        let writer = BlockfileWriter(forking: parent, into: location)
        var changed: [String: [String: RoaringBitmap?]] = [:]  // numeric prefix → encoded value → new list
        for ((key, posting), previous) in zip(sorted, old) {
            let bitmap = posting.applied(to: previous)
            if bitmap.isEmpty {
                if previous != nil { try writer.delete(key) }
            } else if bitmap != previous {
                try writer.set(key, bitmap)
            }
            if summaryEvery != nil, RangeSummaries.isSummarised(key.prefix), case .string(let text) = key.key {
                changed[key.prefix, default: [:]][text] = .some(bitmap.isEmpty ? nil : bitmap)
            }
        }
        if let summaryEvery {
            for (prefix, updates) in changed {
                // The prefix's entries in the new version: the parent's, overlaid with this commit's changes.
                var values: [String: RoaringBitmap] = [:]
                for try await batch in parent.scan(prefix: prefix).batches() {
                    for (key, bitmap) in zip(batch.keys, batch.values) {
                        if case .string(let text) = key.key { values[text] = bitmap }
                    }
                }
                for (text, bitmap) in updates { values[text] = bitmap }
                let entries = values.keys.sorted().compactMap { text in
                    values[text].map { (BlockfileKey(prefix, .string(text)), $0) }
                }
                for try await batch in parent.scan(prefix: RangeSummaries.summaryPrefix(prefix)).batches() {
                    for key in batch.keys { try writer.delete(key) }
                }
                for (key, bitmap) in RangeSummaries.build(entries, every: summaryEvery) { try writer.set(key, bitmap) }
            }
        }
        return try await writer.commit().root.rootID
    }
}

/// Range summaries: for a numeric prefix with many distinct values, every `every` consecutive entries also get
/// one entry under `~` + prefix whose key is the first and last encoded value of the run and whose value is the
/// union of their lists. A range filter then reads whole runs from one summary and only the edges entry by entry.
enum RangeSummaries {
    /// Entries per summary, by default.
    static let defaultEvery = 256

    static func isSummarised(_ prefix: String) -> Bool {
        prefix.hasPrefix("i:") || prefix.hasPrefix("f:")
    }

    static func summaryPrefix(_ prefix: String) -> String { "~" + prefix }

    /// Summary entries for `entries` (sorted, any prefixes; only numeric prefixes with more than `every` entries
    /// are summarised).
    static func build(_ entries: [(BlockfileKey, RoaringBitmap)], every: Int) -> [(BlockfileKey, RoaringBitmap)] {
        var summaries: [(BlockfileKey, RoaringBitmap)] = []
        var start = 0
        while start < entries.count {
            let prefix = entries[start].0.prefix
            var end = start
            while end < entries.count && entries[end].0.prefix == prefix { end += 1 }
            if isSummarised(prefix) && end - start > every {
                var chunk = start
                while chunk < end {
                    let last = min(end, chunk + every) - 1
                    guard case .string(let first) = entries[chunk].0.key, case .string(let final) = entries[last].0.key
                    else { break }
                    var union = BitmapUnion()
                    for i in chunk...last { union.add(entries[i].1) }
                    summaries.append((BlockfileKey(summaryPrefix(prefix), .string(first + final)), union.result()))
                    chunk = last + 1
                }
            }
            start = end
        }
        return summaries
    }
}
