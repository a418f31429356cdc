// A two-pass exact scan for large unindexed sets (the log tail right after a bulk load, decision 0020): the first
// pass compares int8 codes (a quarter of the bytes of the floats, so four times the rows per byte of memory
// bandwidth), the second compares the floats of the few best rows exactly. Each vector's codes are its values
// divided by one scale (its largest magnitude / 127) and rounded; distances are rebuilt from the codes' dot product,
// the scales and the exact squared norms.
import CHNSW

/// A run of rows with consecutive ids (`firstID`, `firstID + 1`, …): their int8 codes one after the other, each
/// row's scale (the vector is about `scale * codes`; NaN for a vector that is not comparable: never a candidate) and
/// the exact squared norm of its float vector; and, when the rows were sketched (`ProjectionSketch`), their sketches.
public struct QuantizedRows {
    public let firstID: OffsetID
    public let count: Int
    public let codes: UnsafePointer<Int8>
    public let scales: UnsafePointer<Float>
    public let squaredNorms: UnsafePointer<Float>
    public let sketch: SketchRows?

    public init(
        firstID: OffsetID, count: Int, codes: UnsafePointer<Int8>, scales: UnsafePointer<Float>,
        squaredNorms: UnsafePointer<Float>, sketch: SketchRows? = nil
    ) {
        self.firstID = firstID
        self.count = count
        self.codes = codes
        self.scales = scales
        self.squaredNorms = squaredNorms
        self.sketch = sketch
    }
}

public enum Int8Quantizer {
    /// Writes the codes of `vector` (`dimension` floats) to `codes`; returns its scale and exact squared norm.
    /// A vector holding NaN or infinity gets a NaN scale.
    @discardableResult
    public static func quantize(_ vector: UnsafePointer<Float>, dimension: Int, into codes: UnsafeMutablePointer<Int8>)
        -> (scale: Float, squaredNorm: Float)
    {
        var largest: Float = 0
        for index in 0..<dimension { largest = max(largest, abs(vector[index])) }
        let squaredNorm = DistanceKernels.dot(vector, vector, dimension: dimension)
        guard largest.isFinite, squaredNorm.isFinite else {
            codes.update(repeating: 0, count: dimension)
            return (.nan, .nan)
        }
        guard largest > 0 else {
            codes.update(repeating: 0, count: dimension)
            return (0, 0)
        }
        let inverse = 127 / largest
        for index in 0..<dimension {
            codes[index] = Int8(clamping: Int((vector[index] * inverse).rounded()))
        }
        return (largest / 127, squaredNorm)
    }
}

extension BruteForce {
    /// Sets smaller than this are scanned as floats only: the first pass would save little.
    public static let quantizedScanMinimum = 4096
    /// Rows compared exactly in the second pass, per result asked for (and at least `minimumReranked`).
    public static let rerankedPerResult = 10
    public static let minimumReranked = 100
    /// Rows whose codes are compared in one call of the shim's kernel.
    static let rowsPerCall = 1024

