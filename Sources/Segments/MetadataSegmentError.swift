// Errors of the metadata segment: a format it does not read, or a blockfile that is not what the segment expects.

public struct MetadataSegmentError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The version manifest names a segment format this Cairn does not read.
        public static let unsupportedVersion = Code(rawValue: "unsupported_version")
        /// A blockfile the segment needs is missing from the manifest, or has the wrong key or value type.
        public static let corrupt = Code(rawValue: "corrupt")
        /// The verifier returned a different number of documents than asked for.
        public static let verifier = Code(rawValue: "verifier")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "metadata segment \(code): \(message)" }
}
