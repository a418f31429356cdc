// Turns an S3 error response or a transport failure into the storage layer's typed error: code, key,
// HTTP status, S3 error code and request id. Never the URL's query, a header, the secret or a signature.
import Foundation
import ObjectStore

enum S3ErrorMapping {
    /// The error for a response with a non-success `status`.
    static func error(for response: CurlResponse, key: String?, operation: String) -> ObjectStoreError {
        let body = S3ErrorBody(response.body)
        let s3Code = body?.code
        let requestID = body?.requestID ?? response.header("x-amz-request-id")
        let code = errorCode(status: response.status, s3Code: s3Code)
        var message = "\(operation) failed"
        if let text = body?.message, !text.isEmpty { message += ": " + String(text.prefix(300)) }
        return ObjectStoreError(
            code, key: key, message: message, httpStatus: response.status, s3Code: s3Code, requestID: requestID)
    }

    static func errorCode(status: Int, s3Code: String?) -> ObjectStoreError.Code {
        switch (status, s3Code) {
        case (_, "SlowDown"), (429, _), (_, "Throttling"), (_, "ThrottlingException"), (_, "RequestLimitExceeded"):
            return .throttled
        case (404, _), (_, "NoSuchKey"), (_, "NoSuchBucket"), (_, "NoSuchUpload"):
            return .notFound
        case (412, _), (_, "PreconditionFailed"):
            return .preconditionFailed
        case (401, _), (403, _), (_, "SignatureDoesNotMatch"), (_, "InvalidAccessKeyId"), (_, "AccessDenied"):
            return .accessDenied
        case (416, _), (_, "InvalidRange"):
            return .invalidRange
        case (_, "RequestTimeout"), (_, "InternalError"), (_, "ServiceUnavailable"),
            (409, "ConditionalRequestConflict"):
            return .transient
        case (500..., _):
            return .transient
        case (400, _):
            return .invalidArgument
        default:
            return .invalidResponse
        }
    }

    /// The error for a failure below HTTP.
    static func error(for failure: CurlTransportError, key: String?, operation: String) -> ObjectStoreError {
        ObjectStoreError(
            failure.isPartialBody ? .truncated : .transient, key: key,
            message: "\(operation) failed: \(failure.message) (libcurl \(failure.code))")
    }
}
