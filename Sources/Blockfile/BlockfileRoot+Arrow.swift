// How a root is stored: an Arrow IPC file with one row per block (id, first and last key, count, size) and the
// blockfile's identity in the schema metadata. Readers refuse versions newer than they know.
import ArrowIPC
import Foundation

extension BlockfileRoot {
    enum Schema {
        static let versionKey = "cairn.root.version"
        static let blockfileIDKey = "cairn.blockfile_id"
        static let keyTypeKey = "cairn.key_type"
        static let valueTypeKey = "cairn.value_type"
        static let maxBlockSizeKey = "cairn.max_block_size"
    }

    /// The root as an Arrow IPC file.
    public func encoded() throws(BlockfileError) -> Data {
        do {
            let ids = VariableBinaryArrayBuilder(type: .utf8, capacity: blocks.count)
            let deltaIDs = VariableBinaryArrayBuilder(type: .utf8, capacity: blocks.count)
            let firstPrefixes = VariableBinaryArrayBuilder(type: .utf8, capacity: blocks.count)
            let lastPrefixes = VariableBinaryArrayBuilder(type: .utf8, capacity: blocks.count)
            for block in blocks {
                ids.append(block.blockID)
                deltaIDs.append(block.deltaID)
                firstPrefixes.append(block.firstKey.prefix)
                lastPrefixes.append(block.lastKey.prefix)
            }
            let (firstKeys, keyArrowType) = try KeyColumn.build(blocks.map(\.firstKey.key), keyType)
            let (lastKeys, _) = try KeyColumn.build(blocks.map(\.lastKey.key), keyType)
            let batch = try RecordBatch(
                [
                    (ArrowField("block_id", .utf8, nullable: false), try ids.finish()),
                    (ArrowField("first_prefix", .utf8, nullable: false), try firstPrefixes.finish()),
                    (ArrowField("first_key", keyArrowType, nullable: false), firstKeys),
                    (ArrowField("last_prefix", .utf8, nullable: false), try lastPrefixes.finish()),
                    (ArrowField("last_key", keyArrowType, nullable: false), lastKeys),
                    (
                        ArrowField("count", .uint64, nullable: false),
                        ArrowArray.primitives(blocks.map { UInt64($0.count) })
                    ),
                    (
                        ArrowField("byte_size", .uint64, nullable: false),
                        ArrowArray.primitives(blocks.map { UInt64($0.byteSize) })
                    ),
                    (ArrowField("delta_id", .utf8, nullable: true), try deltaIDs.finish()),
                    (
                        ArrowField("delta_byte_size", .uint64, nullable: false),
                        ArrowArray.primitives(blocks.map { UInt64($0.deltaByteSize) })
                    ),
                ],
                metadata: [
                    Schema.versionKey: String(writtenFormatVersion), Schema.blockfileIDKey: blockfileID,
                    Schema.keyTypeKey: keyType.rawValue, Schema.valueTypeKey: valueType.rawValue,
                    Schema.maxBlockSizeKey: String(maxBlockSize),
                ])
            return try ArrowWriter.encode([batch], schema: batch.schema)
        } catch let error as BlockfileError {
            throw error
        } catch {
            throw BlockfileError(.invalidArgument, "cannot encode root: \(error)", blockfileID: blockfileID)
        }
    }

    /// Reads and validates a root.
    public init(decoding data: Data, rootID: String) throws(BlockfileError) {
        do {
            let file = try ArrowFileReader(data: data)
            let metadata = file.metadata
            guard let versionText = metadata[Schema.versionKey], let version = Int(versionText) else {
                throw BlockfileError(.corrupt, "root \(rootID) is not a Cairn blockfile root (no version)")
            }
            guard version <= Self.formatVersion else {
                throw BlockfileError(
                    .unsupportedVersion,
                    "root \(rootID) has format version \(version); this reader knows up to \(Self.formatVersion)")
            }
            guard let blockfileID = metadata[Schema.blockfileIDKey],
                let keyType = metadata[Schema.keyTypeKey].flatMap(KeyType.init(rawValue:)),
                let valueType = metadata[Schema.valueTypeKey].flatMap(ValueType.init(rawValue:)),
                let maxBlockSize = metadata[Schema.maxBlockSizeKey].flatMap(Int.init)
            else {
                throw BlockfileError(.corrupt, "root \(rootID) lacks its blockfile id, key/value types or block size")
            }
            guard file.batchCount == 1 else {
                throw BlockfileError(.corrupt, "root \(rootID) holds \(file.batchCount) batches, expected 1")
            }
            let batch = try file.recordBatch(at: 0)
            let ids = try batch.strings("block_id")
            let firstPrefixes = try batch.strings("first_prefix")
            let lastPrefixes = try batch.strings("last_prefix")
            let firstKeys = try KeyColumn(batch, "first_key", keyType)
            let lastKeys = try KeyColumn(batch, "last_key", keyType)
            let counts = try batch.primitives("count", as: UInt64.self)
            let sizes = try batch.primitives("byte_size", as: UInt64.self)
            let deltaIDs = try batch.strings("delta_id")
            let deltaSizes = try batch.primitives("delta_byte_size", as: UInt64.self)
            var blocks: [BlockRef] = []
            blocks.reserveCapacity(batch.count)
            for i in 0..<batch.count {
                guard counts[i] <= UInt64(Int.max), sizes[i] <= UInt64(Int.max), deltaSizes[i] <= UInt64(Int.max) else {
                    throw BlockfileError(.corrupt, "root \(rootID) row \(i) has an impossible count or size")
                }
                blocks.append(
                    BlockRef(
                        blockID: ids[i], firstKey: BlockfileKey(firstPrefixes[i], firstKeys.value(at: i)),
                        lastKey: BlockfileKey(lastPrefixes[i], lastKeys.value(at: i)), count: Int(counts[i]),
                        byteSize: Int(sizes[i]), deltaID: deltaIDs.value(at: i), deltaByteSize: Int(deltaSizes[i])))
            }
            self.init(
                blockfileID: blockfileID, rootID: rootID, keyType: keyType, valueType: valueType,
                maxBlockSize: maxBlockSize, blocks: blocks)
        } catch let error as BlockfileError {
            throw error
        } catch {
            throw BlockfileError(.corrupt, "root \(rootID): \(error)")
        }
        try validate()
    }
}
