// The one error type of the embedded API: a stable code (which the HTTP layer maps to Chroma's error names and
// status codes) and a message naming what was wrong. Errors from the layers below are wrapped, never leaked raw.
import Foundation

public struct CairnError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Input the API cannot accept (Chroma's InvalidArgumentError / ValueError): nothing was changed.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// A tenant, database or collection that does not exist (Chroma's NotFoundError).
        public static let notFound = Code(rawValue: "not_found")
        /// A name that is taken (Chroma's UniqueConstraintError).
        public static let alreadyExists = Code(rawValue: "already_exists")
        /// Another writer changed the same thing first; retrying may succeed.
        public static let conflict = Code(rawValue: "conflict")
        /// The object store or the catalog failed.
        public static let storage = Code(rawValue: "storage")
        /// Stored data that cannot be read back as written.
        public static let corrupt = Code(rawValue: "corrupt")
        /// A request of the wrong shape (an unknown field, a wrong type): Chroma answers these with 422.
        public static let malformedRequest = Code(rawValue: "malformed_request")
        /// The node cannot take this now (its compaction backlog is full); retrying later may succeed.
        public static let overloaded = Code(rawValue: "overloaded")
        /// A bug or a failure inside a native library.
        public static let `internal` = Code(rawValue: "internal")
    }

    public var code: Code
    public var message: String
    /// The lower layer's error this one reports, when there is one (not part of equality).
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (a: CairnError, b: CairnError) -> Bool { a.code == b.code && a.message == b.message }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}

extension CairnError {
    static func invalid(_ message: String) -> CairnError { CairnError(.invalidArgument, message) }
}
