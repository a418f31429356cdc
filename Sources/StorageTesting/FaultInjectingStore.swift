// Wraps a store and makes it misbehave on purpose: injected errors, latency, truncated bodies, and a
// "crash" after N operations, after which every operation fails, as if the process had died.
import Foundation
import ObjectStore
import Synchronization

public final class FaultInjectingStore: ObjectStore {
    /// Kinds of operations, for aiming faults.
    public enum Operation: String, Sendable, CaseIterable {
        case get, head, put, delete, list, multipart

        public var isMutating: Bool { self == .put || self == .delete || self == .multipart }
    }

    /// How a crash treats the operation that triggers it.
    public enum CrashMode: Sendable {
        /// The operation is not applied (the process died before it reached the store).
        case beforeApplying
        /// The operation is applied but its caller never learns it (the process died before the answer came).
        case afterApplying
    }

    private struct CrashPlan {
        var remaining: Int
        var mutatingOnly: Bool
        var mode: CrashMode
    }

    private struct State {
        var random: SplitMix64
        var failNext: [(operations: Set<Operation>, code: ObjectStoreError.Code, count: Int, applied: Bool)] = []
        var errorRate: Double = 0
        var errorRateCode: ObjectStoreError.Code = .transient
        var errorRateOperations: Set<Operation> = Set(Operation.allCases)
        var truncateNextGets = 0
        var latency: Duration = .zero
        var crash: CrashPlan?
        var crashed = false
        /// Writes (puts, multipart) that may still succeed before every further write fails (a filling disk).
        var writesUntilFull: Int?
        var operationCount = 0
        var mutationCount = 0
        var writeCount = 0
        var injectedFailures = 0
    }

    public let base: any ObjectStore
    private let state: Mutex<State>

    public init(_ base: any ObjectStore, seed: UInt64 = 1) {
        self.base = base
        state = Mutex(State(random: SplitMix64(seed: seed)))
    }

    // MARK: Configuration

    /// The next `count` operations of the given kinds fail with `code`: before reaching the store, or, with
    /// `afterApplying`, after the store applied them (an answer lost on the way back: an ambiguous outcome).
    public func failNext(
        _ count: Int, with code: ObjectStoreError.Code = .transient, on operations: Set<Operation>,
        afterApplying: Bool = false
    ) {
        state.withLock { $0.failNext.append((operations, code, count, afterApplying)) }
    }

    /// Each operation of the given kinds fails with probability `rate` (deterministic for a seed).
    public func setErrorRate(
        _ rate: Double, code: ObjectStoreError.Code = .transient,
        on operations: Set<Operation> = Set(Operation.allCases)
    ) {
        state.withLock {
            $0.errorRate = rate
            $0.errorRateCode = code
            $0.errorRateOperations = operations
        }
    }

    /// The next `writes` puts (and multipart operations) succeed, then every write fails with `io` as on a full
    /// disk, while reads and deletes go on working; `nil` frees the space again.
    public func fillUp(afterWrites writes: Int?) {
        state.withLock { $0.writesUntilFull = writes }
    }

    /// The next `count` gets return a body cut short (the object's metadata still claims the full length).
    public func truncateNextGets(_ count: Int) {
        state.withLock { $0.truncateNextGets += count }
    }

    /// Every operation waits this long first.
    public func setLatency(_ latency: Duration) {
        state.withLock { $0.latency = latency }
    }

    /// Crash when the `count`-th operation from now (mutations only, if `mutatingOnly`) starts.
    public func crash(afterOperations count: Int, mutatingOnly: Bool = true, mode: CrashMode = .beforeApplying) {
        precondition(count >= 1)
        state.withLock { $0.crash = CrashPlan(remaining: count, mutatingOnly: mutatingOnly, mode: mode) }
    }

    /// Brings a crashed store back (a restarted process on the same durable state) and clears every fault.
    public func restart() {
        state.withLock {
            $0.crash = nil
            $0.crashed = false
            $0.failNext = []
            $0.errorRate = 0
            $0.truncateNextGets = 0
            $0.latency = .zero
        }
    }

    public var isCrashed: Bool { state.withLock { $0.crashed } }
    /// Operations attempted so far (including failed ones).
    public var operationCount: Int { state.withLock { $0.operationCount } }
    /// Mutating operations attempted so far.
    public var mutationCount: Int { state.withLock { $0.mutationCount } }

    /// Puts and multipart operations so far (mutations other than deletes).
    public var writeCount: Int { state.withLock { $0.writeCount } }
    /// Failures injected so far (crashes excluded).
    public var injectedFailures: Int { state.withLock { $0.injectedFailures } }

    // MARK: The fault engine

    private enum Decision {
        case proceed
        case fail(ObjectStoreError)
        case applyThenCrash
        case applyThenFail(ObjectStoreError)
    }

