// The HTTP exchange S3Store hands to libcurl and gets back: plain Sendable values, no C types.
import Foundation
import SigV4
import Synchronization

/// Set when the task waiting for a transfer is cancelled; libcurl's progress callback then aborts it.
final class CurlCancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    func cancel() { flag.store(true, ordering: .relaxed) }
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// One request as it goes on the wire (already signed).
struct CurlRequest: Sendable {
    var method: String
    var url: String
    var headers: [HTTPHeaderField]
    var body: Data?
    /// The expected size of the response body, when known, so the buffer is allocated once.
    var expectedBodySize: Int?
    /// Aborts the transfer when set (the pool fills it in).
    var cancellation: CurlCancellation? = nil
}

/// A response: status, headers (names lowercased; a repeated header keeps its last value) and body.
struct CurlResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: Data

    func header(_ name: String) -> String? { headers[name] }
}

/// A failure below HTTP (connection refused, reset, time-out): libcurl's code and its fixed message.
struct CurlTransportError: Error, Sendable, CustomStringConvertible {
    var code: Int
    var message: String
    /// The connection broke while the body was arriving (a short body).
    var isPartialBody: Bool
    /// The waiting task was cancelled and the transfer aborted.
    var isCancelled = false
    var description: String { "libcurl error \(code): \(message)" }
}

/// Time-outs and limits of every transfer.
public struct CurlTimeouts: Sendable, Hashable {
    /// Give up connecting after this long.
    public var connect: Duration
    /// Abort a transfer slower than `lowSpeedBytesPerSecond` for `lowSpeedTime`.
    public var lowSpeedTime: Duration
    public var lowSpeedBytesPerSecond: Int

    public init(
        connect: Duration = .seconds(10), lowSpeedTime: Duration = .seconds(30), lowSpeedBytesPerSecond: Int = 1
    ) {
        self.connect = connect
        self.lowSpeedTime = lowSpeedTime
        self.lowSpeedBytesPerSecond = lowSpeedBytesPerSecond
    }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
