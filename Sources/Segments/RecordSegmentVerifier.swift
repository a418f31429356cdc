// The record segment answering the metadata segment's verification requests (documents of candidate records).

public struct RecordSegmentVerifier: MetadataSegmentVerifier {
    public let records: RecordSegmentReader

    public init(records: RecordSegmentReader) {
        self.records = records
    }

    public func documents(for offsetIDs: [UInt32]) async throws -> [String?] {
        try await records.records(offsetIDs).map { $0?.document }
    }
}
