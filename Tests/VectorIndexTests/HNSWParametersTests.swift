// HNSWParameters: Chroma's names and defaults, and clear errors for bad metadata.
import Testing

@testable import VectorIndex

@Suite("HNSWParameters")
struct HNSWParametersTests {
    @Test("defaults are Chroma's")
    func defaults() {
        let p = HNSWParameters()
        #expect(p.space == .l2 && p.m == 16 && p.constructionEF == 100 && p.searchEF == 100)
        #expect(p.resizeFactor == 1.2 && p.batchSize == 100 && p.syncThreshold == 1000)
        #expect(p.numThreads >= 1)
    }

    @Test("read from collection metadata by Chroma's keys")
    func fromMetadata() throws {
        let p = try HNSWParameters(metadata: [
            "hnsw:space": .string("cosine"), "hnsw:M": .int(32), "hnsw:construction_ef": .int(200),
            "hnsw:search_ef": .int(50), "hnsw:num_threads": .int(3), "hnsw:resize_factor": .double(2),
            "hnsw:batch_size": .int(500), "hnsw:sync_threshold": .int(5000), "colour": .string("ignored"),
        ])
        #expect(
            p
                == HNSWParameters(
                    space: .cosine, m: 32, constructionEF: 200, searchEF: 50, numThreads: 3,
                    resizeFactor: 2, batchSize: 500, syncThreshold: 5000))
        #expect(try HNSWParameters(metadata: p.metadata) == p)
    }

    @Test(
        "bad values name the key",
        arguments: [
            ("hnsw:space", HNSWMetadataValue.string("manhattan")), ("hnsw:M", .int(0)), ("hnsw:M", .string("16")),
            ("hnsw:resize_factor", .double(0.5)), ("hnsw:unknown", .int(1)),
        ])
    func badValues(key: String, value: HNSWMetadataValue) {
        let error = #expect(throws: VectorIndexError.self) { try HNSWParameters(metadata: [key: value]) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains(key) == true)
    }
}
