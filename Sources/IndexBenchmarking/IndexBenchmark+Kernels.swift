import CHNSW
// Distance kernels side by side: the Swift SIMD kernels (DistanceKernels), hnswlib's own SSE kernels as
// this build compiles them, and the shim's runtime-dispatched kernel, in one harness, over four ways of
// walking the dataset. Which vectors a kernel reads, and from which cache level, moves the figures more
// than the kernels differ: with the data in L1 the arithmetic decides (Swift's four add chains beat
// hnswlib's one), from memory the loads do (every kernel ties). One access pattern alone misleads.
import VectorIndex

extension IndexBenchmark {
    /// One way of walking the dataset: the i-th call measures the vectors at float offsets `a[i]` and
    /// `b[i]`, optionally prefetching the `b` vector four calls ahead (as brute force does).
    struct KernelPattern {
        var name: String
        var a: [Int]
        var b: [Int]
        var prefetch = false
    }

    /// The patterns, all with one query-sized `a` except the last:
    /// - `query_vs_l1_rows`: a query against 64 rows again and again (the data in L1: arithmetic only);
    /// - `query_vs_l2_rows`: against 2,000 rows in order (L2);
    /// - `query_vs_all_rows_prefetched`: against every row in random order, prefetching ahead — what
    ///   Cairn's brute force over an allowed set does (memory-bound);
    /// - `random_pairs_l2`: both vectors change on every call, among 1,000 rows (what graph construction does).
    static func kernelPatterns(count: Int, dimension d: Int, calls: Int) -> [KernelPattern] {
        var rng = SystemRandomNumberGenerator()
        let query = 0
        let l1Rows = min(64, count)
        let l2Rows = min(2000, count)
        let pairRows = min(1000, count)
        let shuffled = (0..<count).shuffled(using: &rng)
        return [
            KernelPattern(
                name: "query_vs_l1_rows", a: Array(repeating: query, count: calls),
                b: (0..<calls).map { ($0 % l1Rows) * d }),
            KernelPattern(
                name: "query_vs_l2_rows", a: Array(repeating: query, count: calls),
                b: (0..<calls).map { ($0 % l2Rows) * d }),
            KernelPattern(
                name: "query_vs_all_rows_prefetched", a: Array(repeating: query, count: calls),
                b: (0..<calls).map { shuffled[$0 % count] * d }, prefetch: true),
            KernelPattern(
                name: "random_pairs_l2", a: (0..<calls).map { ($0 % pairRows) * d },
                b: (0..<calls).map { (($0 * 7 + 3) % pairRows) * d }),
        ]
    }

    /// Nanoseconds per distance of each kernel in each pattern (best of five runs each; the kernels take
    /// turns, so a slow moment of the machine does not land on one kernel alone). Every kernel is called the
    /// way hnswlib calls its own: through a C function pointer with the dimension behind a parameter
    /// pointer, from one loop, so the harness costs each the same.
    func kernelTimings(_ data: Dataset) -> [String: [String: Double]] {
        let d = data.dimension
        let calls = 1_000_000
        var l2Parameter: UnsafeRawPointer?
        var ipParameter: UnsafeRawPointer?
        let hnswlibL2 = cairn_hnswlib_kernel(Int32(CAIRN_HNSW_SPACE_L2), d, &l2Parameter)!
        let hnswlibIP = cairn_hnswlib_kernel(Int32(CAIRN_HNSW_SPACE_IP), d, &ipParameter)!
        // The Swift kernels (and the shim's) behind the same C signature as hnswlib's.
        let kernels: [(String, cairn_hnswlib_distance_function, UnsafeRawPointer?)] = [
            ("swift_l2", { DistanceKernels.l2Squared(floats($0), floats($1), dimension: dimension($2)) }, l2Parameter),
            ("hnswlib_sse_l2", hnswlibL2, l2Parameter),
            (
                "shim_dispatch_l2",
                { cairn_hnsw_distance(Int32(CAIRN_HNSW_SPACE_L2), floats($0), floats($1), dimension($2)) },
                l2Parameter
            ),
            ("swift_ip", { 1 - DistanceKernels.dot(floats($0), floats($1), dimension: dimension($2)) }, ipParameter),
            ("hnswlib_sse_ip", hnswlibIP, ipParameter),
        ]
        var result: [String: [String: Double]] = [:]
        let clock = ContinuousClock()
        data.base.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            let rowBytes = d * MemoryLayout<Float>.stride
            for pattern in Self.kernelPatterns(count: data.count, dimension: d, calls: calls) {
                var best = [String: Double]()
                pattern.a.withUnsafeBufferPointer { a in
                    pattern.b.withUnsafeBufferPointer { b in
                        for _ in 0..<5 {
                            for (name, kernel, parameter) in kernels {
                                var sink: Float = 0
                                let start = clock.now
                                if pattern.prefetch {
                                    for i in 0..<calls {
                                        HNSWIndex.prefetch(
                                            UnsafeRawPointer(base + b[i + 4 < calls ? i + 4 : i]), bytes: rowBytes)
                                        sink += kernel(base + a[i], base + b[i], parameter)
                                    }
                                } else {
                                    for i in 0..<calls { sink += kernel(base + a[i], base + b[i], parameter) }
                                }
                                let ns = Self.seconds(clock.now - start) / Double(calls) * 1e9
                                // `sink` is used, so the loop cannot be optimised away.
                                best[name] = min(best[name] ?? .infinity, sink.isNaN ? ns + 1 : ns)
                            }
                        }
                    }
                }
                result[pattern.name] = best
            }
        }
        return result
    }
}

/// The arguments of a C distance function, as hnswlib passes them: two vectors and a pointer to the dimension.
private func floats(_ vector: UnsafeRawPointer?) -> UnsafePointer<Float> { vector!.assumingMemoryBound(to: Float.self) }
private func dimension(_ parameter: UnsafeRawPointer?) -> Int { parameter!.load(as: Int.self) }
