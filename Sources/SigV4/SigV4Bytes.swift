// The signer's hot path works on byte buffers: Swift string appends and generic DataProtocol hashing
// cost more than the SHA-256 itself for requests this small.
import Crypto
import Foundation

/// A growing UTF-8 buffer.
struct SigV4Bytes {
    var bytes: [UInt8]

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: Substring) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(byte: UInt8) { bytes.append(byte) }

    mutating func append(_ other: SigV4Bytes) { bytes.append(contentsOf: other.bytes) }

    @inline(__always)
    private static func hexDigit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x57 + value }

    /// Appends `digest` as lowercase hex.
    mutating func appendHex(_ digest: some ContiguousBytes) {
        digest.withUnsafeBytes { raw in
            let start = bytes.count
            bytes.append(contentsOf: repeatElement(0, count: raw.count * 2))
            bytes.withUnsafeMutableBufferPointer { output in
                var index = start
                for byte in raw {
                    output[index] = Self.hexDigit(byte >> 4)
                    output[index + 1] = Self.hexDigit(byte & 0x0F)
                    index += 2
                }
            }
        }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// The lowercase hex SHA-256 of the buffer.
    func sha256() -> SHA256.Digest {
        bytes.withUnsafeBytes { SHA256.hash(data: $0) }
    }
}

/// HMAC-SHA256 with one fixed key, its inner and outer hash states computed once (RFC 2104), so each
/// message costs only the hashing of the message itself and of the inner digest.
struct SigV4KeyedMAC: Sendable {
    private let inner: SHA256
    private let outer: SHA256

    init(key: some ContiguousBytes) {
        var block = [UInt8](repeating: 0, count: 64)
        key.withUnsafeBytes { raw in
            if raw.count > 64 {
                let digest = SHA256.hash(data: raw)
                digest.withUnsafeBytes { for (index, byte) in $0.enumerated() { block[index] = byte } }
            } else {
                for (index, byte) in raw.enumerated() { block[index] = byte }
            }
        }
        var inner = SHA256()
        var outer = SHA256()
        let innerPad = block.map { $0 ^ 0x36 }
        let outerPad = block.map { $0 ^ 0x5C }
        innerPad.withUnsafeBytes { inner.update(data: $0) }
        outerPad.withUnsafeBytes { outer.update(data: $0) }
        self.inner = inner
        self.outer = outer
    }

    func authenticate(_ message: [UInt8]) -> SHA256.Digest {
        var inner = self.inner
        message.withUnsafeBytes { inner.update(data: $0) }
        let innerDigest = inner.finalize()
        var outer = self.outer
        innerDigest.withUnsafeBytes { outer.update(data: $0) }
        return outer.finalize()
    }
}
