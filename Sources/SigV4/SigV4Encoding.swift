// AWS's URI encoding: `A-Z a-z 0-9 - _ . ~` kept, every other byte of the UTF-8 `%XX` with uppercase hex.
// Paths keep `/`; query names and values encode it. S3 keys are encoded exactly once with these rules.

public enum SigV4Encoding {
    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Appends `text` AWS-URI-encoded to `output`; `/` is kept when `keepSlash`.
    static func encode(_ text: String, keepSlash: Bool, into output: inout [UInt8]) {
        var text = text
        text.withUTF8 { input in
            output.reserveCapacity(output.count + input.count * 3)
            var clean = 0  // start of the run of bytes that need no encoding
            for (index, byte) in input.enumerated()
            where !(isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/"))) {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: input[clean..<index]))
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
                clean = index + 1
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: input[clean...]))
        }
    }

    /// `text` AWS-URI-encoded; `/` is kept when `keepSlash` (paths), encoded otherwise (query parts).
    public static func encode(_ text: String, keepSlash: Bool = false) -> String {
        // Fast path: nothing to encode.
        if text.utf8.allSatisfy({ isUnreserved($0) || (keepSlash && $0 == UInt8(ascii: "/")) }) { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 3)
        encode(text, keepSlash: keepSlash, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// An S3 object key as it goes in the path: encoded once, `/` kept, no normalisation.
    public static func encodeS3Key(_ key: String) -> String {
        encode(key, keepSlash: true)
    }

    /// The wire path of an S3 request: `/bucket/key` (path-style, `bucket` given) or `/key` (virtual-hosted).
    /// A bucket-level request (`key` nil) is `/bucket` or `/`.
    public static func s3Path(bucket: String?, key: String?) -> String {
        var path = ""
        if let bucket { path += "/" + encode(bucket) }
        if let key { path += "/" + encodeS3Key(key) }
        return path.isEmpty ? "/" : path
    }

    /// The query string as sent, in the given order.
    public static func wireQuery(_ items: [SigV4QueryItem]) -> String {
        var output: [UInt8] = []
        for (index, item) in items.enumerated() {
            if index > 0 { output.append(UInt8(ascii: "&")) }
            encode(item.name, keepSlash: false, into: &output)
            if let value = item.value {
                output.append(UInt8(ascii: "="))
                encode(value, keepSlash: false, into: &output)
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The canonical query string: every item encoded, `name=value` (bare items get `=`), sorted by
    /// encoded name and then encoded value in byte order, joined with `&`.
    public static func canonicalQuery(_ items: [SigV4QueryItem]) -> String {
        if items.isEmpty { return "" }
        var encoded: [(name: [UInt8], value: [UInt8])] = []
        encoded.reserveCapacity(items.count)
        for item in items {
            var name: [UInt8] = []
            var value: [UInt8] = []
            encode(item.name, keepSlash: false, into: &name)
            if let raw = item.value { encode(raw, keepSlash: false, into: &value) }
            encoded.append((name, value))
        }
        encoded.sort { lhs, rhs in
            if lhs.name != rhs.name { return lhs.name.lexicographicallyPrecedes(rhs.name) }
            return lhs.value.lexicographicallyPrecedes(rhs.value)
        }
        var output: [UInt8] = []
        for (index, item) in encoded.enumerated() {
            if index > 0 { output.append(UInt8(ascii: "&")) }
            output.append(contentsOf: item.name)
            output.append(UInt8(ascii: "="))
            output.append(contentsOf: item.value)
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The canonical URI of a non-S3 service: the path with empty, `.` and `..` segments resolved, then
    /// encoded again (so an already-encoded `%20` becomes `%2520`, as the generic rules require).
    public static func standardCanonicalURI(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        var normalized = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/") && !segments.isEmpty { normalized += "/" }
        return encode(normalized, keepSlash: true)
    }
}
