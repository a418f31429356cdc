// Turns a run of log records into the final state of each id they touch, on top of the compacted state: the one
// place that knows what add, update, upsert and delete mean. Reads (over the uncompacted tail) and compaction
// (when it folds the tail into segments) both use it, so they can never disagree.
import Blockfile
import Log

/// What the log did to one id.
public struct MaterializedEntry: Sendable, Equatable {
    /// Where the id lives in the compacted segments (nil if it is not there).
    public var offsetID: UInt32?
    /// Its record in the compacted segments.
    public var compacted: DataRecord?
    /// Its record after the log records: nil when it is absent (deleted, or never added).
    public var current: DataRecord?
    /// Position of the last log record that changed the id.
    public var lastSequence: Int
    /// Position of the log record that (re)created the id, when the log did: a new record, or one deleted and
    /// added again. Such a record takes a new offset id and sorts after the compacted ones, as Chroma orders it.
    /// Nil while the id is the compacted record (possibly updated) or absent.
    public var createdSequence: Int?

    /// The log changed the id's state relative to the compacted segments.
    public var isChanged: Bool { compacted != current }
}

/// Chroma's semantics, record by record: `add` of an existing id and `update` of a missing one are ignored;
/// `upsert` adds or updates; `update` and `upsert` change only the fields they carry, and merge metadata key by key
/// (a null value removes a key); `delete` removes.
public struct LogMaterializer: Sendable {
    /// Merges a metadata update (a JSON object whose null values delete keys) into existing metadata (JSON or nil);
    /// returns nil when no keys are left.
    public typealias MetadataMerge = @Sendable (_ existing: String?, _ update: String) throws -> String?
    /// Turns a metadata JSON object as written into the form records store (nulls dropped); nil if empty.
    public typealias MetadataNormalize = @Sendable (_ written: String) throws -> String?

    public private(set) var entries: [String: MaterializedEntry] = [:]
    private var sequence = 0
    private let merge: MetadataMerge
    private let normalize: MetadataNormalize

    public init(merge: @escaping MetadataMerge, normalize: @escaping MetadataNormalize) {
        self.merge = merge
        self.normalize = normalize
    }

    /// The ids `records` touch that `entries` does not know yet: their compacted state must be supplied with
    /// `seed` before `apply`.
    public func unseeded(_ records: [LogRecord]) -> [String] {
        var seen = Set<String>()
        var ids: [String] = []
        for record in records where entries[record.id] == nil && seen.insert(record.id).inserted {
            ids.append(record.id)
        }
        return ids
    }

    /// Records the compacted state of `id` (offset id and record, or nil when the segments do not hold it).
    public mutating func seed(_ id: String, compacted: (offsetID: UInt32, record: DataRecord)?) {
        guard entries[id] == nil else { return }
        entries[id] = MaterializedEntry(
            offsetID: compacted?.offsetID, compacted: compacted?.record, current: compacted?.record, lastSequence: -1,
            createdSequence: nil)
    }

    /// Applies `records` in order. Every id they touch must have been seeded. `metadataInStoredForm`: the records'
    /// add/upsert metadata is already what `normalize` would make of it (records this process just wrote from
    /// `Metadata.jsonText`), so it is taken as it is — parsing and printing it again cost a bulk load ~8 % of the
    /// server's CPU.
    public mutating func apply(_ records: [LogRecord], metadataInStoredForm: Bool = false) throws {
        for record in records {
            sequence += 1
            var entry =
                entries[record.id]
                ?? MaterializedEntry(
                    offsetID: nil, compacted: nil, current: nil, lastSequence: -1, createdSequence: nil)
            let before = entry.current
            switch record.operation {
            case .add:
                if entry.current == nil { entry.current = try fresh(record, metadataInStoredForm) }
            case .upsert:
                entry.current =
                    try entry.current.map { try updated($0, with: record) } ?? fresh(record, metadataInStoredForm)
            case .update:
                if let current = entry.current { entry.current = try updated(current, with: record) }
            case .delete:
                entry.current = nil
            }
            if entry.current != before { entry.lastSequence = sequence }
            if before == nil, entry.current != nil { entry.createdSequence = sequence }
            if entry.current == nil { entry.createdSequence = nil }
            entries[record.id] = entry
        }
    }

    private func fresh(_ record: LogRecord, _ metadataInStoredForm: Bool) throws -> DataRecord {
        DataRecord(
            id: record.id, embedding: record.embedding,
            metadataJSON: metadataInStoredForm ? record.metadataJSON : try record.metadataJSON.flatMap(normalize),
            document: record.document)
    }

    private func updated(_ current: DataRecord, with record: LogRecord) throws -> DataRecord {
        var next = current
        if let embedding = record.embedding { next.embedding = embedding }
        if let document = record.document { next.document = document }
        if let update = record.metadataJSON { next.metadataJSON = try merge(current.metadataJSON, update) }
        return next
    }
}
