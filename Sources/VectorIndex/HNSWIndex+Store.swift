// Persistence of an HNSW index to the object store under the `hnsw/{index id}/` prefix (docs/architecture.md): the
// hnswlib file byte for byte, then the versioned header that names it. Local files live in a temporary
// directory that is removed as soon as the index is written or loaded.
import CHNSW
import Foundation
import ObjectStore

extension HNSWIndex {
    /// Writes the index to `location` (data first, then the header; both create-only).
    public func write(to location: HNSWIndexLocation, store: any ObjectStore) async throws(VectorIndexError) {
        let (data, header) = try withTemporaryDirectory { (directory) throws(VectorIndexError) in
            let path = directory.appendingPathComponent("index.bin").path
            // Counts and the file are taken under one read lock so the header matches the bytes.
            let counts = try lock.withReadLock { () throws(VectorIndexError) -> (Int, Int) in
                try Self.check(cairn_hnsw_save(native, path))
                return (cairn_hnsw_count(native), cairn_hnsw_deleted_count(native))
            }
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw VectorIndexError(.io, "cannot read back the saved index \(path): \(error)")
            }
            let header = HNSWIndexHeader(
                formatVersion: HNSWIndexHeader.currentVersion, engine: HNSWIndexHeader.engineName,
                dimension: dimension, parameters: parameters, count: counts.0, deletedCount: counts.1,
                dataBytes: data.count)
            return (data, header)
        }
        do {
            try await store.put(location.dataKey, data: data, condition: .ifNoneMatch)
            try await store.put(location.headerKey, data: header.encoded(), condition: .ifNoneMatch)
        } catch {
            throw VectorIndexError(.store, "writing HNSW index \(location): \(error)")
        }
    }

    /// Reads an index written by `write(to:store:)`. `numThreads` and other runtime parameters may be
    /// overridden by `parameters`; the space and graph parameters come from the stored header.
    public static func read(
        from location: HNSWIndexLocation, store: any ObjectStore, temporaryRoot: URL? = nil
    ) async throws(VectorIndexError) -> HNSWIndex {
        try await read(
            from: location, header: try await readHeader(of: location, store: store), store: store,
            temporaryRoot: temporaryRoot)
    }

    /// The versioned header of the index stored at `location`.
    static func readHeader(of location: HNSWIndexLocation, store: any ObjectStore) async throws(VectorIndexError)
        -> HNSWIndexHeader
    {
        let headerData: Data
        do {
            headerData = try await store.get(location.headerKey).data
        } catch {
            throw VectorIndexError(.store, "reading \(location.headerKey): \(error)")
        }
        return try HNSWIndexHeader.decode(headerData, key: location.headerKey)
    }

    /// Reads the index data that `header` describes.
    static func read(
        from location: HNSWIndexLocation, header: HNSWIndexHeader, store: any ObjectStore, temporaryRoot: URL?
    ) async throws(VectorIndexError) -> HNSWIndex {
        if let file = store.localFile(location.dataKey) {
            return try load(file: file, header: header, key: location.dataKey)
        }
        let data: Data
        do {
            let object = try await store.get(location.dataKey)
            try object.checkComplete()
            data = object.data
        } catch {
            throw VectorIndexError(.store, "reading \(location.dataKey): \(error)")
        }
        guard data.count == header.dataBytes else {
            throw VectorIndexError(
                .corrupt, "\(location.dataKey) has \(data.count) bytes, its header says \(header.dataBytes)")
        }
        if let file = store.localFile(location.dataKey) {
            return try load(file: file, header: header, key: location.dataKey)  // the read put it in a disk cache
        }
        return try load(data: data, header: header, key: location.dataKey, temporaryRoot: temporaryRoot)
    }

    /// Loads the index from a file that is the object itself (a store on local disk, or a disk cache): no copy
    /// through memory and a temporary file.
    static func load(file: URL, header: HNSWIndexHeader, key: String) throws(VectorIndexError) -> HNSWIndex {
        let size = fileSize(file)
        guard size == header.dataBytes else {
            throw VectorIndexError(.corrupt, "\(key) has \(size) bytes, its header says \(header.dataBytes)")
        }
        return try checked(
            try HNSWIndex.load(fromFile: file.path, dimension: header.dimension, parameters: header.parameters),
            header: header, key: key)
    }

    static func fileSize(_ file: URL) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
    }

    /// Loads index bytes through a temporary file that is deleted before this returns.
    static func load(data: Data, header: HNSWIndexHeader, key: String, temporaryRoot: URL?) throws(VectorIndexError)
        -> HNSWIndex
    {
        try withTemporaryDirectory(in: temporaryRoot) { (directory) throws(VectorIndexError) in
            let path = directory.appendingPathComponent("index.bin").path
            do {
                try data.write(to: URL(fileURLWithPath: path))
            } catch {
                throw VectorIndexError(.io, "cannot write \(key) to a temporary file: \(error)")
            }
            return try checked(
                try HNSWIndex.load(fromFile: path, dimension: header.dimension, parameters: header.parameters),
                header: header, key: key)
        }
    }

    /// The loaded index if it holds the counts its header names.
    static func checked(_ index: HNSWIndex, header: HNSWIndexHeader, key: String) throws(VectorIndexError)
        -> HNSWIndex
    {
        guard index.count == header.count, index.deletedCount == header.deletedCount else {
            throw VectorIndexError(
                .corrupt,
                "\(key) holds \(index.count) elements (\(index.deletedCount) deleted), header says \(header.count) (\(header.deletedCount))"
            )
        }
        return index
    }
}

/// Runs `body` with a fresh private directory that is removed afterwards, whatever happened.
func withTemporaryDirectory<T>(in root: URL? = nil, _ body: (URL) throws(VectorIndexError) -> T)
    throws(VectorIndexError) -> T
{
    let directory = (root ?? FileManager.default.temporaryDirectory)
        .appendingPathComponent("cairn-hnsw-\(UUID().uuidString)", isDirectory: true)
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
    } catch {
        throw VectorIndexError(.io, "cannot create temporary directory \(directory.path): \(error)")
    }
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
