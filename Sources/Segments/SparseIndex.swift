// The sparse vector index of a collection's metadata segment (issue 21): for the one metadata key whose schema
// enables a sparse vector index, posting lists per dimension in blockfiles — Arrow blocks on the store like every
// other segment — built and changed by compaction (decision 0022).
//
//   sparse_postings.v1   key (dimension as 8 hex digits, first offset id of the chunk) → [UInt32]: the chunk's
//                        offset ids (ascending, at most `chunkSize`) followed by their f32 values' bit patterns
//   sparse_terms.v1      key ("", dimension) → [Float]: [largest value, smallest value, postings] of the dimension
//
// A query reads `sparse_terms` for its dimensions (IDF's document counts and each dimension's bound, with no posting
// read) and the postings of those dimensions only.
import Bitmaps
import Blockfile
import ObjectStore

/// One dimension's statistics: bounds of its values and how many records hold it.
public struct SparseTerm: Sendable, Equatable {
    public var maxValue: Float
    public var minValue: Float
    public var count: Int
}

/// One dimension's postings: offset ids ascending, values beside them.
public struct SparsePostingList: Sendable {
    public var offsets: [UInt32] = []
    public var values: [Float] = []

    public init() {}
}

public struct SparseIndexReader: Sendable {
    public static let postingsFile = "sparse_postings.v1"
    public static let termsFile = "sparse_terms.v1"
    /// Postings per blockfile entry.
    static let chunkSize = 512

    let postings: BlockfileReader<[UInt32]>
    let terms: BlockfileReader<[Float]>

