// A bound that lets a large exact scan skip most rows without reading them whole (decision 0020): each row's
// projection onto a few directions of most variance (fitted on a sample of the rows), kept as int8 codes beside the
// row's own. The dot product of two vectors is their projections' dot product plus that of what the projection
// leaves out, which Cauchy–Schwarz bounds by the product of the left-out lengths; so from the projections and the
// lengths alone a scan knows the largest dot product a row can have with the query, hence the smallest distance it
// can have in every space, and a row that cannot beat the scan's threshold is passed over. Any orthonormal
// directions make the bound hold; directions of most variance make it tight (on data whose variance is spread
// evenly over every dimension nothing is passed over, and the scan reads each row whole, as it would without).

/// Orthonormal directions (`components` rows of `dimension` values) and what a scan needs to bound with them.
public struct ProjectionSketch: Sendable {
    public let dimension: Int
    public let components: Int
    /// Row-major, `components × dimension`; rows orthonormal.
    public let directions: [Float]

    /// Directions a sketch of `dimension`-value vectors uses: none below 64 values (their scans are cheap already).
    public static func components(forDimension dimension: Int) -> Int {
        dimension < 64 ? 0 : dimension < 512 ? 16 : 32
    }

    /// The `components` directions of most variance of `count` rows (row-major, `dimension` values each; rows holding
    /// NaN or infinity are left out), by a few rounds of subspace iteration; nil when fewer than `components` rows
    /// are usable or `components` is 0.
    public static func fit(_ rows: UnsafePointer<Float>, count: Int, dimension: Int, components: Int)
        -> ProjectionSketch?
    {
        guard components > 0, components <= dimension else { return nil }
        // The usable rows, centred (variance about the mean: the bound holds for any directions, these make it tight).
        var usable: [Int] = []
        for row in 0..<count {
            let values = UnsafeBufferPointer(start: rows + row * dimension, count: dimension)
            if values.allSatisfy(\.isFinite) { usable.append(row) }
        }
        guard usable.count >= components else { return nil }
        var mean = [Float](repeating: 0, count: dimension)
        for row in usable {
            for j in 0..<dimension { mean[j] += rows[row * dimension + j] }
        }
        for j in 0..<dimension { mean[j] /= Float(usable.count) }
        var centred = [Float](repeating: 0, count: usable.count * dimension)
        for (i, row) in usable.enumerated() {
            for j in 0..<dimension { centred[i * dimension + j] = rows[row * dimension + j] - mean[j] }
        }
        // Start from fixed pseudo-random directions (the same rows give the same sketch), laid out as `directions`.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var basis = (0..<(dimension * components)).map { _ -> Float in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        orthonormalise(&basis, dimension: dimension, components: components)
        let rowCount = usable.count
        var next = [Float](repeating: 0, count: dimension * components)
        for _ in 0..<8 {
            // next = centredᵀ · (centred · basis), then orthonormalised: one round of subspace iteration.
            centred.withUnsafeBufferPointer { centred in
                basis.withUnsafeBufferPointer { basis in
                    next.withUnsafeMutableBufferPointer { next in
                        next.update(repeating: 0)
                        for i in 0..<rowCount {
                            let row = centred.baseAddress! + i * dimension
                            for c in 0..<components {
                                let weight = DistanceKernels.dot(
                                    row, basis.baseAddress! + c * dimension, dimension: dimension)
                                let target = next.baseAddress! + c * dimension
                                for j in 0..<dimension { target[j] += weight * row[j] }
                            }
                        }
                    }
                }
            }
            swap(&basis, &next)
            orthonormalise(&basis, dimension: dimension, components: components)
        }
        return ProjectionSketch(dimension: dimension, components: components, directions: basis)
    }

    /// Modified Gram–Schmidt over the `components` vectors of `dimension` values in `basis` (one after another); a
    /// vector that vanishes (the rows span fewer directions) is replaced by a unit axis orthogonal to the others.
    private static func orthonormalise(_ basis: inout [Float], dimension: Int, components: Int) {
        for c in 0..<components {
            for attempt in 0...dimension {
                for previous in 0..<c {
                    var dot: Float = 0
                    for j in 0..<dimension { dot += basis[c * dimension + j] * basis[previous * dimension + j] }
                    for j in 0..<dimension { basis[c * dimension + j] -= dot * basis[previous * dimension + j] }
                }
                var norm: Float = 0
                for j in 0..<dimension { norm += basis[c * dimension + j] * basis[c * dimension + j] }
                norm = norm.squareRoot()
                if norm > 1e-6, norm.isFinite {
                    for j in 0..<dimension { basis[c * dimension + j] /= norm }
                    break
                }
                // Degenerate: try the axes in turn (one of them is independent of fewer than `dimension` vectors).
                for j in 0..<dimension { basis[c * dimension + j] = j == attempt % dimension ? 1 : 0 }
            }
        }
    }

    /// The projection of `vector` onto the directions, as int8 codes in `codes` (`components` of them), with its
    /// scale and the length of what the projection leaves out (`squaredNorm` is the vector's own). A vector that
    /// is not comparable (a NaN scale in its own codes) gets a NaN scale here too.
    public func encode(_ vector: UnsafePointer<Float>, squaredNorm: Float, into codes: UnsafeMutablePointer<Int8>)
        -> (scale: Float, leftOut: Float)
    {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: components) { projection in
            let projected = project(vector, into: projection.baseAddress!)
            let (scale, _) = Int8Quantizer.quantize(projection.baseAddress!, dimension: components, into: codes)
            guard squaredNorm.isFinite else { return (.nan, .nan) }
            return (scale, max(squaredNorm - projected, 0).squareRoot())
        }
    }

    /// Writes the projection of `vector` (`components` values) to `out`; returns its squared length.
    @discardableResult
    public func project(_ vector: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) -> Float {
        var squared: Float = 0
        directions.withUnsafeBufferPointer { directions in
            for c in 0..<components {
                let value = DistanceKernels.dot(directions.baseAddress! + c * dimension, vector, dimension: dimension)
                out[c] = value
                squared += value * value
            }
        }
        return squared
    }
}

/// A run's sketches (`ProjectionSketch`), row by row beside its codes: the projection's int8 codes (`components` a
/// row), their scale (NaN for a row that is never a candidate) and the length the projection leaves out.
public struct SketchRows {
    public let codes: UnsafePointer<Int8>
    public let scales: UnsafePointer<Float>
    public let leftOut: UnsafePointer<Float>

    public init(codes: UnsafePointer<Int8>, scales: UnsafePointer<Float>, leftOut: UnsafePointer<Float>) {
        self.codes = codes
        self.scales = scales
        self.leftOut = leftOut
    }
}
