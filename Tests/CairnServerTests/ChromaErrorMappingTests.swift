// The embedded API's error codes as the official client sees them: each code's status and Chroma's error name
// (the key of the Python client's `chromadb.errors` table, which picks the exception class it raises).
import Cairn
import Testing

@testable import CairnServer

@Suite struct ChromaErrorMappingTests {
    @Test func everyCodeMapsToChromasStatusAndName() {
        let cases: [(CairnError.Code, Int, String)] = [
            (.invalidArgument, 400, "InvalidArgumentError"), (.notFound, 404, "NotFoundError"),
            (.alreadyExists, 409, "ChromaError"), (.conflict, 409, "ChromaError"), (.storage, 503, "InternalError"),
            (.corrupt, 500, "InternalError"), (.malformedRequest, 422, "ChromaError"),
            // A full compaction backlog: RateLimitError (429), which clients retry after a moment.
            (.overloaded, 429, "RateLimitError"), (.internal, 500, "InternalError"),
        ]
        for (code, status, name) in cases {
            let mapped = ChromaError(CairnError(code, "message"))
            #expect(mapped.status.code == status && mapped.name == name && mapped.message == "message", "\(code)")
        }
    }
}
