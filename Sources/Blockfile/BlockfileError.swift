// Errors of the blockfile layer: what went wrong, and which blockfile, block or key it concerns.
import Foundation

public struct BlockfileError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A block or root could not be decoded (truncated, corrupt, wrong schema).
        public static let corrupt = Code(rawValue: "corrupt")
        /// A root or block written by a newer format version.
        public static let unsupportedVersion = Code(rawValue: "unsupported_version")
        /// A key or value of the wrong type for this blockfile, or keys out of order for an ordered writer.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// The root or a block it names is missing from the store.
        public static let notFound = Code(rawValue: "not_found")
        /// The object store failed (see the message for its error).
        public static let storage = Code(rawValue: "storage")
        /// A writer was used after commit.
        public static let writerClosed = Code(rawValue: "writer_closed")
    }

    public var code: Code
    public var message: String
    public var blockfileID: String?
    public var blockID: String?

    public init(_ code: Code, _ message: String, blockfileID: String? = nil, blockID: String? = nil) {
        self.code = code
        self.message = message
        self.blockfileID = blockfileID
        self.blockID = blockID
    }

    public var description: String {
        var where_: [String] = []
        if let blockfileID { where_.append("blockfile \(blockfileID)") }
        if let blockID { where_.append("block \(blockID)") }
        return "blockfile \(code)" + (where_.isEmpty ? "" : " (\(where_.joined(separator: ", ")))") + ": \(message)"
    }
}
