// Stores for the S3 tests: the local signature-checking server that `make test` starts (minio/start.sh),
// each test under its own key prefix. Tests skip with a printed reason when no server is configured.
import Foundation
import ObjectStore
import ObjectStoreS3
import StorageTesting

enum S3TestSupport {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The test bucket's S3Store (path-style on the local endpoint) and the URL's key prefix.
    static func store(_ adjust: (inout S3Configuration) -> Void = { _ in }) throws -> S3Store {
        guard let url = S3TestEnvironment.url, case .s3(let bucket, _, let options) = try StoreLocation(parsing: url)
        else { throw ObjectStoreError(.invalidArgument, message: "no S3 test URL") }
        var configuration = try StoreFactory.s3Store(bucket: bucket, options: options).configuration
        adjust(&configuration)
        return S3Store(configuration: configuration)
    }

    /// A fresh prefix under the test URL's prefix, so runs and tests never see each other's keys.
    static func scope(_ label: String) throws -> String {
        guard let url = S3TestEnvironment.url, case .s3(_, let key, _) = try StoreLocation(parsing: url) else {
            return "\(label)-\(UUID().uuidString.prefix(8))/"
        }
        let base = key.isEmpty ? "" : (key.hasSuffix("/") ? key : key + "/")
        return base + "\(label)-\(UUID().uuidString.prefix(8))/"
    }

    static func randomData(_ count: Int, seed: UInt64) -> Data {
        var random = SplitMix64(seed: seed)
        var data = Data(count: count)
        data.withUnsafeMutableBytes { buffer in
            for index in 0..<buffer.count { buffer[index] = UInt8(truncatingIfNeeded: random.next() >> 7) }
        }
        return data
    }
}
