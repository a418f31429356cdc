// The storage contract every layer of Cairn writes through: a flat namespace of immutable-by-convention
// objects with conditional puts, ranged reads, sorted paginated listing and multipart uploads.
import Foundation

/// A byte range of an object, with S3's semantics: a start beyond the end of the object is an
/// `invalidRange` error, an end beyond it is clamped to the object's size.
public enum ByteRange: Sendable, Hashable, CustomStringConvertible {
    /// `length` bytes starting at `offset` (S3 `bytes=offset-(offset+length-1)`).
    case slice(offset: Int, length: Int)
    /// Everything from `offset` to the end (S3 `bytes=offset-`).
    case from(offset: Int)
    /// The last `length` bytes (S3 `bytes=-length`).
    case suffix(length: Int)

    /// The HTTP `Range` header value.
    public var httpHeaderValue: String {
        switch self {
        case .slice(let offset, let length): return "bytes=\(offset)-\(offset + length - 1)"
        case .from(let offset): return "bytes=\(offset)-"
        case .suffix(let length): return "bytes=-\(length)"
        }
    }

    public var description: String { httpHeaderValue }

    /// Resolves the range against an object of `size` bytes; `nil` when it selects nothing valid
    /// (start at or past the end, or a zero/negative length), which stores report as `invalidRange`.
    public func resolve(size: Int) -> Range<Int>? {
        switch self {
        case .slice(let offset, let length):
            guard offset >= 0, length > 0, offset < size else { return nil }
            return offset..<min(size, offset + length)
        case .from(let offset):
            guard offset >= 0, offset < size else { return nil }
            return offset..<size
        case .suffix(let length):
            guard length > 0, size > 0 else { return nil }
            return max(0, size - length)..<size
        }
    }
}

/// The condition a put is made under.
public enum PutCondition: Sendable, Hashable {
    /// Write unconditionally (create or replace).
    case none
    /// Write only if no object exists at the key (`If-None-Match: *`).
    case ifNoneMatch
    /// Write only if the current object has this ETag (`If-Match`).
    case ifMatch(etag: String)
}

/// What a store knows about one object.
public struct ObjectInfo: Sendable, Hashable {
    public var key: String
    /// Total size of the object in bytes.
    public var size: Int
    /// An opaque version tag: equal for equal versions of one key, different after any rewrite.
    public var etag: String
    public var lastModified: Date?

    public init(key: String, size: Int, etag: String, lastModified: Date? = nil) {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
    }
}

/// The bytes returned by a get, with the object's metadata.
public struct ObjectData: Sendable {
    public var data: Data
    public var info: ObjectInfo
    /// The byte range of the object that `data` holds (the whole object when no range was asked for).
    public var range: Range<Int>

    public init(data: Data, info: ObjectInfo, range: Range<Int>) {
        self.data = data
        self.info = info
        self.range = range
    }

    /// Throws `truncated` unless `data` holds exactly the bytes that `range` names: a short body must
    /// never be mistaken for an object's content.
    public func checkComplete() throws(ObjectStoreError) {
        guard data.count == range.count, range.upperBound <= info.size else {
            throw ObjectStoreError(
                .truncated, key: info.key,
                message: "expected \(range.count) bytes of \(range), received \(data.count)")
        }
    }
}

/// One page of a listing, in ascending byte order of keys.
public struct ObjectListPage: Sendable {
    public var objects: [ObjectInfo]
    /// With a delimiter: the distinct key prefixes up to and including the delimiter ("directories").
    public var commonPrefixes: [String]
    /// Pass back to `list` for the next page; `nil` on the last page.
    public var continuation: String?

    public init(objects: [ObjectInfo], commonPrefixes: [String] = [], continuation: String?) {
        self.objects = objects
        self.commonPrefixes = commonPrefixes
        self.continuation = continuation
    }
}

/// A part of a multipart upload, as returned by `uploadPart` and passed to `completeMultipartUpload`.
public struct UploadedPart: Sendable, Hashable {
    public var partNumber: Int
    public var etag: String
    public var size: Int

    public init(partNumber: Int, etag: String, size: Int) {
        self.partNumber = partNumber
        self.etag = etag
        self.size = size
    }
}

/// An object store. Implementations are safe to use from many tasks at once.
///
/// Keys are UTF-8 strings; `/` has no special meaning except in listings with a delimiter.
/// Every operation either completes or throws an `ObjectStoreError`; a failed put leaves the
/// previous object (or its absence) visible, never a partial one.
public protocol ObjectStore: Sendable {
    /// Reads an object, or the `range` of it.
    func get(_ key: String, range: ByteRange?) async throws -> ObjectData
    /// Reads an object's metadata.
    func head(_ key: String) async throws -> ObjectInfo
    /// Writes an object atomically under `condition`; returns the new object's metadata.
    @discardableResult
    func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo
    /// Deletes an object. Deleting a missing key succeeds.
    func delete(_ key: String) async throws
    /// Lists keys starting with `prefix`, in ascending byte order, at most `maxKeys` per page.
    func list(prefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws
        -> ObjectListPage

    /// Starts a multipart upload and returns its upload id.
    func createMultipartUpload(_ key: String) async throws -> String
    /// Uploads part `partNumber` (1...10,000). Every part but the last must be at least 5 MiB on S3.
    func uploadPart(_ key: String, uploadID: String, partNumber: Int, data: Data) async throws -> UploadedPart
    /// Publishes the parts, in part-number order, as one object, atomically and under `condition`.
    @discardableResult
    func completeMultipartUpload(
        _ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition
    ) async throws -> ObjectInfo
    /// Abandons an upload and frees its parts.
    func abortMultipartUpload(_ key: String, uploadID: String) async throws
    /// The object as a local file that can be read directly (a store on local disk), or nil. The file is the
    /// object: immutable while the object exists. Readers that need a file (hnswlib loads from a path) skip a
    /// copy with it; others must not rely on it.
    func localFile(_ key: String) -> URL?
}

extension ObjectStore {
    public func localFile(_ key: String) -> URL? { nil }
}

extension ObjectStore {
    /// Reads a whole object.
    public func get(_ key: String) async throws -> ObjectData {
        try await get(key, range: nil)
    }

    /// Writes an object unconditionally.
    @discardableResult
    public func put(_ key: String, data: Data) async throws -> ObjectInfo {
        try await put(key, data: data, condition: .none)
    }

    /// One page of keys under `prefix`.
    public func list(prefix: String, continuation: String? = nil, maxKeys: Int = 1000) async throws
        -> ObjectListPage
    {
        try await list(prefix: prefix, delimiter: nil, continuation: continuation, maxKeys: maxKeys)
    }

    /// Every object under `prefix`, following continuations. Bounded by `limit` objects.
    public func listAll(prefix: String, limit: Int = 10_000_000) async throws -> [ObjectInfo] {
        var result: [ObjectInfo] = []
        var continuation: String?
        repeat {
            let page = try await list(prefix: prefix, delimiter: nil, continuation: continuation, maxKeys: 1000)
            result.append(contentsOf: page.objects)
            continuation = page.continuation
            guard result.count <= limit else {
                throw ObjectStoreError(.invalidArgument, key: prefix, message: "listing exceeds \(limit) objects")
            }
        } while continuation != nil
        return result
    }

    /// Whether an object exists.
    public func exists(_ key: String) async throws -> Bool {
        do {
            _ = try await head(key)
            return true
        } catch let error as ObjectStoreError where error.code == .notFound {
            return false
        }
    }
}
