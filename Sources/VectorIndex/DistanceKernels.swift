// Distance kernels in Swift for brute-force search: SIMD8 lanes with two independent accumulators, which
// on a generic x86_64 build (SSE2 baseline) beats a plain loop ~4x and matches or beats hnswlib's SSE
// kernels. No SIMD16.addingProduct: without FMA enabled for the target it lowers to slow scalar code.

/// Distance functions over raw `Float` pointers of `dimension` elements.
public enum DistanceKernels {
    /// Squared Euclidean distance.
    @inlinable
    public static func l2Squared(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension: Int) -> Float {
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        var acc0 = SIMD8<Float>()
        var acc1 = SIMD8<Float>()
        var i = 0
        let stride = MemoryLayout<Float>.stride
        while i + 16 <= dimension {
            let d0 =
                ra.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
                - rb.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
            let d1 =
                ra.loadUnaligned(fromByteOffset: (i + 8) * stride, as: SIMD8<Float>.self)
                - rb.loadUnaligned(fromByteOffset: (i + 8) * stride, as: SIMD8<Float>.self)
            acc0 += d0 * d0
            acc1 += d1 * d1
            i += 16
        }
        if i + 8 <= dimension {
            let d0 =
                ra.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
                - rb.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
            acc0 += d0 * d0
            i += 8
        }
        var result = (acc0 + acc1).sum()
        while i < dimension {
            let d = a[i] - b[i]
            result += d * d
            i += 1
        }
        return result
    }

    /// Inner product (not a distance: see `distance(_:_:_:dimension:)`).
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, dimension: Int) -> Float {
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        var acc0 = SIMD8<Float>()
        var acc1 = SIMD8<Float>()
        var i = 0
        let stride = MemoryLayout<Float>.stride
        while i + 16 <= dimension {
            acc0 +=
                ra.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
            acc1 +=
                ra.loadUnaligned(fromByteOffset: (i + 8) * stride, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: (i + 8) * stride, as: SIMD8<Float>.self)
            i += 16
        }
        if i + 8 <= dimension {
            acc0 +=
                ra.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<Float>.self)
            i += 8
        }
        var result = (acc0 + acc1).sum()
        while i < dimension {
            result += a[i] * b[i]
            i += 1
        }
        return result
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
