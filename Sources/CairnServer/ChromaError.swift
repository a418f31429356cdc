// The errors the server answers with, in Chroma's shape: a status code and `{"error": <Chroma's error name>,
// "message": ...}`, which the official client turns back into its exception classes (NotFoundError, ...).
import CairnJSON
import CairnModel
import Hummingbird

import struct Cairn.CairnError

public struct ChromaError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    /// Chroma's error name (a key of the Python client's `chromadb.errors` table).
    public var name: String
    public var message: String

    public init(_ status: HTTPResponse.Status, _ name: String, _ message: String) {
        self.status = status
        self.name = name
        self.message = message
    }

    public var description: String { "\(status.code) \(name): \(message)" }

    static func invalid(_ message: String) -> ChromaError { ChromaError(.badRequest, "InvalidArgumentError", message) }
    static func notFound(_ message: String) -> ChromaError { ChromaError(.notFound, "NotFoundError", message) }

    /// Maps any error a handler throws: the embedded API's codes to Chroma's names; user errors never become 500s.
    init(_ error: any Error) {
        switch error {
        case let error as ChromaError:
            self = error
        case let error as CairnError:
            switch error.code {
            case .invalidArgument: self = .invalid(error.message)
            case .notFound: self = .notFound(error.message)
            // Chroma's server names no class for a taken name (its client then raises ChromaError).
            case .alreadyExists: self = ChromaError(.conflict, "ChromaError", error.message)
            case .conflict: self = ChromaError(.conflict, "ChromaError", error.message)
            case .storage: self = ChromaError(.serviceUnavailable, "InternalError", error.message)
            case .malformedRequest: self = ChromaError(.unprocessableContent, "ChromaError", error.message)
            case .corrupt: self = ChromaError(.internalServerError, "InternalError", error.message)
            // The official client raises RateLimitError for it; retrying after a moment succeeds.
            case .overloaded: self = ChromaError(.tooManyRequests, "RateLimitError", error.message)
            default: self = ChromaError(.internalServerError, "InternalError", error.message)
            }
        case let error as ValidationError:
            self = .invalid(error.message)
        case let error as JSONParseError:
            self = .invalid("Failed to parse the request body as JSON: \(error.description)")
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound: self = .notFound("No route for this method and path")
            case .methodNotAllowed: self = ChromaError(.methodNotAllowed, "InvalidArgumentError", "Method not allowed")
            case .contentTooLarge:
                self = ChromaError(.contentTooLarge, "InvalidArgumentError", "The request body is too large")
            default:
                self = ChromaError(
                    error.status, error.status.code < 500 ? "InvalidArgumentError" : "InternalError",
                    error.status.reasonPhrase)
            }
        default:
            // Anything else went past the embedded API's boundary: map it the same way (store failures 503).
            self = ChromaError(CairnError.from(error))
        }
    }

    /// The JSON response.
    var response: Response {
        let body: JSONValue = .object(["error": .string(name), "message": .string(message)])
        return JSONResponse.make(body.jsonText, status: status)
    }
}
