// The one error boundary of the embedded API: every error from the layers below becomes a `CairnError` whose code
// says what a caller can do (fix the input, retry a storage failure, report corruption) and which keeps the
// underlying error as its cause. Every public entry point of `Client` and `Collection` runs inside `boundary`, so
// callers (and the HTTP server, which maps `CairnError` codes only) never see a lower layer's error type.
import Blockfile
import Catalog
import Compaction
import Log
import ObjectStore
import Segments
import VectorIndex

extension CairnError {
    /// `error` as the API reports it: a `CairnError` as it is, anything else mapped by kind and code.
    public static func from(_ error: any Error) -> CairnError {
        var mapped: CairnError
        switch error {
        case let error as CairnError: return error
        case let error as CatalogError: mapped = CairnError(error)
        case let error as ValidationError: mapped = CairnError(validation: error)
        case let error as ObjectStoreError: mapped = CairnError(code(for: error.code), "object store: \(error)")
        case let error as BlockfileError: mapped = CairnError(code(for: error.code), "\(error)")
        case let error as LogError: mapped = CairnError(code(for: error.code), "\(error)")
        case let error as VectorIndexError: mapped = CairnError(code(for: error.code), "HNSW index: \(error.message)")
        case let error as CompactionError: mapped = CairnError(code(for: error.code), error.message)
        case is CancellationError: mapped = CairnError(.storage, "the operation was cancelled")
        default: mapped = CairnError(.internal, "\(type(of: error)): \(error)")
        }
        mapped.underlying = error
        return mapped
    }

    static func code(for code: ObjectStoreError.Code) -> Code {
        switch code {
        case .notFound: return .corrupt  // inside an operation, a missing object is one a version names
        case .preconditionFailed: return .conflict
        case .invalidArgument, .invalidRange: return .internal
        default: return .storage  // transient, throttled, I/O, access denied, a broken answer: the store failed
        }
    }

    static func code(for code: BlockfileError.Code) -> Code {
        switch code {
        case .corrupt, .unsupportedVersion, .notFound: return .corrupt
        case .storage: return .storage
        default: return .internal
        }
    }

    static func code(for code: LogError.Code) -> Code {
        switch code {
        case .corrupt, .unsupportedVersion: return .corrupt
        case .conflict: return .conflict
        case .invalidArgument: return .invalidArgument
        default: return .storage
        }
    }

    static func code(for code: VectorIndexError.Code) -> Code {
        switch code {
        case .invalidArgument: return .invalidArgument
        case .corrupt, .unsupportedVersion: return .corrupt
        case .io, .store: return .storage
        default: return .internal
        }
    }

    static func code(for code: CompactionError.Code) -> Code {
        switch code {
        case .conflict: return .conflict
        case .notFound: return .notFound
        case .failed: return .storage
        default: return .internal
        }
    }
}

/// Runs a public entry point: whatever it throws leaves as a `CairnError`.
func boundary<T>(_ body: () async throws -> T) async throws(CairnError) -> T {
    do {
        return try await body()
    } catch {
        throw CairnError.from(error)
    }
}

/// The same for synchronous entry points.
func synchronousBoundary<T>(_ body: () throws -> T) throws(CairnError) -> T {
    do {
        return try body()
    } catch {
        throw CairnError.from(error)
    }
}
