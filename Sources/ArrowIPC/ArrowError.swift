// The one error type of ArrowIPC: a stable code plus a message naming what was wrong (which field, which
// buffer, which offset), so a corrupt block can be diagnosed from the log line alone.

public struct ArrowError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable error code (an open set of named values).
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The bytes end before a structure they announce (file, message, buffer) does.
        public static let truncated = Code(rawValue: "truncated")
        /// Magic bytes, continuation markers or framing are not those of Arrow IPC.
        public static let badMagic = Code(rawValue: "bad_magic")
        /// A FlatBuffers table, vtable, vector or string reference is out of bounds or malformed.
        public static let invalidFlatbuffer = Code(rawValue: "invalid_flatbuffer")
        /// Metadata that parses but is inconsistent: wrong buffer count, a buffer outside the body, bad offsets.
        public static let invalidData = Code(rawValue: "invalid_data")
        /// A metadata version or feature this reader does not know (refused, never guessed).
        public static let unsupportedVersion = Code(rawValue: "unsupported_version")
        /// A valid Arrow construct outside the subset Cairn reads (e.g. dictionaries, Decimal, LZ4).
        public static let unsupported = Code(rawValue: "unsupported")
        /// A nesting depth, count or size above the reader's limits.
        public static let limitExceeded = Code(rawValue: "limit_exceeded")
        /// ZSTD refused to compress or decompress a buffer.
        public static let compression = Code(rawValue: "compression")
        /// The caller asked for something inconsistent: mismatched lengths, a column of another type.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// Opening, mapping, reading or writing a local file failed.
        public static let io = Code(rawValue: "io")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "arrow \(code): \(message)" }
}
