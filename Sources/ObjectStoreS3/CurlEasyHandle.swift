// One libcurl easy handle. Owned by exactly one worker thread of CurlWorkerPool, which reuses it for
// every transfer it runs, so the handle's connection cache keeps connections alive between requests.
import CCurl
import Foundation
import SigV4

/// Collects one response while libcurl runs its callbacks (on the worker thread that owns the handle).
private final class TransferContext {
    var status = 0
    var headers: [String: String] = [:]
    var body = Data()
    var expectedBodySize: Int?
    var cancellation: CurlCancellation?

    func receiveHeaderLine(_ line: Substring) {
        if line.hasPrefix("HTTP/") {
            // A new status line (after `100 Continue`, or a redirect) starts a new header block.
            headers.removeAll(keepingCapacity: true)
            let parts = line.split(separator: " ", maxSplits: 2)
            if parts.count >= 2, let code = Int(parts[1]) { status = code }
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        headers[name] = value
        if name == "content-length", let length = Int(value), length > 0, length <= 1 << 34 {
            body.reserveCapacity(length)
        }
    }
}

private let writeCallback: cairn_curl_data_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    buffer.withMemoryRebound(to: UInt8.self, capacity: length) { context.body.append($0, count: length) }
    return length
}

private let headerCallback: cairn_curl_data_callback = { buffer, size, count, userdata in
    guard let buffer, let userdata else { return 0 }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    let line = buffer.withMemoryRebound(to: UInt8.self, capacity: length) {
        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
    }
    context.receiveHeaderLine(Substring(line))
    return length
}

private let progressCallback: cairn_curl_xferinfo_callback = { userdata, _, _, _, _ in
    guard let userdata else { return 0 }
    let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
    return context.cancellation?.isCancelled == true ? 1 : 0
}

/// Owns a `CURL*`. Not Sendable: it never leaves the thread that created it.
final class CurlEasyHandle {
    private let easy: UnsafeMutableRawPointer
    private let timeouts: CurlTimeouts

    init?(timeouts: CurlTimeouts) {
        guard CurlGlobal.ensureInitialized(), let easy = curl_easy_init() else { return nil }
        self.easy = easy
        self.timeouts = timeouts
    }

    deinit {
        // At process exit the handle is left to the OS (see CurlGlobal).
        guard CurlGlobal.enter() else { return }
        curl_easy_cleanup(easy)
        CurlGlobal.leave()
    }

    func perform(_ request: CurlRequest) -> Result<CurlResponse, CurlTransportError> {
        // Reset clears options but keeps the connection cache: the next request reuses the connection.
        curl_easy_reset(easy)
        let context = TransferContext()
        context.cancellation = request.cancellation
        if let expected = request.expectedBodySize, expected > 0 { context.body.reserveCapacity(expected) }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // No `Expect: 100-continue` round trip, and no form content type on bodies we send.
        headerList = curl_slist_append(headerList, "Expect:")
        if request.body != nil { headerList = curl_slist_append(headerList, "Content-Type:") }

        _ = cairn_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = cairn_curl_setopt_string(easy, CURLOPT_URL, request.url)
        _ = cairn_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, timeouts.connect.milliseconds)
        _ = cairn_curl_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, timeouts.lowSpeedBytesPerSecond)
        _ = cairn_curl_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, max(1, timeouts.lowSpeedTime.milliseconds / 1000))
        _ = cairn_curl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        _ = cairn_curl_setopt_long(easy, CURLOPT_TCP_NODELAY, 1)
        _ = cairn_curl_setopt_long(easy, CURLOPT_BUFFERSIZE, 512 * 1024)
        _ = cairn_curl_setopt_long(easy, CURLOPT_UPLOAD_BUFFERSIZE, 512 * 1024)
        _ = cairn_curl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)
        _ = cairn_curl_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, writeCallback)
        _ = cairn_curl_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, headerCallback)
        let opaque = Unmanaged.passUnretained(context).toOpaque()
        _ = cairn_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, opaque)
        _ = cairn_curl_setopt_pointer(easy, CURLOPT_HEADERDATA, opaque)
        if request.cancellation != nil {
            // The progress callback runs about once a second even when no data moves: it aborts cancelled work.
            _ = cairn_curl_setopt_long(easy, CURLOPT_NOPROGRESS, 0)
            _ = cairn_curl_setopt_xferinfo_callback(easy, progressCallback)
            _ = cairn_curl_setopt_pointer(easy, CURLOPT_XFERINFODATA, opaque)
        }

        let code: CURLcode
        switch request.method {
        case "GET":
            _ = cairn_curl_setopt_long(easy, CURLOPT_HTTPGET, 1)
            code = curl_easy_perform(easy)
        case "HEAD":
            _ = cairn_curl_setopt_long(easy, CURLOPT_NOBODY, 1)
            code = curl_easy_perform(easy)
        default:
            _ = cairn_curl_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)
            if let body = request.body {
                // The body is sent straight from memory: POSTFIELDS is not copied, and stays valid because
                // the transfer completes inside this closure.
                code = body.withUnsafeBytes { bytes in
                    _ = cairn_curl_setopt_long(easy, CURLOPT_POST, 1)
                    _ = cairn_curl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
                    let empty: StaticString = ""
                    let pointer = bytes.baseAddress ?? UnsafeRawPointer(empty.utf8Start)
                    _ = cairn_curl_setopt_pointer(easy, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: pointer))
                    return curl_easy_perform(easy)
                }
            } else {
                code = curl_easy_perform(easy)
            }
        }
        guard code == CURLE_OK else {
            let message = curl_easy_strerror(code).map { String(cString: $0) } ?? "unknown"
            return .failure(
                CurlTransportError(
                    code: Int(code.rawValue), message: message, isPartialBody: code == CURLE_PARTIAL_FILE,
                    isCancelled: code == CURLE_ABORTED_BY_CALLBACK))
        }
        var status = 0
        _ = cairn_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(
            CurlResponse(status: status == 0 ? context.status : status, headers: context.headers, body: context.body))
    }
}
