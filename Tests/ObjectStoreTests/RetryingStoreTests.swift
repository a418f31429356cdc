// Retries: what is retried, what is not, and conditional puts whose answers were lost.
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct RetryingStoreTests {
    /// Retries without real waiting.
    func retrying(_ base: any ObjectStore, attempts: Int = 6) -> RetryingStore {
        RetryingStore(base, policy: RetryPolicy(maxAttempts: attempts), sleep: { _ in })
    }

    @Test func transientFailuresAreRetried() async throws {
        let faulty = FaultInjectingStore(InMemoryStore())
        let store = retrying(faulty)
        faulty.failNext(3, with: .transient, on: [.put])
        try await store.put("k", data: Data("v".utf8))
        faulty.failNext(2, with: .throttled, on: [.get])
        #expect(try await store.get("k").data == Data("v".utf8))
        #expect(faulty.injectedFailures == 5)
    }

    @Test func accessDeniedIsNotRetried() async throws {
        let faulty = FaultInjectingStore(InMemoryStore())
        let store = retrying(faulty)
        faulty.failNext(10, with: .accessDenied, on: [.get])
        let before = faulty.operationCount
        await #expect {
            _ = try await store.get("k")
        } throws: { error in
            (error as? ObjectStoreError)?.code == .accessDenied
        }
        #expect(faulty.operationCount - before == 1, "a rejected credential must fail after one request")
    }

    @Test func attemptsAreBounded() async throws {
        let faulty = FaultInjectingStore(InMemoryStore())
        faulty.setErrorRate(1.0, code: .transient)
        let store = retrying(faulty, attempts: 4)
        await #expect(throws: ObjectStoreError.self) { try await store.put("k", data: Data()) }
        #expect(faulty.operationCount == 4)
    }

    @Test func truncatedBodiesAreRetriedAndNeverReturned() async throws {
        let faulty = FaultInjectingStore(InMemoryStore())
        try await faulty.put("k", data: Data(repeating: 7, count: 1000))
        faulty.truncateNextGets(2)
        let object = try await retrying(faulty).get("k")
        #expect(object.data.count == 1000)
        faulty.truncateNextGets(10)
        await #expect {
            _ = try await retrying(faulty, attempts: 3).get("k")
        } throws: { error in
            (error as? ObjectStoreError)?.code == .truncated
        }
    }

    @Test func aConditionalPutWhoseAnswerWasLostStillSucceeds() async throws {
        // The first attempt is applied but its answer is lost (500); the retry then sees 412 against its own
        // write. The put must report success, not failure.
        let faulty = FaultInjectingStore(InMemoryStore())
        let store = retrying(faulty)
        faulty.failNext(1, with: .transient, on: [.put], afterApplying: true)
        let info = try await store.put("k", data: Data("mine".utf8), condition: .ifNoneMatch)
        #expect(info.size == 4)

        let current = try await faulty.head("k")
        faulty.failNext(1, with: .transient, on: [.put], afterApplying: true)
        try await store.put("k", data: Data("next".utf8), condition: .ifMatch(etag: current.etag))
        #expect(try await faulty.get("k").data == Data("next".utf8))
    }

    @Test func aConditionalPutThatLostToAnotherWriterStillFails() async throws {
        let faulty = FaultInjectingStore(InMemoryStore())
        try await faulty.put("k", data: Data("theirs".utf8))
        faulty.failNext(1, with: .transient, on: [.put])
        await #expect {
            try await retrying(faulty).put("k", data: Data("mine".utf8), condition: .ifNoneMatch)
        } throws: { error in
            (error as? ObjectStoreError)?.code == .preconditionFailed
        }
        #expect(try await faulty.get("k").data == Data("theirs".utf8))
    }

    @Test func backoffGrowsAndIsCapped() {
        let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(1))
        #expect(policy.delay(afterAttempt: 1, random: 1) == .milliseconds(100))
        #expect(policy.delay(afterAttempt: 3, random: 1) == .milliseconds(400))
        #expect(policy.delay(afterAttempt: 10, random: 1) == .seconds(1))
        #expect(policy.delay(afterAttempt: 3, random: 0.5) == .milliseconds(200))
    }
}
