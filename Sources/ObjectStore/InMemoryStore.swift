// A thread-safe in-memory store with the same semantics as the real ones: for tests and ephemeral use.
import Foundation
import Synchronization

public final class InMemoryStore: ObjectStore {
    private struct Stored {
        var data: Data
        var etag: String
        var lastModified: Date
    }

    private struct Upload {
        var key: String
        var parts: [Int: (data: Data, etag: String)] = [:]
    }

    private struct State {
        var objects: [ObjectKeyBytes: Stored] = [:]
        var uploads: [String: Upload] = [:]
        var generation: UInt64 = 0

        mutating func nextTag() -> String {
            generation += 1
            return "\"m\(generation)\""
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// Every key currently stored, in byte order (for tests and tools).
    public var keys: [String] {
        state.withLock { $0.objects.keys.sorted().map(\.key) }
    }

    /// Total bytes stored.
    public var totalBytes: Int {
        state.withLock { $0.objects.values.reduce(0) { $0 + $1.data.count } }
    }

    public func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        try state.withLock { state throws(ObjectStoreError) in
            guard let stored = state.objects[ObjectKeyBytes(key)] else {
                throw ObjectStoreError(.notFound, key: key, message: "no such object")
            }
            let info = ObjectInfo(
                key: key, size: stored.data.count, etag: stored.etag, lastModified: stored.lastModified)
            guard let range else {
                return ObjectData(data: stored.data, info: info, range: 0..<stored.data.count)
            }
            guard let resolved = range.resolve(size: stored.data.count) else {
                throw ObjectStoreError(
                    .invalidRange, key: key,
                    message: "range \(range) is outside an object of \(stored.data.count) bytes")
            }
            return ObjectData(data: stored.data.subdata(in: resolved), info: info, range: resolved)
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        try state.withLock { state throws(ObjectStoreError) in
            guard let stored = state.objects[ObjectKeyBytes(key)] else {
                throw ObjectStoreError(.notFound, key: key, message: "no such object")
            }
            return ObjectInfo(key: key, size: stored.data.count, etag: stored.etag, lastModified: stored.lastModified)
        }
    }

    @discardableResult
    public func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        try Self.validate(key)
        return try state.withLock { state throws(ObjectStoreError) in
            try Self.commit(key, data: data, condition: condition, state: &state)
        }
    }

    private static func commit(_ key: String, data: Data, condition: PutCondition, state: inout State)
        throws(ObjectStoreError) -> ObjectInfo
    {
        let id = ObjectKeyBytes(key)
        switch condition {
        case .none: break
        case .ifNoneMatch:
            if state.objects[id] != nil {
                throw ObjectStoreError(.preconditionFailed, key: key, message: "object already exists")
            }
        case .ifMatch(let etag):
            guard let current = state.objects[id] else {
                throw ObjectStoreError(.notFound, key: key, message: "no such object to match ETag \(etag)")
            }
            guard current.etag == etag else {
                throw ObjectStoreError(
                    .preconditionFailed, key: key, message: "ETag is \(current.etag), expected \(etag)")
            }
        }
        let stored = Stored(data: data, etag: state.nextTag(), lastModified: Date())
        state.objects[id] = stored
        return ObjectInfo(key: key, size: data.count, etag: stored.etag, lastModified: stored.lastModified)
    }

    public func delete(_ key: String) async throws {
        _ = state.withLock { $0.objects.removeValue(forKey: ObjectKeyBytes(key)) }
    }

    public func list(prefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws
        -> ObjectListPage
    {
        try state.withLock { state throws(ObjectStoreError) in
            let keys = state.objects.keys.filter { $0.bytes.starts(with: prefix.utf8) }.sorted().map(\.key)
            let page = Listing.page(
                sortedKeys: keys, prefix: prefix, delimiter: delimiter, continuation: continuation, maxKeys: maxKeys)
            let objects = page.keys.compactMap { key -> ObjectInfo? in
                guard let stored = state.objects[ObjectKeyBytes(key)] else { return nil }
                return ObjectInfo(
                    key: key, size: stored.data.count, etag: stored.etag, lastModified: stored.lastModified)
            }
            return ObjectListPage(
                objects: objects, commonPrefixes: page.commonPrefixes, continuation: page.continuation)
        }
    }

    public func createMultipartUpload(_ key: String) async throws -> String {
        try Self.validate(key)
        let id = UUID().uuidString
        state.withLock { $0.uploads[id] = Upload(key: key) }
        return id
    }

    public func uploadPart(_ key: String, uploadID: String, partNumber: Int, data: Data) async throws -> UploadedPart {
        try MultipartRules.checkPartNumber(partNumber, key: key)
        return try state.withLock { state throws(ObjectStoreError) in
            guard state.uploads[uploadID]?.key == key else {
                throw ObjectStoreError(.notFound, key: key, message: "no such upload \(uploadID)")
            }
            let etag = state.nextTag()
            state.uploads[uploadID]!.parts[partNumber] = (data, etag)
            return UploadedPart(partNumber: partNumber, etag: etag, size: data.count)
        }
    }

    @discardableResult
    public func completeMultipartUpload(
        _ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition
    ) async throws -> ObjectInfo {
        try state.withLock { state throws(ObjectStoreError) in
            guard let upload = state.uploads[uploadID], upload.key == key else {
                throw ObjectStoreError(.notFound, key: key, message: "no such upload \(uploadID)")
            }
            try MultipartRules.checkCompletion(parts, key: key)
            var data = Data()
            for part in parts {
                guard let stored = upload.parts[part.partNumber], stored.etag == part.etag else {
                    throw ObjectStoreError(
                        .invalidArgument, key: key,
                        message: "part \(part.partNumber) was not uploaded with ETag \(part.etag)")
                }
                data.append(stored.data)
            }
            let info = try Self.commit(key, data: data, condition: condition, state: &state)
            state.uploads[uploadID] = nil
            return info
        }
    }

    public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        _ = state.withLock { $0.uploads.removeValue(forKey: uploadID) }
    }

    static func validate(_ key: String) throws(ObjectStoreError) {
        guard !key.isEmpty, key.utf8.count <= 1024 else {
            throw ObjectStoreError(.invalidArgument, key: key, message: "keys must be 1 to 1,024 bytes of UTF-8")
        }
    }
}

/// Multipart rules every store enforces the same way (S3's limits).
enum MultipartRules {
    static let maxPartNumber = 10_000

    static func checkPartNumber(_ number: Int, key: String) throws(ObjectStoreError) {
        guard (1...maxPartNumber).contains(number) else {
            throw ObjectStoreError(
                .invalidArgument, key: key, message: "part number \(number) is outside 1...\(maxPartNumber)")
        }
    }

    static func checkCompletion(_ parts: [UploadedPart], key: String) throws(ObjectStoreError) {
        guard !parts.isEmpty else {
            throw ObjectStoreError(.invalidArgument, key: key, message: "a multipart upload needs at least one part")
        }
        for (previous, next) in zip(parts, parts.dropFirst()) where previous.partNumber >= next.partNumber {
            throw ObjectStoreError(
                .invalidArgument, key: key, message: "parts must be in ascending part-number order")
        }
    }
}
