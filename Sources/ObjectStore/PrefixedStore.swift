// A view of another store under a key prefix (`s3://bucket/prefix`): keys are relative to the prefix,
// listings strip it, and nothing outside it can be reached.
import Foundation

public struct PrefixedStore: ObjectStore {
    public let base: any ObjectStore
    /// The prefix, ending with `/` unless empty.
    public let prefix: String

    public init(base: any ObjectStore, prefix: String) {
        self.base = base
        let trimmed = prefix.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        self.prefix = trimmed.isEmpty ? "" : trimmed + "/"
    }

    private func full(_ key: String) -> String { prefix + key }

    public func localFile(_ key: String) -> URL? { base.localFile(full(key)) }

    private func relative(_ key: String) -> String {
        key.hasPrefix(prefix) ? String(key.utf8.dropFirst(prefix.utf8.count)) ?? key : key
    }

    /// Errors name the key the caller used, not the prefixed one.
    private func scoped<T>(_ key: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch var error as ObjectStoreError {
            if error.key != nil { error.key = key }
            throw error
        }
    }

    private func scoped(_ info: ObjectInfo) -> ObjectInfo {
        var info = info
        info.key = relative(info.key)
        return info
    }

    public func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        try await scoped(key) {
            var result = try await base.get(full(key), range: range)
            result.info = scoped(result.info)
            return result
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        try await scoped(key) { scoped(try await base.head(full(key))) }
    }

    @discardableResult
    public func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        try await scoped(key) { scoped(try await base.put(full(key), data: data, condition: condition)) }
    }

    public func delete(_ key: String) async throws {
        try await scoped(key) { try await base.delete(full(key)) }
    }

    public func list(prefix listPrefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws
        -> ObjectListPage
    {
        var page = try await base.list(
            prefix: prefix + listPrefix, delimiter: delimiter, continuation: continuation, maxKeys: maxKeys)
        page.objects = page.objects.map(scoped)
        page.commonPrefixes = page.commonPrefixes.map(relative)
        return page
    }

    public func createMultipartUpload(_ key: String) async throws -> String {
        try await scoped(key) { try await base.createMultipartUpload(full(key)) }
    }

    public func uploadPart(_ key: String, uploadID: String, partNumber: Int, data: Data) async throws -> UploadedPart {
        try await scoped(key) {
            try await base.uploadPart(full(key), uploadID: uploadID, partNumber: partNumber, data: data)
        }
    }

    @discardableResult
    public func completeMultipartUpload(
        _ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition
    ) async throws -> ObjectInfo {
        try await scoped(key) {
            scoped(
                try await base.completeMultipartUpload(
                    full(key), uploadID: uploadID, parts: parts, condition: condition))
        }
    }

    public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        try await scoped(key) { try await base.abortMultipartUpload(full(key), uploadID: uploadID) }
    }
}
