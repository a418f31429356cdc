// The one error type of the Spann module: a stable code, a message, and the posting (head) it concerns.
import Foundation

public struct SpannError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A parameter or input the index cannot accept (wrong vector length, bad k, duplicate id).
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// A stored posting or centroid that does not decode to what the index wrote.
        public static let corrupt = Code(rawValue: "corrupt")
        /// A root or block of the index is missing from the store.
        public static let notFound = Code(rawValue: "not_found")
        /// The store or the block layer failed (the message names its error).
        public static let storage = Code(rawValue: "storage")
    }

    public var code: Code
    public var message: String
    /// The head whose posting the error concerns, when there is one.
    public var head: UInt32?

    public init(_ code: Code, _ message: String, head: UInt32? = nil) {
        self.code = code
        self.message = message
        self.head = head
    }

    public var description: String {
        "spann \(code)" + (head.map { " (posting of head \($0))" } ?? "") + ": \(message)"
    }
}
