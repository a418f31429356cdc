import Testing
import VectorIndex

// The log tail's large exact scans compare int8 codes first and the best rows exactly (decision 0020). What users
// rely on: the same k nearest, with the same exact distances, as a float scan, in every space.
@Suite struct QuantizedScanTests {
    /// The two-pass scan over `data`; with `sketch`, every row from `sketchedFrom` on carries its sketch (runs are
    /// sketched whole or not at all, as the log tail hands them over).
    static func scan(
        _ data: Dataset, query: [Float], space: DistanceSpace, k: Int, sketch: ProjectionSketch? = nil,
        sketchedFrom: Int = 0, ceiling: Float = .infinity
    ) throws -> [Neighbor] {
        let d = data.dimension
        var codes = [Int8](repeating: 0, count: data.vectors.count)
        var scales: [Float] = []
        var norms: [Float] = []
        let components = sketch?.components ?? 0
        var sketchCodes = [Int8](repeating: 0, count: data.count * components)
        var sketchScales: [Float] = []
        var leftOut: [Float] = []
        data.vectors.withUnsafeBufferPointer { v in
            codes.withUnsafeMutableBufferPointer { c in
                for row in 0..<data.count {
                    let (scale, norm) = Int8Quantizer.quantize(
                        v.baseAddress! + row * d, dimension: d, into: c.baseAddress! + row * d)
                    scales.append(scale)
                    norms.append(norm)
                    guard let sketch else { continue }
                    let (sketchScale, left) = sketchCodes.withUnsafeMutableBufferPointer {
                        sketch.encode(
                            v.baseAddress! + row * d, squaredNorm: norm, into: $0.baseAddress! + row * components)
                    }
                    sketchScales.append(sketchScale)
                    leftOut.append(left)
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
        if sketch != nil {
            runs = runs.flatMap { run in
                run.contains(sketchedFrom) && run.lowerBound < sketchedFrom
                    ? [run.lowerBound..<sketchedFrom, sketchedFrom..<run.upperBound] : [run]
            }
        }
        return try codes.withUnsafeBufferPointer { c in
            try data.vectors.withUnsafeBufferPointer { v in
                try scales.withUnsafeBufferPointer { s in
                    try norms.withUnsafeBufferPointer { n in
                        try BruteForce.searchQuantized(
                            query: query, dimension: d, space: space, k: k, sketch: sketch, ceiling: ceiling,
                            forEachRun: { body in
                                for run in runs {
                                    let sketched =
                                        sketch != nil && run.lowerBound >= sketchedFrom
                                        ? SketchRows(
                                            codes: sketchCodes.withUnsafeBufferPointer { $0.baseAddress! }
                                                + run.lowerBound * components,
                                            scales: sketchScales.withUnsafeBufferPointer { $0.baseAddress! }
                                                + run.lowerBound,
                                            leftOut: leftOut.withUnsafeBufferPointer { $0.baseAddress! }
                                                + run.lowerBound)
                                        : nil
                                    body(
                                        QuantizedRows(
                                            firstID: OffsetID(run.lowerBound), count: run.count,
                                            codes: c.baseAddress! + run.lowerBound * d,
                                            scales: s.baseAddress! + run.lowerBound,
                                            squaredNorms: n.baseAddress! + run.lowerBound, sketch: sketched))
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

// A large scan bounds rows by their sketches (a projection on a few directions of most variance, fitted on the
// first rows) before comparing their codes (decision 0020): the same answers as a float scan, on clustered data
// (where the bound passes over most rows) and on data with no direction of more variance (where it passes over
// none and the scan stops bounding).
@Suite struct ProjectionSketchTests {
    static func isotropic(count: Int, dimension: Int, seed: UInt64) -> Dataset {
        var data = Dataset(count: count, dimension: dimension, clusters: 1, seed: seed)
        var rng = SeededGenerator(seed: seed + 1)
        for index in data.vectors.indices { data.vectors[index] = rng.gaussian() }
        return data
    }

    static func fitted(_ data: Dataset, rows: Int = 2048) throws -> ProjectionSketch {
        let components = ProjectionSketch.components(forDimension: data.dimension)
        return try #require(
            data.vectors.withUnsafeBufferPointer {
                ProjectionSketch.fit($0.baseAddress!, count: rows, dimension: data.dimension, components: components)
            })
    }

    @Test func theDirectionsAreOrthonormal() throws {
        let data = Dataset(count: 2048, dimension: 64, clusters: 20, seed: 5)
        let sketch = try Self.fitted(data)
        #expect(sketch.components == 16)
        for a in 0..<16 {
            for b in 0..<16 {
                var dot: Float = 0
                for j in 0..<64 { dot += sketch.directions[a * 64 + j] * sketch.directions[b * 64 + j] }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-3)
            }
        }
        // Rows spanning fewer directions than asked for still give orthonormal ones.
        var flat = Dataset(count: 100, dimension: 64, clusters: 1, seed: 6)
        for index in flat.vectors.indices where index % 64 >= 3 { flat.vectors[index] = 0 }
        let few = try Self.fitted(flat, rows: 100)
        for a in 0..<16 {
            var norm: Float = 0
            for j in 0..<64 { norm += few.directions[a * 64 + j] * few.directions[a * 64 + j] }
            #expect(abs(norm - 1) < 1e-3)
        }
        #expect(ProjectionSketch.components(forDimension: 37) == 0, "short vectors are not sketched")
    }

    @Test(arguments: [DistanceSpace.l2, .ip, .cosine], [false, true])
    func aSketchedScanFindsWhatAFloatScanFinds(space: DistanceSpace, isotropic: Bool) throws {
        let data =
            isotropic
            ? Self.isotropic(count: 6000, dimension: 64, seed: 9)
            : Dataset(count: 6000, dimension: 64, clusters: 30, seed: 8)
        let sketch = try Self.fitted(data)
        var queries = SeededGenerator(seed: 11)
        for index in 0..<6 {
            let query =
                isotropic
                ? (0..<64).map { _ in queries.gaussian() }
                : data.vector(index * 997).map { $0 + 0.1 * queries.gaussian() }
            let exact = try BruteForce.search(
                query: query, vectors: data.vectors, ids: data.ids, dimension: 64, space: space, k: 10)
            let sketched = try QuantizedScanTests.scan(
                data, query: query, space: space, k: 10, sketch: sketch, sketchedFrom: 1000)
            #expect(sketched.map(\.id) == exact.map(\.id))
            #expect(sketched.map(\.distance) == exact.map(\.distance))
            // A ceiling at the true 10th distance (others nearer are known) keeps every row nearer than it.
            let below = try QuantizedScanTests.scan(
                data, query: query, space: space, k: 10, sketch: sketch, sketchedFrom: 1000,
                ceiling: exact[9].distance.nextUp)
            #expect(below.map(\.id) == exact.map(\.id))
        }
    }
}
