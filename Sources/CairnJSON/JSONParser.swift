// A strict RFC 8259 JSON parser over UTF-8 bytes that keeps integer literals as Int64 and reports the byte offset of
// the first problem. Metadata of every record goes through it, so it works on a raw buffer without copies.

public enum JSONParser {
    /// Nesting limit for arrays and objects: deeper input is refused instead of exhausting the stack.
    public static let maximumDepth = 256

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        let result: Result<JSONValue, JSONParseError> = text.withUTF8 { buffer in
            var cursor = Cursor(bytes: buffer)
            return Result { () throws(JSONParseError) in try cursor.parseDocument() }
        }
        return try result.get()
    }

    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let direct: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var cursor = Cursor(bytes: buffer)
            return Result { () throws(JSONParseError) in try cursor.parseDocument() }
        }
        if let direct { return try direct.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            var cursor = Cursor(bytes: buffer)
            return try cursor.parseDocument()
        }
    }

    private struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var depth = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func parseDocument() throws(JSONParseError) -> JSONValue {
            skipWhitespace()
            let value = try parseValue()
            skipWhitespace()
            if index < bytes.count {
                throw JSONParseError(
                    .trailingData, offset: index, "unexpected \(describe(bytes[index])) after the value")
            }
            return value
        }

        private mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        private func describe(_ byte: UInt8) -> String {
            if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "byte 0x" + String(byte, radix: 16, uppercase: true)
        }

        private func endError(_ what: String) -> JSONParseError {
            JSONParseError(.unexpectedEnd, offset: index, "input ended \(what)")
        }

        private mutating func parseValue() throws(JSONParseError) -> JSONValue {
            guard index < bytes.count else { throw endError("where a value was expected") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default:
                throw JSONParseError(
                    .unexpectedCharacter, offset: index,
                    "unexpected \(describe(bytes[index])) where a value was expected")
            }
        }

        private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
            let start = index
            let length = literal.utf8CodeUnitCount
            let expected = UnsafeBufferPointer(start: literal.utf8Start, count: length)
            for i in 0..<length {
                guard start + i < bytes.count else {
                    index = bytes.count
                    throw endError("inside '\(literal)'")
                }
                if bytes[start + i] != expected[i] {
                    throw JSONParseError(
                        .unexpectedCharacter, offset: start + i,
                        "unexpected \(describe(bytes[start + i])) in what looks like '\(literal)'")
                }
            }
            index = start + length
        }

        private mutating func enter() throws(JSONParseError) {
            depth += 1
            if depth > JSONParser.maximumDepth {
                throw JSONParseError(
                    .tooDeep, offset: index, "more than \(JSONParser.maximumDepth) nested arrays or objects")
            }
        }

        private mutating func parseArray() throws(JSONParseError) -> JSONValue {
            try enter()
            index += 1  // '['
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue())
                skipWhitespace()
                guard index < bytes.count else { throw endError("inside an array") }
                switch bytes[index] {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"):
                    index += 1
                    depth -= 1
                    return .array(elements)
                default:
                    throw JSONParseError(
                        .unexpectedCharacter, offset: index,
                        "expected ',' or ']' in an array, found \(describe(bytes[index]))")
                }
            }
        }

        private mutating func parseObject() throws(JSONParseError) -> JSONValue {
            try enter()
            index += 1  // '{'
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(8)
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw endError("inside an object") }
                guard bytes[index] == UInt8(ascii: "\"") else {
                    throw JSONParseError(
                        .unexpectedCharacter, offset: index,
                        "expected a string key in an object, found \(describe(bytes[index]))")
                }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count else { throw endError("inside an object") }
                guard bytes[index] == UInt8(ascii: ":") else {
                    throw JSONParseError(
                        .unexpectedCharacter, offset: index,
                        "expected ':' after an object key, found \(describe(bytes[index]))")
                }
                index += 1
                skipWhitespace()
                // A repeated key keeps the last value (as Python's json and serde_json do).
                members[key] = try parseValue()
                skipWhitespace()
                guard index < bytes.count else { throw endError("inside an object") }
                switch bytes[index] {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"):
                    index += 1
                    depth -= 1
                    return .object(members)
                default:
                    throw JSONParseError(
                        .unexpectedCharacter, offset: index,
                        "expected ',' or '}' in an object, found \(describe(bytes[index]))")
                }
            }
        }

        private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
            let start = index
            var isInteger = true
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else {
                throw JSONParseError(.invalidNumber, offset: start, "a lone '-' is not a number")
            }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count && isDigit(bytes[index]) {
                    throw JSONParseError(.invalidNumber, offset: start, "numbers may not have leading zeros")
                }
            } else if isDigit(bytes[index]) {
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
            } else {
                throw JSONParseError(.invalidNumber, offset: start, "expected a digit after '-'")
            }
            if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                let digits = index
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
                if index == digits { throw JSONParseError(.invalidNumber, offset: start, "expected a digit after '.'") }
            }
            if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
                isInteger = false
                index += 1
                if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                    index += 1
                }
                let digits = index
                while index < bytes.count && isDigit(bytes[index]) { index += 1 }
                if index == digits {
                    throw JSONParseError(.invalidNumber, offset: start, "expected a digit in the exponent")
                }
            }
            let literal = UnsafeBufferPointer(rebasing: bytes[start..<index])
            if isInteger, let value = parseInt64(literal) { return .int(value) }
            // Fractions, exponents and integers beyond Int64 become Double (as serde_json does past u64).
            let text = String(decoding: literal, as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                throw JSONParseError(.invalidNumber, offset: start, "\(text) is out of the range of a 64-bit float")
            }
            return .double(value)
        }

        private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        /// Int64 of an integer literal already checked against the grammar, or nil on overflow.
        private func parseInt64(_ literal: UnsafeBufferPointer<UInt8>) -> Int64? {
            var i = 0
            let negative = literal[0] == UInt8(ascii: "-")
            if negative { i = 1 }
            var magnitude: UInt64 = 0
            while i < literal.count {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(literal[i] - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                magnitude = sum
                i += 1
            }
            if negative {
                if magnitude <= UInt64(Int64.max) { return -Int64(magnitude) }
                if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
                return nil
            }
            return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
        }

        private mutating func parseString() throws(JSONParseError) -> String {
            let open = index
            index += 1  // '"'
            let start = index
            // Fast path: no escapes, validate the UTF-8 once.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let raw = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    return try makeString(raw, offset: start)
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 {
                    throw JSONParseError(
                        .invalidString, offset: index, "raw control character \(describe(byte)) in a string (escape it)"
                    )
                }
                index += 1
            }
            guard index < bytes.count else { throw endError("inside a string that starts at byte \(open)") }
            return try parseEscapedString(from: start)
        }

        /// A String of UTF-8 bytes, refusing invalid ones. ASCII (most keys and values) skips the generic validator.
        private func makeString(_ raw: UnsafeBufferPointer<UInt8>, offset: Int) throws(JSONParseError) -> String {
            var ascii = true
            for byte in raw where byte >= 0x80 {
                ascii = false
                break
            }
            if ascii { return String(decoding: raw, as: UTF8.self) }
            guard let string = String(validating: raw, as: UTF8.self) else {
                throw JSONParseError(.invalidUTF8, offset: offset, "a string that is not valid UTF-8")
            }
            return string
        }

        /// The slow path for strings with escapes: collects UTF-8 bytes, then validates them once.
        private mutating func parseEscapedString(from start: Int) throws(JSONParseError) -> String {
            var utf8: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return try utf8.withUnsafeBufferPointer { buffer throws(JSONParseError) in
                        try makeString(buffer, offset: start)
                    }
                }
                if byte < 0x20 {
                    throw JSONParseError(
                        .invalidString, offset: index, "raw control character \(describe(byte)) in a string (escape it)"
                    )
                }
                if byte != UInt8(ascii: "\\") {
                    utf8.append(byte)
                    index += 1
                    continue
                }
                let escapeStart = index
                index += 1
                guard index < bytes.count else { throw endError("inside an escape") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""): utf8.append(0x22)
                case UInt8(ascii: "\\"): utf8.append(0x5C)
                case UInt8(ascii: "/"): utf8.append(0x2F)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = UInt32(try parseHex4(escapeStart))
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                            bytes[index + 1] == UInt8(ascii: "u")
                        else {
                            throw JSONParseError(
                                .invalidString, offset: escapeStart,
                                "a high surrogate \\u escape without its low surrogate")
                        }
                        index += 2
                        let low = UInt32(try parseHex4(escapeStart))
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw JSONParseError(
                                .invalidString, offset: escapeStart,
                                "a high surrogate \\u escape followed by a non-low surrogate")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw JSONParseError(.invalidString, offset: escapeStart, "a lone low surrogate \\u escape")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else {
                        throw JSONParseError(.invalidString, offset: escapeStart, "an invalid \\u escape")
                    }
                    utf8.append(contentsOf: unicode.utf8)
                default:
                    throw JSONParseError(
                        .invalidString, offset: escapeStart, "unknown escape '\\\(Character(Unicode.Scalar(escaped)))'")
                }
            }
            throw endError("inside a string")
        }

        private mutating func parseHex4(_ escapeStart: Int) throws(JSONParseError) -> UInt16 {
            var value: UInt16 = 0
            for _ in 0..<4 {
                guard index < bytes.count else { throw endError("inside a \\u escape") }
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default:
                    throw JSONParseError(.invalidString, offset: escapeStart, "a \\u escape needs four hex digits")
                }
                value = value << 4 | UInt16(digit)
                index += 1
            }
            return value
        }
    }
}
