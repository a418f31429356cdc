// Seeding the materializer with what the record segment holds for the ids a run of log records touches.
import Blockfile
import Log

extension LogMaterializer {
    /// Looks up, in one batch, the compacted state of every id in `records` not seen before, and seeds it.
    public mutating func seed(for records: [LogRecord], from segment: RecordSegmentReader) async throws {
        let ids = unseeded(records)
        guard !ids.isEmpty else { return }
        let offsets = try await segment.offsetIDs(for: ids)
        let present = offsets.compactMap { $0 }
        var byOffset: [UInt32: DataRecord] = [:]
        for (offset, record) in zip(present, try await segment.records(present)) {
            if let record { byOffset[offset] = record }
        }
        for (id, offset) in zip(ids, offsets) {
            seed(id, compacted: offset.flatMap { o in byOffset[o].map { (o, $0) } })
        }
    }
}
