// The one error type of the catalog: a stable code and a message that names the tenant, database, collection or
// version that was wrong. Messages for user-facing mistakes are Chroma's own wording, so clients see the same text.
import CairnJSON
import CairnModel
import Foundation

public struct CatalogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, machine-readable error code (an open set of named values, GRDB-style).
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No tenant, database, collection or version by that name or id.
        public static let notFound = Code(rawValue: "not_found")
        /// A tenant, database or collection of that name exists already.
        public static let alreadyExists = Code(rawValue: "already_exists")
        /// A name, limit or value the catalog cannot accept (Chroma's validation rules).
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// Someone else changed the state first: a lost compare-and-swap, a manifest version already written,
        /// a dimension that differs from the collection's.
        public static let conflict = Code(rawValue: "conflict")
        /// SQLite or the object store failed underneath.
        public static let storage = Code(rawValue: "storage")
        /// Stored state that cannot be read back: malformed JSON, a row that breaks an invariant.
        public static let corrupt = Code(rawValue: "corrupt")
        /// A catalog schema or manifest format newer than this build understands.
        public static let unsupportedVersion = Code(rawValue: "unsupported_version")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "catalog \(code): \(message)" }
}

extension CatalogError {
    /// Collection metadata checked by the model's one validator, its refusal reported as an invalid argument.
    package static func validate(collectionMetadata metadata: [String: JSONValue]) throws(CatalogError) {
        do {
            try validateCollectionMetadata(metadata)
        } catch {
            throw CatalogError(.invalidArgument, error.message)
        }
    }
}
