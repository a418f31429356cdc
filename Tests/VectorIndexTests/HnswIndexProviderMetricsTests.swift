// The provider's counts reach swift-metrics (what the server's /metrics endpoint exports).
import Foundation
import MetricsTestKit
import ObjectStore
import Testing

@testable import VectorIndex

@Suite struct HnswIndexProviderMetricsTests {
    @Test func hitsMissesLoadsEvictionsAndBytesAreReported() async throws {
        let store = InMemoryStore()
        try await HnswIndexProviderTests.seed(store, id: "a")
        let size = try await HnswIndexProviderTests.seed(store, id: "b")
        let metrics = TestMetrics()
        let root = try HnswIndexProviderTests.temporaryRoot()
        defer { try? FileManager.default.removeItem(at: root) }
        // Room for one index: loading the second evicts the first.
        let provider = HnswIndexProvider(
            store: store, capacityBytes: size + size / 2, temporaryRoot: root, factory: metrics)
        _ = try await provider.get(HnswIndexProviderTests.location("a"))
        _ = try await provider.get(HnswIndexProviderTests.location("a"))
        _ = try await provider.get(HnswIndexProviderTests.location("b"))
        let dimensions = [("cache", "hnsw")]
        #expect(metrics.counterTotal(label: "cairn_cache_hits_total", dimensions: dimensions) == 1)
        #expect(metrics.counterTotal(label: "cairn_cache_misses_total", dimensions: dimensions) == 2)
        #expect(metrics.counterTotal(label: "cairn_cache_loads_total", dimensions: dimensions) == 2)
        #expect(metrics.counterTotal(label: "cairn_cache_evictions_total", dimensions: dimensions) == 1)
        let bytes = try metrics.expectGauge("cairn_cache_bytes", dimensions)
        #expect(bytes.lastValue == Double(provider.metrics.bytesResident))
        #expect(provider.metrics.hits == 1 && provider.metrics.evictions == 1)
    }
}
