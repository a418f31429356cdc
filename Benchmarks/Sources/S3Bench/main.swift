// S3Bench: PUT and GET latency and throughput of Cairn's S3Store against an S3 server, and the cost of
// SigV4 signing. Prints one JSON object per measurement (Benchmarks/run-s3.sh compares it with boto3).
//   S3Bench [--sizes 1024,1048576,67108864] [--iterations 200,40,5] [--sign-iterations 200000]
// Server and credentials: CAIRN_S3_TEST_URL (s3://bucket/prefix?endpoint=…&region=…) plus AWS_* variables.
import Foundation
import ObjectStore
import ObjectStoreS3
import SigV4

struct Options {
    var sizes = [1024, 1 << 20, 64 << 20]
    var iterations = [200, 40, 5]
    var signIterations = 200_000
    var onlySigning = false

    init(_ arguments: [String]) throws {
        var index = 1
        func value() throws -> String {
            index += 1
            guard index < arguments.count else { throw BenchError("missing value for \(arguments[index - 1])") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--sizes": sizes = try value().split(separator: ",").compactMap { Int($0) }
            case "--iterations": iterations = try value().split(separator: ",").compactMap { Int($0) }
            case "--sign-iterations": signIterations = Int(try value()) ?? signIterations
            case "--signing-only": onlySigning = true
            default: throw BenchError("unknown argument \(arguments[index])")
            }
            index += 1
        }
        guard sizes.count == iterations.count else { throw BenchError("--sizes and --iterations differ in length") }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func emit(_ fields: [String: Any]) {
    if let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]) {
        print(String(decoding: data, as: UTF8.self))
    }
}

func seconds(_ duration: Duration) -> Double {
    let (whole, atto) = duration.components
    return Double(whole) + Double(atto) / 1e18
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
    return sorted[min(sorted.count - 1, max(0, rank))]
}

func report(tool: String, op: String, size: Int, latencies: [Double]) {
    let sorted = latencies.sorted()
    let total = latencies.reduce(0, +)
    emit([
        "tool": tool, "op": op, "size": size, "n": latencies.count,
        "p50_ms": percentile(sorted, 50) * 1000, "p99_ms": percentile(sorted, 99) * 1000,
        "mib_per_s": Double(size * latencies.count) / total / 1_048_576,
        "latencies_ms": latencies.map { $0 * 1000 },
    ])
}

/// µs per signature of a typical S3 GET (path-style, a 70-byte key, the signing key cached).
func benchSigning(iterations: Int) {
    let signer = SigV4Signer(
        credentials: SigV4Credentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "s3")
    let request = SigV4Request(
        method: "GET", scheme: "http", host: "127.0.0.1", port: 9000,
        path: SigV4Encoding.s3Path(
            bucket: "cairn-test", key: "tenant/default/database/db/collection/0a1b2c3d/segment/5e6f/block/00000042"),
        headers: [HTTPHeaderField("Range", "bytes=0-1048575")], payloadHash: .emptyBody)
    let date = Date()
    var sink = 0
    for _ in 0..<1000 { sink &+= signer.sign(request, date: date).signature.utf8.count }
    let clock = ContinuousClock()
    let start = clock.now
    let cpuStart = threadCPUSeconds()
    for _ in 0..<iterations { sink &+= signer.sign(request, date: date).signature.utf8.count }
    let elapsed = seconds(clock.now - start)
    let cpu = threadCPUSeconds() - cpuStart
    let presignStart = clock.now
    for _ in 0..<(iterations / 4) {
        sink &+= ((try? signer.presign(request, expires: 3600, date: date))?.url.utf8.count ?? 0)
    }
    let presignElapsed = seconds(clock.now - presignStart)
    emit([
        "tool": "cairn", "op": "sigv4-sign-get", "n": iterations, "us_per_request": elapsed / Double(iterations) * 1e6,
        "cpu_us_per_request": cpu / Double(iterations) * 1e6,
        "presign_us_per_url": presignElapsed / Double(iterations / 4) * 1e6, "checksum": sink % 10,
    ])
}

