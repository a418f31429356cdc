// Retries what is safe to retry (time-outs, 5xx, throttling, truncated bodies) with exponential backoff and
// full jitter, bounded in attempts and total time. Conditional puts whose outcome was unknown are resolved by
// reading the object back, so a put that succeeded is never reported as a failure.
import Foundation

public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// Backoff before the second attempt; doubles each time, capped at `maxDelay`, with full jitter.
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// No new attempt starts after this much time since the first.
    public var totalTimeout: Duration

    public init(
        maxAttempts: Int = 6, baseDelay: Duration = .milliseconds(50), maxDelay: Duration = .seconds(2),
        totalTimeout: Duration = .seconds(60)
    ) {
        precondition(maxAttempts >= 1, "at least one attempt")
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.totalTimeout = totalTimeout
    }

    public static let `default` = RetryPolicy()

    /// The jittered delay before attempt `attempt + 1` (attempt counts from 1).
    public func delay(afterAttempt attempt: Int, random: Double) -> Duration {
        let exponent = min(attempt - 1, 30)
        let capped = min(baseDelay * (1 << exponent), maxDelay)
        return capped * random
    }
}

public final class RetryingStore: ObjectStore {
    public func localFile(_ key: String) -> URL? { base.localFile(key) }

    public let base: any ObjectStore
    public let policy: RetryPolicy
    private let sleep: @Sendable (Duration) async throws -> Void

    /// `sleep` is injectable so that tests need not wait for real backoff.
    public init(
        _ base: any ObjectStore, policy: RetryPolicy = .default,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.base = base
        self.policy = policy
        self.sleep = sleep
    }

    /// Runs `body` until it succeeds, fails with a non-retryable error, or the policy's bounds are reached.
    /// `onRetryableFailure` sees every retryable failure (to note ambiguous outcomes).
    private func retrying<T>(
        _ body: () async throws -> T, onRetryableFailure: (ObjectStoreError) -> Void = { _ in }
    ) async throws -> T {
        let clock = ContinuousClock()
        let start = clock.now
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch let error as ObjectStoreError where error.isRetryable {
                onRetryableFailure(error)
                let delay = policy.delay(afterAttempt: attempt, random: Double.random(in: 0...1))
                guard attempt < policy.maxAttempts, clock.now - start + delay < policy.totalTimeout else {
                    throw error
                }
                attempt += 1
                try await sleep(delay)
            }
        }
    }

    public func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        try await retrying {
            let object = try await base.get(key, range: range)
            try object.checkComplete()
            return object
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        try await retrying { try await base.head(key) }
    }

    @discardableResult
    public func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        var ambiguous = false
        do {
            return try await retrying(
                { try await base.put(key, data: data, condition: condition) },
                onRetryableFailure: { if $0.code == .transient { ambiguous = true } })
        } catch let error as ObjectStoreError where error.code == .preconditionFailed && ambiguous {
            // An earlier attempt may have been applied before its answer was lost; if the object now holds
            // exactly our bytes, that attempt won and this put succeeded.
            if let info = try await objectHolding(data, key: key) { return info }
            throw error
        }
    }

    public func delete(_ key: String) async throws {
        try await retrying { try await base.delete(key) }
    }

    public func list(prefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws
        -> ObjectListPage
    {
        try await retrying {
            try await base.list(prefix: prefix, delimiter: delimiter, continuation: continuation, maxKeys: maxKeys)
        }
    }

    public func createMultipartUpload(_ key: String) async throws -> String {
        try await retrying { try await base.createMultipartUpload(key) }
    }

    public func uploadPart(_ key: String, uploadID: String, partNumber: Int, data: Data) async throws -> UploadedPart {
        try await retrying { try await base.uploadPart(key, uploadID: uploadID, partNumber: partNumber, data: data) }
    }

    @discardableResult
    public func completeMultipartUpload(
        _ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition
    ) async throws -> ObjectInfo {
        var ambiguous = false
        do {
            return try await retrying(
                { try await base.completeMultipartUpload(key, uploadID: uploadID, parts: parts, condition: condition) },
                onRetryableFailure: { if $0.code == .transient { ambiguous = true } })
        } catch let error as ObjectStoreError
            where ambiguous && (error.code == .notFound || error.code == .preconditionFailed)
        {
            // The upload is gone (or the condition now fails) because an earlier attempt completed it: accept the
            // object if it has the size the parts add up to.
            let expected = parts.reduce(0) { $0 + $1.size }
            if let info = try? await head(key), info.size == expected { return info }
            throw error
        }
    }

    public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        try await retrying { try await base.abortMultipartUpload(key, uploadID: uploadID) }
    }

    private func objectHolding(_ data: Data, key: String) async throws -> ObjectInfo? {
        guard let current = try? await get(key, range: nil) else { return nil }
        return current.data == data ? current.info : nil
    }
}
