// A two-pass exact scan for large unindexed sets (the log tail right after a bulk load, decision 0020): the first
// pass compares int8 codes (a quarter of the bytes of the floats, so four times the rows per byte of memory
// bandwidth), the second compares the floats of the few best rows exactly. Each vector's codes are its values
// divided by one scale (its largest magnitude / 127) and rounded; distances are rebuilt from the codes' dot product,
// the scales and the exact squared norms.
import CHNSW

/// A run of rows with consecutive ids (`firstID`, `firstID + 1`, …): their int8 codes one after the other, each
/// row's scale (the vector is about `scale * codes`; NaN for a vector that is not comparable: never a candidate) and
/// the exact squared norm of its float vector.
public struct QuantizedRows {
    public let firstID: OffsetID
    public let count: Int
    public let codes: UnsafePointer<Int8>
    public let scales: UnsafePointer<Float>
    public let squaredNorms: UnsafePointer<Float>

    public init(
        firstID: OffsetID, count: Int, codes: UnsafePointer<Int8>, scales: UnsafePointer<Float>,
        squaredNorms: UnsafePointer<Float>
    ) {
        self.firstID = firstID
        self.count = count
        self.codes = codes
        self.scales = scales
        self.squaredNorms = squaredNorms
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
    /// quantization moved it behind that many others.
    public static func searchQuantized(
        query: [Float], dimension: Int, space: DistanceSpace, k: Int,
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
                    let codes = queryCodes.baseAddress!
                    let dots = dots.baseAddress!
                    let (queryScale, queryNorm) = Int8Quantizer.quantize(q, dimension: dimension, into: codes)
                    guard !queryScale.isNaN else { return }
                    let queryLength = queryNorm.squareRoot()
                    forEachRun { run in
                        var start = 0
                        while start < run.count {
                            let count = min(rowsPerCall, run.count - start)
                            cairn_int8_dot_rows(codes, run.codes + start * dimension, count, dimension, dots)
                            for row in start..<(start + count) {
                                let scale = run.scales[row]
                                let dot = queryScale * scale * Float(dots[row - start])
                                let distance: Float
                                switch space {
                                case .l2: distance = queryNorm + run.squaredNorms[row] - 2 * dot
                                case .ip: distance = 1 - dot
                                case .cosine:
                                    let lengths = queryLength * run.squaredNorms[row].squareRoot()
                                    distance = lengths > 0 ? 1 - dot / lengths : 1
                                }
                                // (A NaN scale makes a NaN distance, which is never below the threshold.)
                                if distance < firstPass.threshold {
                                    firstPass.insert(run.firstID + OffsetID(row), distance)
                                }
                            }
                            start += count
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
