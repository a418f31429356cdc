// The one error type of the VectorIndex module: a stable code and a message naming what was wrong.
import Foundation

public struct VectorIndexError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable error code (an open set of named values).
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A parameter or input the index cannot accept (bad space name, wrong vector length, bad k).
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// The index holds as many elements as its capacity allows.
        public static let capacityExceeded = Code(rawValue: "capacity_exceeded")
        /// A label that is not in the index (or was deleted).
        public static let labelNotFound = Code(rawValue: "label_not_found")
        /// A local file could not be written or read (temp directory, disk full).
        public static let io = Code(rawValue: "io")
        /// Stored index files that do not describe a valid index.
        public static let corrupt = Code(rawValue: "corrupt")
        /// Stored index files written by a newer format version than this reader knows.
        public static let unsupportedVersion = Code(rawValue: "unsupported_version")
        /// The native allocator failed.
        public static let outOfMemory = Code(rawValue: "out_of_memory")
        /// The object store failed while reading or writing index files.
        public static let store = Code(rawValue: "store")
        /// A failure inside the native library that none of the above describes.
        public static let `internal` = Code(rawValue: "internal")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "VectorIndexError(\(code)): \(message)" }
}
