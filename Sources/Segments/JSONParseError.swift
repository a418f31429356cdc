// The error of JSONParser: what was wrong and at which byte of the input, so a user can find it.

public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The input ended inside a value.
        public static let unexpectedEnd = Code(rawValue: "unexpected_end")
        /// A byte that cannot start or continue a value here.
        public static let unexpectedCharacter = Code(rawValue: "unexpected_character")
        /// A number that does not follow JSON's grammar (leading zeros, lone '-', '1.', '1e').
        public static let invalidNumber = Code(rawValue: "invalid_number")
        /// A bad escape, a lone surrogate, or a raw control character inside a string.
        public static let invalidString = Code(rawValue: "invalid_string")
        /// Bytes that are not UTF-8.
        public static let invalidUTF8 = Code(rawValue: "invalid_utf8")
        /// More than `JSONParser.maximumDepth` nested arrays/objects.
        public static let tooDeep = Code(rawValue: "too_deep")
        /// A complete value followed by more than whitespace.
        public static let trailingData = Code(rawValue: "trailing_data")
    }

    public var code: Code
    /// Byte offset (0-based) into the UTF-8 input where the problem was found.
    public var offset: Int
    public var message: String

    public init(_ code: Code, offset: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { "invalid JSON (\(code)) at byte \(offset): \(message)" }
}