    /// The `k` nearest to `query` of the rows `forEachRun` hands over, a run of consecutive ids at a time: the
    /// `max(k * rerankedPerResult, minimumReranked)` nearest by their codes, then those compared exactly (`vector`
    /// gives a row's floats). Distances returned are exact; a row among the true `k` nearest is missed only when
    /// quantization moved it behind that many others. Runs that carry sketches made with `sketch` are bounded by
    /// them first: a row whose smallest possible distance cannot enter the first pass, or is not below `ceiling`
    /// (the `k`-th nearest distance found elsewhere: such a row cannot be among the `k` nearest of both), is not
    /// compared (fewer bytes read, the same answer); a scan where most rows survive the bound stops bounding.
    public static func searchQuantized(
        query: [Float], dimension: Int, space: DistanceSpace, k: Int, sketch: ProjectionSketch? = nil,
        ceiling: Float = .infinity,
        forEachRun: ((QuantizedRows) -> Void) -> Void,
        vector: (OffsetID) -> UnsafePointer<Float>
    ) throws(VectorIndexError) -> [Neighbor] {
        guard dimension > 0, query.count == dimension else {
            throw VectorIndexError(.invalidArgument, "query has \(query.count) values, expected \(dimension)")
        }
        guard k > 0 else { return [] }
        var firstPass = TopK(k: max(k * rerankedPerResult, minimumReranked))
        query.withUnsafeBufferPointer { q in
            let q = q.baseAddress!
            withUnsafeTemporaryAllocation(of: Int8.self, capacity: dimension) { queryCodes in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: rowsPerCall) { dots in
                    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: rowsPerCall) { admitted in
                        let codes = queryCodes.baseAddress!
                        let dots = dots.baseAddress!
                        let admitted = admitted.baseAddress!
                        let (queryScale, queryNorm) = Int8Quantizer.quantize(q, dimension: dimension, into: codes)
                        guard !queryScale.isNaN else { return }
                        let queryLength = queryNorm.squareRoot()
                        /// The distance of a row with this dot product with the query and this squared norm.
                        func distance(dot: Float, squaredNorm: Float) -> Float {
                            switch space {
                            case .l2: return queryNorm + squaredNorm - 2 * dot
                            case .ip: return 1 - dot
                            case .cosine:
                                let lengths = queryLength * squaredNorm.squareRoot()
                                return lengths > 0 ? 1 - dot / lengths : 1
                            }
                        }
                        var bound = sketch.flatMap {
                            $0.dimension == dimension ? SketchBound($0, query: q, queryNorm: queryNorm) : nil
                        }
                        forEachRun { run in
                            var start = 0
                            while start < run.count {
                                let count = min(rowsPerCall, run.count - start)
                                if let sketchRows = run.sketch, let current = bound, current.worthIt {
                                    // Only rows whose sketch allows them into the first pass are compared by their
                                    // codes (the threshold as the block starts: it only falls as the block goes on).
                                    let survivors = current.admit(
                                        sketchRows, squaredNorms: run.squaredNorms, from: start, count: count,
                                        below: min(firstPass.threshold, ceiling), space: space, queryNorm: queryNorm,
                                        dots: dots, into: admitted)
                                    // The survivors' codes, scattered through the block: fetched ahead of use.
                                    cairn_int8_dot_picked(
                                        codes, run.codes + start * dimension, dimension, admitted, survivors, dots)
                                    for index in 0..<survivors {
                                        let row = start + Int(admitted[index])
                                        let d = distance(
                                            dot: queryScale * run.scales[row] * Float(dots[index]),
                                            squaredNorm: run.squaredNorms[row])
                                        if d < firstPass.threshold { firstPass.insert(run.firstID + OffsetID(row), d) }
                                    }
                                    bound?.record(rows: count, survivors: survivors)
                                    start += count
                                    continue
                                }
                                cairn_int8_dot_rows(codes, run.codes + start * dimension, count, dimension, dots)
                                for row in start..<(start + count) {
                                    let d = distance(
                                        dot: queryScale * run.scales[row] * Float(dots[row - start]),
                                        squaredNorm: run.squaredNorms[row])
                                    // (A NaN scale makes a NaN distance, which is never below the threshold.)
                                    if d < firstPass.threshold { firstPass.insert(run.firstID + OffsetID(row), d) }
                                }
                                start += count
                            }
                        }
                    }
                }
            }
        }
        var top = TopK(k: k)
        query.withUnsafeBufferPointer { q in
            for id in firstPass.ids {
                let d = DistanceKernels.distance(space, q.baseAddress!, vector(id), dimension: dimension)
                if d < top.threshold { top.insert(id, d) }
            }
        }
        return top.sorted()
    }
}

/// The query's side of a `ProjectionSketch` bound: its projection's codes, their scale, the length the projection
/// leaves out, and how far the codes' dot product may stray from the projections' own.
private struct SketchBound {
    let components: Int
    /// The query's projection as the rows' are kept (`ProjectionSketch.encode`).
    let codes: [Int8]
    let scale: Float
    let leftOut: Float
    /// Times a row's sketch scale: the most quantization moves the projections' dot product.
    let slack: Float
    private(set) var rows = 0
    private(set) var survivors = 0

    /// `queryNorm`: the query's squared norm.
    init?(_ sketch: ProjectionSketch, query: UnsafePointer<Float>, queryNorm: Float) {
        components = sketch.components
        var codes = [Int8](repeating: 0, count: components)
        (scale, leftOut) = codes.withUnsafeMutableBufferPointer {
            sketch.encode(query, squaredNorm: queryNorm, into: $0.baseAddress!)
        }
        guard scale.isFinite, leftOut.isFinite else { return nil }
        self.codes = codes
        // Each value is within half a step of its code on both sides: |Σ(a+e)(b+f) − Σab| ≤ Σ|a|/2 + Σ|b|/2 + n/4,
        // with |b| ≤ 127.
        let magnitude = codes.reduce(Float(0)) { $0 + abs(Float($1)) }
        slack = scale * (magnitude / 2 + Float(components) * (127.0 / 2 + 0.25))
    }

    /// Bounding pays while few rows survive it; past this share (once enough rows were seen) the scan stops.
    static let survivorShare = 0.5
    static let rowsBeforeJudging = 4096

    var worthIt: Bool {
        rows < Self.rowsBeforeJudging || Double(survivors) < Self.survivorShare * Double(rows)
    }

    mutating func record(rows: Int, survivors: Int) {
        self.rows += rows
        self.survivors += survivors
    }

    /// Bounds rows `from..<from+count` of `rows` (squared norms `squaredNorms`, from the run's start) by their
    /// sketches: writes the places (from `from`) of those whose smallest possible distance is below `threshold` to
    /// `admitted` and returns how many. `dots` and `admitted` hold room for `count`.
    func admit(
        _ rows: SketchRows, squaredNorms: UnsafePointer<Float>, from: Int, count: Int, below threshold: Float,
        space: DistanceSpace, queryNorm: Float, dots: UnsafeMutablePointer<Int32>,
        into admitted: UnsafeMutablePointer<UInt32>
    ) -> Int {
        codes.withUnsafeBufferPointer { codes in
            cairn_sketch_admit(
                codes.baseAddress!, rows.codes + from * components, count, components, rows.scales + from,
                rows.leftOut + from, squaredNorms + from, scale, slack, leftOut, queryNorm, space.nativeValue,
                threshold, dots, admitted)
        }
    }
}