/// CPU time of the calling thread: less disturbed than wall time on a shared machine.
func threadCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func randomData(_ count: Int, seed: UInt64) -> Data {
    var state = seed
    var data = Data(count: count)
    data.withUnsafeMutableBytes { buffer in
        let words = buffer.bindMemory(to: UInt8.self)
        var index = 0
        while index < words.count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            for _ in 0..<min(8, words.count - index) {
                words[index] = UInt8(truncatingIfNeeded: z)
                z >>= 8
                index += 1
            }
        }
    }
    return data
}

func benchStore(_ store: any ObjectStore, tool: String, prefix: String, options: Options) async throws {
    let clock = ContinuousClock()
    for (size, iterations) in zip(options.sizes, options.iterations) {
        let data = randomData(size, seed: UInt64(size))
        let key = prefix + "\(tool)-\(size)"
        // Warm-up: connections open, server caches primed.
        try await store.put(key, data: data)
        _ = try await store.get(key)
        var puts: [Double] = []
        var gets: [Double] = []
        for _ in 0..<iterations {
            let start = clock.now
            try await store.put(key, data: data)
            puts.append(seconds(clock.now - start))
        }
        for _ in 0..<iterations {
            let start = clock.now
            let object = try await store.get(key)
            gets.append(seconds(clock.now - start))
            guard object.data.count == size else {
                throw BenchError("GET returned \(object.data.count) of \(size) bytes")
            }
        }
        report(tool: tool, op: "PUT", size: size, latencies: puts)
        report(tool: tool, op: "GET", size: size, latencies: gets)
        try await store.delete(key)
    }
}

let options: Options
do {
    options = try Options(CommandLine.arguments)
} catch {
    FileHandle.standardError.write(Data("S3Bench: \(error)\n".utf8))
    exit(2)
}
benchSigning(iterations: options.signIterations)
if !options.onlySigning {
    do {
        guard let url = ProcessInfo.processInfo.environment["CAIRN_S3_TEST_URL"],
            case .s3(let bucket, let prefix, let query) = try StoreLocation(parsing: url)
        else { throw BenchError("set CAIRN_S3_TEST_URL=s3://bucket/prefix?endpoint=…&region=… and AWS_* credentials") }
        var configuration = try StoreFactory.s3Store(bucket: bucket, options: query).configuration
        let env = ProcessInfo.processInfo.environment
        if let text = env["S3BENCH_PART_SIZE"], let value = Int(text) { configuration.partSize = value }
        if let text = env["S3BENCH_PART_CONCURRENCY"], let value = Int(text) { configuration.partConcurrency = value }
        let base = S3Store(configuration: configuration)
        let scope = (prefix.isEmpty ? "" : prefix.hasSuffix("/") ? prefix : prefix + "/") + "s3bench/"
        try await benchStore(base, tool: "cairn", prefix: scope, options: options)
        // The other transfer shape for large objects: single requests on remote endpoints, parallel parts
        // (multipart upload, ranged GETs) on loopback ones, where single requests are the default.
        var other = base.configuration
        let otherTool: String
        if other.endpoint.isLoopback {
            other.multipartThreshold = other.partSize * 2
            other.parallelGet = true
            otherTool = "cairn-parallel-parts"
        } else {
            other.multipartThreshold = S3Configuration.maxSinglePut
            other.parallelGet = false
            otherTool = "cairn-single-request"
        }
        let large = options.sizes.enumerated().filter { $0.element > other.partSize * 2 }
        var otherOptions = options
        otherOptions.sizes = large.map(\.element)
        otherOptions.iterations = large.map { options.iterations[$0.offset] }
        try await benchStore(S3Store(configuration: other), tool: otherTool, prefix: scope, options: otherOptions)
    } catch {
        FileHandle.standardError.write(Data("S3Bench: \(error)\n".utf8))
        exit(1)
    }
}
