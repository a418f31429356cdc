// JSON responses: the body text, `Content-Type: application/json`, and a status.
import Hummingbird
import NIOCore

enum JSONResponse {
    static func make(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(text)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    static let emptyObject = "{}"
}
