// Metrics recorded per operation and outcome.
import Foundation
import MetricsTestKit
import ObjectStore
import StorageTesting
import Testing

@Suite struct InstrumentedStoreTests {
    @Test func countsOperationsOutcomesAndBytes() async throws {
        let metrics = TestMetrics()
        let store = InstrumentedStore(InMemoryStore(), store: "memory", factory: metrics)
        try await store.put("k", data: Data(count: 100))
        _ = try await store.get("k")
        _ = try? await store.get("missing")
        #expect(
            metrics.counterTotal(
                label: "cairn_object_store_requests_total",
                dimensions: [("store", "memory"), ("operation", "get"), ("outcome", "ok")]) == 1)
        #expect(
            metrics.counterTotal(
                label: "cairn_object_store_requests_total",
                dimensions: [("store", "memory"), ("operation", "get"), ("outcome", "not_found")]) == 1)
        #expect(metrics.counterTotal(label: "cairn_object_store_written_bytes_total") == 100)
        #expect(metrics.counterTotal(label: "cairn_object_store_read_bytes_total") == 100)
        let timer = try metrics.expectTimer(
            "cairn_object_store_request_duration_seconds", [("store", "memory"), ("operation", "get")])
        #expect(timer.values.count == 2)
    }
}
