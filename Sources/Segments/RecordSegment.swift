// The record segment: which offset id each user id has, and the record (id, embedding, metadata, document) stored
// under each offset id. Two blockfiles, so that lookups by user id and scans in offset order both stay cheap.
import Bitmaps
import Blockfile
import Foundation
import ObjectStore

/// The names of a record segment's blockfiles in a version manifest's `files`.
public enum RecordSegmentFiles {
    /// user id (string key, empty prefix) → offset id.
    public static let userIDs = "user_ids"
    /// offset id (uint32 key, empty prefix) → data record.
    public static let records = "records"
    /// One entry ("", "live") → the bitmap of every offset id in the segment, so that a reader knows the set that
    /// filters and complements work within without scanning.
    public static let live = "live"
    static let liveKey = BlockfileKey("", "live")
}

/// One version of a record segment, for reading.
public struct RecordSegmentReader: Sendable {
    public let userIDs: BlockfileReader<UInt32>
    public let records: BlockfileReader<DataRecord>
    public let liveFile: BlockfileReader<RoaringBitmap>
    /// Every offset id in the segment.
    public let live: RoaringBitmap
    /// Where the segment writes its next version (a fork's segment reads its parent's blockfiles until then).
    public let location: BlockfileLocation

    /// Opens the version whose blockfile roots `files` names; a segment never written opens empty.
    public static func open(
        store: any ObjectStore, segment: SegmentPath, files: [String: String], cache: BlockCache
    ) async throws -> RecordSegmentReader {
        let location = BlockfileLocation(segment: segment)
        async let userIDs = openOrEmpty(
            BlockfileReader<UInt32>.self, store, location, files[RecordSegmentFiles.userIDs], .string, cache)
        async let records = openOrEmpty(
            BlockfileReader<DataRecord>.self, store, location, files[RecordSegmentFiles.records], .uint32, cache)
        let liveFile = try await openOrEmpty(
            BlockfileReader<RoaringBitmap>.self, store, location, files[RecordSegmentFiles.live], .string, cache)
        let live = try await liveFile.get(RecordSegmentFiles.liveKey) ?? RoaringBitmap()
        return RecordSegmentReader(
            userIDs: try await userIDs, records: try await records, liveFile: liveFile, live: live, location: location)
    }

    /// A segment that has never been written.
    public static func empty(store: any ObjectStore, segment: SegmentPath, cache: BlockCache) -> RecordSegmentReader {
        let location = BlockfileLocation(segment: segment)
        return RecordSegmentReader(
            userIDs: .empty(
                store: store, location: location, keyType: .string, maxBlockSize: BlockfileDefaults.maxBlockSize,
                cache: cache),
            records: .empty(
                store: store, location: location, keyType: .uint32, maxBlockSize: BlockfileDefaults.maxBlockSize,
                cache: cache),
            liveFile: .empty(
                store: store, location: location, keyType: .string, maxBlockSize: BlockfileDefaults.maxBlockSize,
                cache: cache),
            live: RoaringBitmap(), location: location)
    }

    /// Records in the segment.
    public var count: Int { records.count }

    /// The offset id of each user id (nil where the segment does not hold it), fetching blocks in parallel.
    public func offsetIDs(for ids: [String]) async throws -> [UInt32?] {
        if ids.isEmpty { return [] }
        if ids.count == 1 { return [try await userIDs.get(BlockfileKey("", ids[0]))] }
        return try await userIDs.get(ids.map { BlockfileKey("", $0) })
    }

    /// The record stored under each offset id (nil where there is none).
    public func records(_ offsetIDs: [UInt32]) async throws -> [DataRecord?] {
        if offsetIDs.isEmpty { return [] }
        if offsetIDs.count == 1 { return [try await records.get(BlockfileKey("", offsetIDs[0]))] }
        return try await records.get(offsetIDs.map { BlockfileKey("", $0) })
    }

}

private func openOrEmpty<Value: BlockfileValue>(
    _: BlockfileReader<Value>.Type, _ store: any ObjectStore, _ location: BlockfileLocation, _ rootID: String?,
    _ keyType: KeyType, _ cache: BlockCache
) async throws -> BlockfileReader<Value> {
    guard let rootID else {
        return .empty(
            store: store, location: location, keyType: keyType, maxBlockSize: BlockfileDefaults.maxBlockSize,
            cache: cache)
    }
    return try await BlockfileReader<Value>.open(store: store, location: location, rootID: rootID, cache: cache)
}

/// Changes to a record segment on a copy-on-write fork; `commit` writes the new version and returns its files.
public final class RecordSegmentWriter {
    private let userIDs: BlockfileWriter<UInt32>
    private let records: BlockfileWriter<DataRecord>
    private let liveFile: BlockfileWriter<RoaringBitmap>
    /// Every offset id the new version holds.
    public private(set) var live: RoaringBitmap

    public init(forking parent: RecordSegmentReader) {
        userIDs = BlockfileWriter(forking: parent.userIDs, into: parent.location)
        records = BlockfileWriter(forking: parent.records, into: parent.location)
        liveFile = BlockfileWriter(forking: parent.liveFile, into: parent.location)
        live = parent.live
    }

    /// Stores `record` under `offsetID` (a new record, or a new state of an existing one).
    public func set(offsetID: UInt32, _ record: DataRecord) throws {
        try userIDs.set(BlockfileKey("", record.id), offsetID)
        try records.set(BlockfileKey("", offsetID), record)
        live.insert(offsetID)
    }

    /// Removes the record `userID` stored under `offsetID`.
    public func delete(offsetID: UInt32, userID: String) throws {
        try userIDs.delete(BlockfileKey("", userID))
        try records.delete(BlockfileKey("", offsetID))
        live.remove(offsetID)
    }

    /// Writes the changed blocks and both roots; the result goes into the version manifest.
    public func commit() async throws -> [String: String] {
        // One after the other: each commit already uploads its blocks in parallel.
        let userIDsRoot = try await userIDs.commit().root.rootID
        let recordsRoot = try await records.commit().root.rootID
        try liveFile.set(RecordSegmentFiles.liveKey, live)
        let liveRoot = try await liveFile.commit().root.rootID
        return [
            RecordSegmentFiles.userIDs: userIDsRoot, RecordSegmentFiles.records: recordsRoot,
            RecordSegmentFiles.live: liveRoot,
        ]
    }
}