    static func prefix(_ dimension: UInt32) -> String {
        let hex = String(dimension, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Opens the index the segment's `files` name, or nil when the version has none.
    static func open(store: any ObjectStore, location: BlockfileLocation, files: [String: String], cache: BlockCache)
        async throws -> SparseIndexReader?
    {
        for name in files.keys where name.hasPrefix("sparse_postings.v") || name.hasPrefix("sparse_terms.v") {
            guard name == postingsFile || name == termsFile else {
                throw MetadataSegmentError(
                    .unsupportedVersion, "blockfile \(name) is a sparse index format this Cairn does not read (v1)")
            }
        }
        guard let postingsRoot = files[postingsFile], let termsRoot = files[termsFile] else { return nil }
        async let postings = BlockfileReader<[UInt32]>.open(
            store: store, location: location, rootID: postingsRoot, cache: cache)
        async let terms = BlockfileReader<[Float]>.open(
            store: store, location: location, rootID: termsRoot, cache: cache)
        let reader = SparseIndexReader(postings: try await postings, terms: try await terms)
        guard reader.postings.root.keyType == .uint32, reader.terms.root.keyType == .uint32 else {
            throw MetadataSegmentError(.corrupt, "sparse index blockfiles have unexpected key types")
        }
        return reader
    }

    static func empty(store: any ObjectStore, location: BlockfileLocation, cache: BlockCache, maxBlockSize: Int)
        -> SparseIndexReader
    {
        SparseIndexReader(
            postings: .empty(
                store: store, location: location, keyType: .uint32, maxBlockSize: maxBlockSize, cache: cache),
            terms: .empty(store: store, location: location, keyType: .uint32, maxBlockSize: maxBlockSize, cache: cache))
    }

    /// The statistics of `dimensions` (nil for a dimension no record holds).
    public func terms(_ dimensions: [UInt32]) async throws -> [SparseTerm?] {
        try await terms.get(dimensions.map { BlockfileKey("", .uint32($0)) }).map { value in
            guard let value else { return nil }
            guard value.count == 3 else {
                throw MetadataSegmentError(.corrupt, "a sparse term entry has \(value.count) values")
            }
            return SparseTerm(maxValue: value[0], minValue: value[1], count: Int(value[2]))
        }
    }

    /// Every posting of `dimension`.
    public func postingList(_ dimension: UInt32) async throws -> SparsePostingList {
        var list = SparsePostingList()
        for try await batch in postings.scan(prefix: Self.prefix(dimension)).batches() {
            for chunk in batch.values {
                let (offsets, values) = try Self.decode(chunk)
                list.offsets += offsets
                list.values += values
            }
        }
        return list
    }

    static func encode(_ offsets: ArraySlice<UInt32>, _ values: ArraySlice<Float>) -> [UInt32] {
        Array(offsets) + values.map(\.bitPattern)
    }

    static func decode(_ chunk: [UInt32]) throws -> (ArraySlice<UInt32>, [Float]) {
        guard chunk.count % 2 == 0 else {
            throw MetadataSegmentError(.corrupt, "a sparse posting chunk has odd length")
        }
        let half = chunk.count / 2
        return (chunk[..<half], chunk[half...].map { Float(bitPattern: $0) })
    }
}

/// The postings a compaction adds and removes, per dimension, applied to the parent version's index on commit.
struct SparseIndexChanges {
    private var added: [UInt32: [UInt32: Float]] = [:]
    private var removed: [UInt32: Set<UInt32>] = [:]

    var isEmpty: Bool { added.isEmpty && removed.isEmpty }

    mutating func add(_ offset: UInt32, _ vector: SparseVector) {
        for (dimension, value) in zip(vector.indices, vector.values) {
            added[dimension, default: [:]][offset] = value
            removed[dimension]?.remove(offset)
        }
    }

    mutating func remove(_ offset: UInt32, _ vector: SparseVector) {
        for dimension in vector.indices {
            removed[dimension, default: []].insert(offset)
            added[dimension]?[offset] = nil
        }
    }

    /// Writes the new version of both blockfiles over `parent`; returns their roots (manifest name → root id).
    func commit(
        over parent: SparseIndexReader, store: any ObjectStore, location: BlockfileLocation, cache: BlockCache
    ) async throws -> [String: String] {
        let dimensions = Set(added.keys).union(removed.keys).sorted()
        let postingsWriter = BlockfileWriter(forking: parent.postings, into: location)
        let termsWriter = BlockfileWriter(forking: parent.terms, into: location)
        let old = try await parent.terms(dimensions)
        for (dimension, previous) in zip(dimensions, old) {
            var merged: [UInt32: Float] = [:]
            if previous != nil {
                let list = try await parent.postingList(dimension)
                for (offset, value) in zip(list.offsets, list.values) { merged[offset] = value }
                var chunkStart = 0
                while chunkStart < list.offsets.count {
                    try postingsWriter.delete(
                        BlockfileKey(SparseIndexReader.prefix(dimension), .uint32(list.offsets[chunkStart])))
                    chunkStart += SparseIndexReader.chunkSize
                }
            }
            for offset in removed[dimension] ?? [] { merged[offset] = nil }
            for (offset, value) in added[dimension] ?? [:] { merged[offset] = value }
            let offsets = merged.keys.sorted()
            guard !offsets.isEmpty else {
                if previous != nil { try termsWriter.delete(BlockfileKey("", .uint32(dimension))) }
                continue
            }
            let values = offsets.map { merged[$0]! }
            for start in stride(from: 0, to: offsets.count, by: SparseIndexReader.chunkSize) {
                let end = min(offsets.count, start + SparseIndexReader.chunkSize)
                try postingsWriter.set(
                    BlockfileKey(SparseIndexReader.prefix(dimension), .uint32(offsets[start])),
                    SparseIndexReader.encode(offsets[start..<end], values[start..<end]))
            }
            try termsWriter.set(
                BlockfileKey("", .uint32(dimension)),
                [values.max() ?? 0, values.min() ?? 0, Float(offsets.count)])
        }
        async let postingsRoot = postingsWriter.commit()
        async let termsRoot = termsWriter.commit()
        return [
            SparseIndexReader.postingsFile: try await postingsRoot.root.rootID,
            SparseIndexReader.termsFile: try await termsRoot.root.rootID,
        ]
    }
}
