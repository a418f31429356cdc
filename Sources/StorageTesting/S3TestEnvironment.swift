// Where the local S3 test server is, as `make test` (minio/start.sh) exports it; tests skip with a printed
// reason when it is deliberately absent.
import Foundation

public enum S3TestEnvironment {
    /// The store URL of the test bucket, e.g. `s3://cairn-test/tests?endpoint=http://127.0.0.1:9000&region=us-east-1`.
    public static var url: String? {
        let env = ProcessInfo.processInfo.environment
        if let url = env["CAIRN_S3_TEST_URL"], !url.isEmpty { return url }
        guard let bucket = env["S3_BUCKET"], let endpoint = env["AWS_ENDPOINT_URL_S3"] ?? env["S3_ENDPOINT"] else {
            return nil
        }
        let region = env["AWS_REGION"] ?? "us-east-1"
        return "s3://\(bucket)/tests?endpoint=\(endpoint)&region=\(region)"
    }

    /// The test bucket's URL with `name` appended to its key prefix (before the query), for a test's own prefix.
    public static func url(appending name: String) -> String? {
        guard let url else { return nil }
        let parts = url.split(separator: "?", maxSplits: 1).map(String.init)
        let location = parts[0].hasSuffix("/") ? String(parts[0].dropLast()) : parts[0]
        return location + "/" + name + (parts.count > 1 ? "?" + parts[1] : "")
    }

    /// Whether S3 tests can run; prints why not (once per process) when they cannot.
    public static var isAvailable: Bool {
        if url != nil, ProcessInfo.processInfo.environment["AWS_ACCESS_KEY_ID"] != nil { return true }
        reportSkip
        return false
    }

    private static let reportSkip: Void = {
        print(
            "S3 tests skipped: no local S3 server (CAIRN_S3_TEST_URL / AWS_ENDPOINT_URL_S3 and AWS_ACCESS_KEY_ID unset);"
                + " `make test` starts one")
    }()
}
