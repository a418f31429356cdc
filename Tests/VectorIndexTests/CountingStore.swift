// An ObjectStore wrapper for provider tests: counts gets per key and can slow them down, so that
// concurrent callers really overlap with a hydration in flight.
import Foundation
import ObjectStore
import Synchronization

@testable import VectorIndex

final class CountingStore: WrappingStore {
    let base: InMemoryStore
    var wrapped: any ObjectStore { base }
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
}
