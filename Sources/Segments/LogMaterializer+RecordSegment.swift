// Seeding the materializer with what the record segment holds for the ids a run of log records touches.
import Blockfile
import Log

extension LogMaterializer {
    /// The compacted state of one id: its offset id and record, or nil when the segments do not hold it.
    public typealias Seed = (id: String, compacted: (offsetID: UInt32, record: DataRecord)?)

    /// Looks up, in one batch, the compacted state of every id in `records` not seen before (for `seed(_:)`).
    public func compactedState(for records: [LogRecord], in segment: RecordSegmentReader) async throws -> [Seed] {
        let ids = unseeded(records)
        guard !ids.isEmpty else { return [] }
        let offsets = try await segment.offsetIDs(for: ids)
        let present = offsets.compactMap { $0 }
        var byOffset: [UInt32: DataRecord] = [:]
        for (offset, record) in zip(present, try await segment.records(present)) {
            if let record { byOffset[offset] = record }
        }
        return zip(ids, offsets).map { id, offset in (id, offset.flatMap { o in byOffset[o].map { (o, $0) } }) }
    }

    /// Records looked-up compacted states.
    public mutating func seed(_ seeds: [Seed]) {
        for seed in seeds { self.seed(seed.id, compacted: seed.compacted) }
    }

    /// Looks up and seeds the compacted state of every id in `records` not seen before.
    public mutating func seed(for records: [LogRecord], from segment: RecordSegmentReader) async throws {
        seed(try await compactedState(for: records, in: segment))
    }
}
