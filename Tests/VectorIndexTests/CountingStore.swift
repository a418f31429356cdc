// An ObjectStore wrapper for provider tests: counts gets per key and can slow them down, so that
// concurrent callers really overlap with a hydration in flight.
import Foundation
import ObjectStore
import Synchronization

@testable import VectorIndex

final class CountingStore: ObjectStore {
    let base: InMemoryStore
    let delay: Duration
    private let counts = LockedState<[String: Int]>([:])

    init(base: InMemoryStore = InMemoryStore(), delay: Duration = .zero) {
        self.base = base
        self.delay = delay
    }

    func gets(_ key: String) -> Int { counts.withLock { $0[key, default: 0] } }
    var totalGets: Int { counts.withLock { $0.values.reduce(0, +) } }

    func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        counts.withLock { $0[key, default: 0] += 1 }
        if delay > .zero { try await Task.sleep(for: delay) }
        return try await base.get(key, range: range)
    }

    func head(_ key: String) async throws -> ObjectInfo { try await base.head(key) }

    func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        try await base.put(key, data: data, condition: condition)
    }

    func delete(_ key: String) async throws { try await base.delete(key) }

    func list(prefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws -> ObjectListPage {
        try await base.list(prefix: prefix, delimiter: delimiter, continuation: continuation, maxKeys: maxKeys)
    }

    func createMultipartUpload(_ key: String) async throws -> String { try await base.createMultipartUpload(key) }

    func uploadPart(_ key: String, uploadID: String, partNumber: Int, data: Data) async throws -> UploadedPart {
        try await base.uploadPart(key, uploadID: uploadID, partNumber: partNumber, data: data)
    }

    func completeMultipartUpload(_ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition)
        async throws -> ObjectInfo
    {
        try await base.completeMultipartUpload(key, uploadID: uploadID, parts: parts, condition: condition)
    }

    func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        try await base.abortMultipartUpload(key, uploadID: uploadID)
    }
}
