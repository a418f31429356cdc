// The one error type of the storage layer: a stable code, the key, and for S3 the HTTP status, the S3
// error code and request id. Messages never carry credentials or signatures.
import Foundation

public struct ObjectStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable error code (GRDB-style: an open set of named values).
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No object at the key (S3 404 NoSuchKey / NoSuchBucket / NoSuchUpload).
        public static let notFound = Code(rawValue: "not_found")
        /// A conditional put lost: the object exists (ifNoneMatch) or its ETag changed (ifMatch).
        public static let preconditionFailed = Code(rawValue: "precondition_failed")
        /// Credentials rejected or not allowed (S3 403: AccessDenied, SignatureDoesNotMatch, …).
        public static let accessDenied = Code(rawValue: "access_denied")
        /// The service asked us to slow down (S3 503 SlowDown, 429).
        public static let throttled = Code(rawValue: "throttled")
        /// A failure that may succeed if retried: 5xx, connection reset, time-out.
        public static let transient = Code(rawValue: "transient")
        /// The service answered with something we cannot interpret.
        public static let invalidResponse = Code(rawValue: "invalid_response")
        /// A body shorter (or longer) than its declared length: never returned as data.
        public static let truncated = Code(rawValue: "truncated")
        /// The requested range starts at or beyond the end of the object (S3 416).
        public static let invalidRange = Code(rawValue: "invalid_range")
        /// The caller passed something the store cannot accept (a bad key, a bad part number).
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// A local I/O failure (disk full, permission denied on the store's own directory).
        public static let io = Code(rawValue: "io")
        /// The store has stopped (used by fault injection to model a crashed process).
        public static let crashed = Code(rawValue: "crashed")
    }

    public var code: Code
    public var key: String?
    public var message: String
    public var httpStatus: Int?
    public var s3Code: String?
    public var requestID: String?

    public init(
        _ code: Code, key: String? = nil, message: String, httpStatus: Int? = nil, s3Code: String? = nil,
        requestID: String? = nil
    ) {
        self.code = code
        self.key = key
        self.message = message
        self.httpStatus = httpStatus
        self.s3Code = s3Code
        self.requestID = requestID
    }

    /// Whether retrying the same request may succeed.
    public var isRetryable: Bool {
        code == .transient || code == .throttled || code == .truncated
    }

    public var description: String {
        var parts = ["\(code)"]
        if let key { parts.append("key '\(key)'") }
        if let httpStatus { parts.append("HTTP \(httpStatus)") }
        if let s3Code { parts.append(s3Code) }
        var text = parts.joined(separator: ", ") + ": " + message
        if let requestID { text += " (request id \(requestID))" }
        return text
    }
}
