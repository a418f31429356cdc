// The store conformance suite (StorageTesting) against the local-folder and in-memory stores.
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct LocalFileStoreConformanceTests {
    @Test(arguments: ObjectStoreConformance.checkNames)
    func conformance(_ check: String) async throws {
        try await TemporaryDirectory.with { dir in
            let store = try LocalFileStore(root: dir)
            try await ObjectStoreConformance.run(check, on: store)
        }
    }
}

@Suite struct InMemoryStoreConformanceTests {
    @Test(arguments: ObjectStoreConformance.checkNames)
    func conformance(_ check: String) async throws {
        try await ObjectStoreConformance.run(check, on: InMemoryStore())
    }
}

@Suite struct WrappedStoreConformanceTests {
    /// The wrappers must not change a store's behaviour when nothing fails.
    @Test(arguments: ObjectStoreConformance.checkNames)
    func retryingAndInstrumented(_ check: String) async throws {
        let store = RetryingStore(InstrumentedStore(InMemoryStore(), store: "memory"))
        try await ObjectStoreConformance.run(check, on: store)
    }
}
