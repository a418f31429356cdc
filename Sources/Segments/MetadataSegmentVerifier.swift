// What the metadata segment asks of the record segment: the documents of candidate records, to verify full-text
// candidates exactly ($contains needles longer or shorter than one trigram, $regex). The lead's record segment
// implements it; tests use a dictionary.

public protocol MetadataSegmentVerifier: Sendable {
    /// The documents of `offsetIDs` (ascending, at most `MetadataSegmentReader.verificationBatchSize` at a time), in
    /// the same order; nil where a record has no document or no longer exists.
    func documents(for offsetIDs: [UInt32]) async throws -> [String?]
}