    private func decide(_ operation: Operation, key: String) -> (Decision, Duration) {
        state.withLock { s in
            s.operationCount += 1
            if operation.isMutating { s.mutationCount += 1 }
            if operation == .put || operation == .multipart { s.writeCount += 1 }
            let crashedError = ObjectStoreError(.crashed, key: key, message: "injected crash: the store is down")
            if s.crashed { return (.fail(crashedError), s.latency) }
            if var plan = s.crash, !plan.mutatingOnly || operation.isMutating {
                plan.remaining -= 1
                s.crash = plan
                if plan.remaining == 0 {
                    s.crashed = true
                    s.crash = nil
                    return (plan.mode == .afterApplying ? .applyThenCrash : .fail(crashedError), s.latency)
                }
            }
            if let remaining = s.writesUntilFull, operation == .put || operation == .multipart {
                if remaining == 0 {
                    s.injectedFailures += 1
                    return (
                        .fail(ObjectStoreError(.io, key: key, message: "injected fault: no space left on device")),
                        s.latency
                    )
                }
                s.writesUntilFull = remaining - 1
            }
            if let index = s.failNext.firstIndex(where: { $0.operations.contains(operation) && $0.count > 0 }) {
                s.failNext[index].count -= 1
                let (code, applied) = (s.failNext[index].code, s.failNext[index].applied)
                if s.failNext[index].count == 0 { s.failNext.remove(at: index) }
                s.injectedFailures += 1
                let error = Self.injected(code, key: key)
                return (applied ? .applyThenFail(error) : .fail(error), s.latency)
            }
            if s.errorRate > 0, s.errorRateOperations.contains(operation),
                Double.random(in: 0..<1, using: &s.random) < s.errorRate
            {
                s.injectedFailures += 1
                return (.fail(Self.injected(s.errorRateCode, key: key)), s.latency)
            }
            return (.proceed, s.latency)
        }
    }

    private static func injected(_ code: ObjectStoreError.Code, key: String) -> ObjectStoreError {
        let status: Int? =
            switch code {
            case .transient: 500
            case .throttled: 503
            case .accessDenied: 403
            case .preconditionFailed: 412
            case .notFound: 404
            default: nil
            }
        return ObjectStoreError(code, key: key, message: "injected fault", httpStatus: status)
    }

    private func run<T>(_ operation: Operation, key: String, _ body: () async throws -> T) async throws -> T {
        let (decision, latency) = decide(operation, key: key)
        if latency > .zero { try await Task.sleep(for: latency) }
        switch decision {
        case .proceed:
            return try await body()
        case .fail(let error):
            throw error
        case .applyThenCrash:
            _ = try await body()
            throw ObjectStoreError(.crashed, key: key, message: "injected crash after the operation was applied")
        case .applyThenFail(let error):
            _ = try await body()
            throw error
        }
    }

    // MARK: ObjectStore

    public func get(_ key: String, range: ByteRange?) async throws -> ObjectData {
        var object = try await run(.get, key: key) { try await base.get(key, range: range) }
        let truncate = state.withLock { s in
            guard s.truncateNextGets > 0 else { return false }
            s.truncateNextGets -= 1
            s.injectedFailures += 1
            return true
        }
        if truncate && !object.data.isEmpty {
            object.data = object.data.prefix(object.data.count / 2)
        }
        return object
    }

    public func head(_ key: String) async throws -> ObjectInfo {
        try await run(.head, key: key) { try await base.head(key) }
    }

    @discardableResult
    public func put(_ key: String, data: Data, condition: PutCondition) async throws -> ObjectInfo {
        try await run(.put, key: key) { try await base.put(key, data: data, condition: condition) }
    }

    public func delete(_ key: String) async throws {
        try await run(.delete, key: key) { try await base.delete(key) }
    }

    public func list(prefix: String, delimiter: String?, continuation: String?, maxKeys: Int) async throws
        -> ObjectListPage
    {
        try await run(.list, key: prefix) {
            try await base.list(prefix: prefix, delimiter: delimiter, continuation: continuation, maxKeys: maxKeys)
        }
    }

    public func createMultipartUpload(_ key: String) async throws -> String {
        try await run(.multipart, key: key) { try await base.createMultipartUpload(key) }
    }

    public func uploadPart(_ key: String, uploadID: String, partNumber: Int, data: Data) async throws -> UploadedPart {
        try await run(.multipart, key: key) {
            try await base.uploadPart(key, uploadID: uploadID, partNumber: partNumber, data: data)
        }
    }

    @discardableResult
    public func completeMultipartUpload(
        _ key: String, uploadID: String, parts: [UploadedPart], condition: PutCondition
    ) async throws -> ObjectInfo {
        try await run(.multipart, key: key) {
            try await base.completeMultipartUpload(key, uploadID: uploadID, parts: parts, condition: condition)
        }
    }

    public func abortMultipartUpload(_ key: String, uploadID: String) async throws {
        try await run(.multipart, key: key) { try await base.abortMultipartUpload(key, uploadID: uploadID) }
    }
}
