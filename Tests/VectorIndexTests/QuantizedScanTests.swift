import Testing
import VectorIndex

// The log tail's large exact scans compare int8 codes first and the best rows exactly (decision 0020). What users
// rely on: the same k nearest, with the same exact distances, as a float scan, in every space.
@Suite struct QuantizedScanTests {
    static func scan(_ data: Dataset, query: [Float], space: DistanceSpace, k: Int) throws -> [Neighbor] {
        let d = data.dimension
        var codes = [Int8](repeating: 0, count: data.vectors.count)
        var scales: [Float] = []
        var norms: [Float] = []
        data.vectors.withUnsafeBufferPointer { v in
            codes.withUnsafeMutableBufferPointer { c in
                for row in 0..<data.count {
                    let (scale, norm) = Int8Quantizer.quantize(
                        v.baseAddress! + row * d, dimension: d, into: c.baseAddress! + row * d)
                    scales.append(scale)
                    norms.append(norm)
                }
            }
        }
        // Handed over in runs of every length (one row, a few, more than one kernel call holds).
        var runs: [Range<Int>] = []
        var start = 0
        for length in [1, 2, 7, 1, 1500, 3, 64] where start < data.count {
            runs.append(start..<min(start + length, data.count))
            start += length
        }
        if start < data.count { runs.append(start..<data.count) }
        return try codes.withUnsafeBufferPointer { c in
            try data.vectors.withUnsafeBufferPointer { v in
                try scales.withUnsafeBufferPointer { s in
                    try norms.withUnsafeBufferPointer { n in
                        try BruteForce.searchQuantized(
                            query: query, dimension: d, space: space, k: k,
                            forEachRun: { body in
                                for run in runs {
                                    body(
                                        QuantizedRows(
                                            firstID: OffsetID(run.lowerBound), count: run.count,
                                            codes: c.baseAddress! + run.lowerBound * d,
                                            scales: s.baseAddress! + run.lowerBound,
                                            squaredNorms: n.baseAddress! + run.lowerBound))
                                }
                            },
                            vector: { v.baseAddress! + Int($0) * d })
                    }
                }
            }
        }
    }

    /// Dimensions the shim compares four rows at a time (multiples of 16) and row by row (others).
    @Test(arguments: [DistanceSpace.l2, .ip, .cosine], [64, 37])
    func theTwoPassScanFindsWhatAFloatScanFinds(space: DistanceSpace, dimension: Int) throws {
        let data = Dataset(count: 8000, dimension: dimension, clusters: 20, seed: 42)
        let ids = (0..<data.count).map { OffsetID($0) }
        var queries = SeededGenerator(seed: 7)
        for _ in 0..<20 {
            let query = (0..<data.dimension).map { _ in queries.gaussian() }
            let exact = try BruteForce.search(
                query: query, vectors: data.vectors, ids: ids, dimension: data.dimension, space: space, k: 10)
            let twoPass = try Self.scan(data, query: query, space: space, k: 10)
            #expect(twoPass.map(\.id) == exact.map(\.id))
            #expect(twoPass.map(\.distance) == exact.map(\.distance), "distances are the exact ones")
        }
    }

    /// A row holding NaN is never a candidate; an all-zero row is compared like any other.
    @Test func rowsWithoutAComparableVectorAreSkipped() throws {
        var data = Dataset(count: 200, dimension: 16, seed: 3)
        for j in 0..<16 {
            data.vectors[j] = .nan
            data.vectors[16 + j] = 0
        }
        let query = [Float](repeating: 0, count: 16)
        let found = try Self.scan(data, query: query, space: .l2, k: 5)
        #expect(!found.contains { $0.id == 0 })
        #expect(found.first?.id == 1 && found.first?.distance == 0)
        #expect(try Self.scan(data, query: query, space: .l2, k: 500).count == 199)
    }

    @Test func theCodesRebuildTheVector() {
        let vector: [Float] = [0.5, -1, 0.25, 0, 1e-3, -0.75, 1, 0.1]
        var codes = [Int8](repeating: 0, count: vector.count)
        let (scale, norm) = vector.withUnsafeBufferPointer { v in
            codes.withUnsafeMutableBufferPointer {
                Int8Quantizer.quantize(v.baseAddress!, dimension: vector.count, into: $0.baseAddress!)
            }
        }
        #expect(codes.map { abs($0) }.max() == 127)
        #expect(abs(norm - vector.reduce(0) { $0 + $1 * $1 }) < 1e-6)
        for (value, code) in zip(vector, codes) { #expect(abs(Float(code) * scale - value) <= scale / 2 + 1e-7) }
    }
}
