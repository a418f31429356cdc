// The one error type of compaction: a stable code and a message naming the collection and what failed.

public struct CompactionError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// Another compactor (or a modify) committed a version first; this run left only orphans.
        public static let conflict = Code(rawValue: "conflict")
        /// The collection does not exist (any more).
        public static let notFound = Code(rawValue: "not_found")
        /// The store, the catalog or a segment failed; nothing was published.
        public static let failed = Code(rawValue: "failed")
        /// The collection ran out of offset ids.
        public static let exhausted = Code(rawValue: "exhausted")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "compaction \(code): \(message)" }
}
