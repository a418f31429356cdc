// Counts and times every store operation through swift-metrics: requests by operation and outcome, latency
// by operation, bytes read and written. The caller's metrics backend (Prometheus in the server) collects them.
import CoreMetrics
import Foundation

public final class InstrumentedStore: ObjectStore {
    public func localFile(_ key: String) -> URL? { base.localFile(key) }

    public let base: any ObjectStore
    private let label: String
    private let timers: [String: CoreMetrics.Timer]
    private let bytesRead: Counter
    private let bytesWritten: Counter
    private let factory: MetricsFactory

    static let operations = [
        "get", "head", "put", "delete", "list", "create_multipart", "upload_part", "complete_multipart",
        "abort_multipart",
    ]

    /// `store` names this store in every metric's dimensions (e.g. "s3", "local"); `factory` is the metrics
    /// backend (the process-wide one unless the caller passes its own).
    public init(_ base: any ObjectStore, store: String, factory: MetricsFactory = MetricsSystem.factory) {
        self.base = base
        self.factory = factory
        label = store
        var timers: [String: CoreMetrics.Timer] = [:]
        for operation in Self.operations {
            timers[operation] = CoreMetrics.Timer(
                label: "cairn_object_store_request_duration_seconds",
                dimensions: [("store", store), ("operation", operation)], factory: factory)
        }
        self.timers = timers
        bytesRead = Counter(
            label: "cairn_object_store_read_bytes_total", dimensions: [("store", store)], factory: factory)
        bytesWritten = Counter(
            label: "cairn_object_store_written_bytes_total", dimensions: [("store", store)], factory: factory)
    }

    private func measure<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - start
            timers[operation]?.recordNanoseconds(
                elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        do {
            let result = try await body()
            count(operation, outcome: "ok")
            return result
        } catch {
            count(operation, outcome: (error as? ObjectStoreError)?.code.rawValue ?? "error")
            throw error
        }
    }

    private func count(_ operation: String, outcome: String) {
        Counter(
            label: "cairn_object_store_requests_total",
            dimensions: [("store", label), ("operation", operation), ("outcome", outcome)], factory: factory
        ).increment()
    }

    public func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        let object = try await measure("get") { try await base.get(key, range: range) }
        bytesRead.increment(by: object.data.count)
        return object
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        try await measure("head") { try await base.head(key) }
    }

    @discardableResult
    public func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        let info = try await measure("put") { try await base.put(key, data: data, condition: condition) }
        bytesWritten.increment(by: data.count)
        return info
    }

    public func delete(_ key: String) async throws {
        try await measure("delete") { try await base.delete(key) }
    }

    public func list(prefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws
        -> ObjectListPage
    {
        try await measure("list") {
            try await base.list(prefix: prefix, delimiter: delimiter, continuation: continuation, maxKeys: maxKeys)
        }
    }

    public func createMultipartUpload(_ key: String) async throws -> String {
        try await measure("create_multipart") { try await base.createMultipartUpload(key) }
    }

    public func uploadPart(_ key: String, uploadID: String, partNumber: Int, data: Data) async throws -> UploadedPart {
        let part = try await measure("upload_part") {
            try await base.uploadPart(key, uploadID: uploadID, partNumber: partNumber, data: data)
        }
        bytesWritten.increment(by: data.count)
        return part
    }

    @discardableResult
    public func completeMultipartUpload(
        _ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition
    ) async throws -> ObjectInfo {
        try await measure("complete_multipart") {
            try await base.completeMultipartUpload(key, uploadID: uploadID, parts: parts, condition: condition)
        }
    }

    public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        try await measure("abort_multipart") { try await base.abortMultipartUpload(key, uploadID: uploadID) }
    }
}
