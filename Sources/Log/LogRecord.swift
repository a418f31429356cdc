// What the write-ahead log holds: one record per written id, with the operation and the fields it carries.
import Foundation

/// A write to a collection, as the user made it (validated before it reaches the log).
public enum LogOperation: String, Sendable, Hashable, CaseIterable {
    case add, update, upsert, delete
}

public struct LogRecord: Sendable, Hashable {
    public var operation: LogOperation
    public var id: String
    /// For updates, `nil` means "unchanged".
    public var embedding: [Float]?
    /// Metadata as a JSON object; for updates, the keys to change (a JSON `null` value removes a key).
    public var metadataJSON: String?
    /// For updates, `nil` means "unchanged".
    public var document: String?

    public init(
        _ operation: LogOperation, id: String, embedding: [Float]? = nil, metadataJSON: String? = nil,
        document: String? = nil
    ) {
        self.operation = operation
        self.id = id
        self.embedding = embedding
        self.metadataJSON = metadataJSON
        self.document = document
    }

    /// The record that marks the log's high water (decision 0023): a delete of the empty id, which no record can
    /// have (ids are non-empty), so every reader — an older Cairn's too — applies it as the no-op it is.
    public static let highWaterMark = LogRecord(.delete, id: "")

    /// Whether this is the high-water mark (nothing a compaction needs to fold).
    public var isHighWaterMark: Bool { operation == .delete && id.isEmpty }

    /// Bytes this record adds to a fragment (for bounding fragment size).
    public var encodedSize: Int {
        id.utf8.count + (embedding?.count ?? 0) * 4 + (metadataJSON?.utf8.count ?? 0) + (document?.utf8.count ?? 0) + 24
    }
}

/// One fragment of the log: the records one append (or one group commit) made durable together.
public struct LogFragment: Sendable, Hashable {
    /// The fragment's position in the log (1, 2, 3…); its key is `CollectionPath.log(offset:)`.
    public var offset: UInt64
    /// Which writer appended it (a fresh id per `WriteAheadLog` instance).
    public var writerID: String
    public var records: [LogRecord]

    public init(offset: UInt64, writerID: String, records: [LogRecord]) {
        self.offset = offset
        self.writerID = writerID
        self.records = records
    }
}

public struct LogError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A fragment could not be decoded, or is not the fragment its key names.
        public static let corrupt = Code(rawValue: "corrupt")
        /// A fragment written by a newer format.
        public static let unsupportedVersion = Code(rawValue: "unsupported_version")
        /// Other writers kept taking the next offset; the append gave up (nothing was written).
        public static let conflict = Code(rawValue: "conflict")
        /// The object store failed.
        public static let storage = Code(rawValue: "storage")
        /// An append with no records, or records too large for one fragment.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
    }

    public var code: Code
    public var message: String
    public var offset: UInt64?

    public init(_ code: Code, _ message: String, offset: UInt64? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String {
        "log \(code)" + (offset.map { " (offset \($0))" } ?? "") + ": \(message)"
    }
}
