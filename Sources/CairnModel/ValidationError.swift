// The error for user input Chroma would refuse (metadata, where, where_document): a stable code to match on and
// Chroma's message text, so users moving over see the words they know.

public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Metadata with no keys, where Chroma requires at least one.
        public static let emptyMetadata = Code(rawValue: "metadata.empty")
        /// A metadata key that is empty, reserved (`chroma:document`) or starts with '#' or '$'.
        public static let invalidMetadataKey = Code(rawValue: "metadata.invalid_key")
        /// A metadata value that is not a str, int, float, bool or a non-empty homogeneous list of those.
        public static let invalidMetadataValue = Code(rawValue: "metadata.invalid_value")
        /// A where filter that does not follow Chroma's grammar.
        public static let invalidWhere = Code(rawValue: "where.invalid")
        /// A where_document filter that does not follow Chroma's grammar (or a $regex that does not compile).
        public static let invalidWhereDocument = Code(rawValue: "where_document.invalid")
        /// Text that is not JSON at all (see the message for the byte offset).
        public static let invalidJSON = Code(rawValue: "json.invalid")
        /// A request body that is JSON but not of the shape the API expects (an unknown field, a wrong type):
        /// what Chroma answers with 422 "Failed to deserialize the JSON body…".
        public static let malformedRequest = Code(rawValue: "request.malformed")
    }

    public var code: Code
    /// Chroma's message where Chroma has one; names the offending key or value.
    public var message: String
    /// The metadata key or filter field the error is about, when there is one.
    public var key: String?

    public init(_ code: Code, _ message: String, key: String? = nil) {
        self.code = code
        self.message = message
        self.key = key
    }

    public var description: String { "\(code): \(message)" }
}
