// Distance kernels in Swift for brute-force search. Each loop step takes 16 floats of each vector as two
// SIMD8 values (four SSE registers on a generic x86_64 build) into two SIMD8 accumulators, so four
// independent add chains run at once; pointers advance instead of an index (no overflow check per step),
// and the accumulators are folded as vectors (halves added) rather than lane by lane.
// No SIMD16.addingProduct: without FMA enabled for the target it lowers to slow scalar code. Single SIMD4
// accumulators fed from several loads per step are mis-compiled into lane shuffles by LLVM (2x slower).
// Measured against hnswlib's SSE kernels in `IndexBench` (docs/benchmarks.md, "Distance kernels").

/// Distance functions over raw `Float` pointers of `dimension` elements.
public enum DistanceKernels {
    /// Squared Euclidean distance.
    @inlinable
    public static func l2Squared(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension: Int) -> Float {
        var pa = a
        var pb = b
        let end16 = a + (dimension & ~15)
        var acc0 = SIMD8<Float>()
        var acc1 = SIMD8<Float>()
        while pa < end16 {
            let d0 = load8(pa) - load8(pb)
            let d1 = load8(pa + 8) - load8(pb + 8)
            acc0 += d0 * d0
            acc1 += d1 * d1
            pa += 16
            pb += 16
        }
        var result = horizontalSum(acc0 + acc1)
        let end = a + dimension
        while pa < end {
            let d = pa.pointee - pb.pointee
            result += d * d
            pa += 1
            pb += 1
        }
        return result
    }

    /// Inner product (not a distance: see `distance(_:_:_:dimension:)`).
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension: Int) -> Float {
        var pa = a
        var pb = b
        let end16 = a + (dimension & ~15)
        var acc0 = SIMD8<Float>()
        var acc1 = SIMD8<Float>()
        while pa < end16 {
            acc0 += load8(pa) * load8(pb)
            acc1 += load8(pa + 8) * load8(pb + 8)
            pa += 16
            pb += 16
        }
        var result = horizontalSum(acc0 + acc1)
        let end = a + dimension
        while pa < end {
            result += pa.pointee * pb.pointee
            pa += 1
            pb += 1
        }
        return result
    }

    /// Eight floats from a pointer of any alignment.
    @inlinable @inline(__always)
    static func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// The sum of the lanes, halves added as vectors (two vector adds and one scalar add, not seven in a row).
    @inlinable @inline(__always)
    static func horizontalSum(_ v: SIMD8<Float>) -> Float {
        let four = v.lowHalf + v.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// 1 − cosine similarity of two vectors of any length (0 when either is all zeros, as Chroma does not
    /// define it: such vectors are then equally far from everything).
    @inlinable
    public static func cosineDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension: Int) -> Float {
        let ab = dot(a, b, dimension: dimension)
        let aa = dot(a, a, dimension: dimension)
        let bb = dot(b, b, dimension: dimension)
        let denominator = (aa * bb).squareRoot()
        return denominator > 0 ? 1 - ab / denominator : 1
    }

    /// The distance of `space` between two raw vectors, as the index reports it.
    @inlinable
    public static func distance(
        _ space: DistanceSpace, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension: Int
    ) -> Float {
        switch space {
        case .l2: return l2Squared(a, b, dimension: dimension)
        case .ip: return 1 - dot(a, b, dimension: dimension)
        case .cosine: return cosineDistance(a, b, dimension: dimension)
        }
    }

    /// `vector` scaled to unit length (unchanged when all zeros).
    public static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, dimension: $0.count) }
            .squareRoot()
        guard norm > 0 else { return vector }
        let scale = 1 / norm
        return vector.map { $0 * scale }
    }
}
