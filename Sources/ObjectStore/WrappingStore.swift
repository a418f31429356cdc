// A store that wraps another and forwards every operation it does not implement itself: wrappers (tracking, disk
// cache, test doubles) write only what they change.
import Foundation

public protocol WrappingStore: ObjectStore {
    /// The store operations go to.
    var wrapped: any ObjectStore { get }
}

extension WrappingStore {
    public func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        try await wrapped.get(key, range: range)
    }

    public func head(_ key: String) async throws -> ObjectInfo { try await wrapped.head(key) }

    public func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        try await wrapped.put(key, data: data, condition: condition)
    }

    public func delete(_ key: String) async throws { try await wrapped.delete(key) }

    public func list(prefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws
        -> ObjectListPage
    {
        try await wrapped.list(prefix: prefix, delimiter: delimiter, continuation: continuation, maxKeys: maxKeys)
    }

    public func createMultipartUpload(_ key: String) async throws -> String {
        try await wrapped.createMultipartUpload(key)
    }

    public func uploadPart(_ key: String, uploadID: String, partNumber: Int, data: Data) async throws -> UploadedPart {
        try await wrapped.uploadPart(key, uploadID: uploadID, partNumber: partNumber, data: data)
    }

    public func completeMultipartUpload(_ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition)
        async throws -> ObjectInfo
    {
        try await wrapped.completeMultipartUpload(key, uploadID: uploadID, parts: parts, condition: condition)
    }

    public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        try await wrapped.abortMultipartUpload(key, uploadID: uploadID)
    }

    public func localFile(_ key: String) -> URL? { wrapped.localFile(key) }
}
