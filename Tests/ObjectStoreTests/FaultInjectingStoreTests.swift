// The fault injector itself: crashes stop everything after N operations, deterministically.
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct FaultInjectingStoreTests {
    @Test func crashBeforeApplyingLeavesTheOperationUndone() async throws {
        let base = InMemoryStore()
        let store = FaultInjectingStore(base)
        store.crash(afterOperations: 2)
        try await store.put("a", data: Data())
        await #expect(throws: ObjectStoreError.self) { try await store.put("b", data: Data()) }
        #expect(store.isCrashed)
        await #expect(throws: ObjectStoreError.self) { _ = try await store.get("a") }
        #expect(base.keys == ["a"])
        store.restart()
        #expect(try await store.get("a").data == Data())
    }

    @Test func crashAfterApplyingLosesOnlyTheAnswer() async throws {
        let base = InMemoryStore()
        let store = FaultInjectingStore(base)
        store.crash(afterOperations: 1, mode: .afterApplying)
        await #expect(throws: ObjectStoreError.self) { try await store.put("a", data: Data()) }
        #expect(base.keys == ["a"])
    }

    @Test func errorRateIsDeterministicForASeed() async throws {
        func failures(seed: UInt64) async -> [Bool] {
            let store = FaultInjectingStore(InMemoryStore(), seed: seed)
            store.setErrorRate(0.3)
            var outcome: [Bool] = []
            for i in 0..<50 { outcome.append((try? await store.put("k\(i)", data: Data())) == nil) }
            return outcome
        }
        let first = await failures(seed: 9)
        #expect(await failures(seed: 9) == first)
        #expect(first.contains(true) && first.contains(false))
    }
}
