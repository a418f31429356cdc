// A block: one Arrow IPC file holding one record batch of sorted entries — columns `prefix`, `key` and the
// value's columns. Decoding is zero-copy: the views point into the fetched bytes; lookups binary-search them.
import ArrowIPC
import CoreMetrics
import Foundation

/// The typed key column of a block (or a root's first/last key column).
enum KeyColumn: Sendable {
    case string(StringArray)
    case uint32(PrimitiveArray<UInt32>)
    case float32(PrimitiveArray<Float>)
    case bool(BoolArray)

    /// Views the column `name` of `batch` as keys of `type`.
    init(_ batch: RecordBatch, _ name: String, _ type: KeyType) throws(ArrowError) {
        try self.init(batch.column(name), type)
    }

    /// Views `array` as keys of `type`.
    init(_ array: ArrowArray, _ type: KeyType) throws(ArrowError) {
        switch type {
        case .string: self = .string(try array.strings())
        case .uint32: self = .uint32(try array.primitives(UInt32.self))
        case .float32: self = .float32(try array.primitives(Float.self))
        case .bool: self = .bool(try array.bools())
        }
    }

    /// An Arrow column of `keys`, which must all be of `type`.
    static func build(_ keys: some Collection<KeyValue>, _ type: KeyType) throws(BlockfileError) -> (
        ArrowArray, ArrowType
    ) {
        func wrongType(_ key: KeyValue) -> BlockfileError {
            BlockfileError(.invalidArgument, "key \(key) is not of this blockfile's key type \(type.rawValue)")
        }
        do {
            switch type {
            case .string:
                let builder = VariableBinaryArrayBuilder(type: .utf8, capacity: keys.count)
                for key in keys {
                    guard case .string(let s) = key else { throw wrongType(key) }
                    builder.append(s)
                }
                return (try builder.finish(), .utf8)
            case .uint32:
                let builder = PrimitiveArrayBuilder<UInt32>(capacity: keys.count)
                for key in keys {
                    guard case .uint32(let v) = key else { throw wrongType(key) }
                    builder.append(v)
                }
                return (builder.finish(), .uint32)
            case .float32:
                let builder = PrimitiveArrayBuilder<Float>(capacity: keys.count)
                for key in keys {
                    guard case .float32(let v) = key else { throw wrongType(key) }
                    builder.append(v)
                }
                return (builder.finish(), .float32)
            case .bool:
                let builder = BoolArrayBuilder()
                for key in keys {
                    guard case .bool(let v) = key else { throw wrongType(key) }
                    builder.append(v)
                }
                return (builder.finish(), .bool)
            }
        } catch let error as BlockfileError {
            throw error
        } catch {
            throw BlockfileError(.invalidArgument, "cannot encode keys: \(error)")
        }
    }

    var array: ArrowArray {
        switch self {
        case .string(let c): c.array
        case .uint32(let c): c.array
        case .float32(let c): c.array
        case .bool(let c): c.array
        }
    }

    func value(at i: Int) -> KeyValue {
        switch self {
        case .string(let column): .string(column[i])
        case .uint32(let column): .uint32(column[i])
        case .float32(let column): .float32(column[i])
        case .bool(let column): .bool(column[i])
        }
    }
}

/// What the shared block cache holds: decoded blocks of any value type.
public protocol CachedBlock: AnyObject, Sendable {
    /// The memory the decoded block holds: its object's bytes plus any buffers decompressed from them.
    var byteSize: Int { get }
}

/// The cache every blockfile reader shares: decoded blocks by object key, weighted by their size in bytes.
public typealias BlockCache = WeightedCache<String, any CachedBlock>

extension WeightedCache where Key == String, Value == any CachedBlock {
    /// A block cache holding at most `capacity` bytes of blocks.
    public convenience init(blockCapacity capacity: Int, factory: MetricsFactory = MetricsSystem.factory) {
        self.init(capacity: capacity, name: "block", factory: factory) { $0.byteSize }
    }
}

/// How a delta entry changes its base block.
enum DeltaChange: UInt32, Sendable {
    /// A key the base block does not have.
    case insert = 0
    /// A new value for a key of the base block.
    case update = 1
    /// A key of the base block removed (the entry's value is a placeholder).
    case delete = 2
}

/// Whether a block holds entries (a base block) or changes to a base block (a delta).
enum BlockKind: String, Sendable {
    case base
    case delta
}

/// A decoded block of entries with values of type `Value`: a base block, or a delta whose entries carry a change.
/// Key lookups and key materialisation go through `keys` (non-generic, raw pointers into `batch`'s bytes); only
/// reading values back depends on `Value`.
final class Block<Value: BlockfileValue>: CachedBlock {
    static var formatVersion: Int { 1 }

    let id: String
    let byteSize: Int
    let count: Int
    let kind: BlockKind
    /// Owns the bytes `keys` and `changes` point into.
    let batch: RecordBatch
    let keys: BlockKeys
    /// Every 32nd key, searched first by lookups (nil for small blocks).
    let sample: KeySample?
    let values: Value.Columns
    /// The change of each entry, as stored (deltas only): little-endian UInt32s in `batch`'s bytes.
    private let changes: RawUInt32Column?

    /// Decodes and checks a block: format version, kind, key and value types, and strictly ascending keys (binary
    /// search relies on it, so a block that breaks it is corrupt).
    init(decoding data: Data, id: String, keyType: KeyType, kind expectedKind: BlockKind) throws(BlockfileError) {
        self.id = id
        kind = expectedKind
        let prefixes: StringArray
        let keyColumn: KeyColumn
        let changeColumn: PrimitiveArray<UInt32>?
        do {
            let file = try ArrowFileReader(data: data)
            let metadata = file.metadata
            guard let versionText = metadata[BlockSchema.versionKey], let version = Int(versionText) else {
                throw BlockfileError(.corrupt, "not a Cairn block (no \(BlockSchema.versionKey) metadata)", blockID: id)
            }
            guard version <= Self.formatVersion else {
                throw BlockfileError(
                    .unsupportedVersion, "block format \(version) is newer than this reader (\(Self.formatVersion))",
                    blockID: id)
            }
            guard metadata[BlockSchema.keyTypeKey] == keyType.rawValue,
                metadata[BlockSchema.valueTypeKey] == Value.valueType.rawValue
            else {
                throw BlockfileError(
                    .corrupt,
                    "block holds \(metadata[BlockSchema.keyTypeKey] ?? "?") → \(metadata[BlockSchema.valueTypeKey] ?? "?"), expected \(keyType.rawValue) → \(Value.valueType.rawValue)",
                    blockID: id)
            }
            guard (metadata[BlockSchema.kindKey] ?? BlockKind.base.rawValue) == expectedKind.rawValue else {
                throw BlockfileError(
                    .corrupt,
                    "block is a \(metadata[BlockSchema.kindKey] ?? "base") block, expected \(expectedKind.rawValue)",
                    blockID: id)
            }
            guard file.batchCount == 1 else {
                throw BlockfileError(
                    .corrupt, "a block holds one record batch, this has \(file.batchCount)", blockID: id)
            }
            batch = try file.recordBatch(at: 0)
            byteSize = data.count + batch.ownedBytes
            changeColumn =
                expectedKind == .delta ? try batch.primitives(BlockSchema.changeColumn, as: UInt32.self) : nil
            count = batch.count
            prefixes = try batch.strings(BlockSchema.prefixColumn)
            keyColumn = try KeyColumn(batch, BlockSchema.keyColumn, keyType)
            values = try Value.columns(in: batch)
        } catch let error as ArrowError {
            throw BlockfileError(.corrupt, "\(error)", blockID: id)
        } catch let error as BlockfileError {
            throw error
        } catch {
            throw BlockfileError(.corrupt, "\(error)", blockID: id)
        }
        guard count > 0 else { throw BlockfileError(.corrupt, "block is empty", blockID: id) }
        guard prefixes.array.nullCount == 0, keyColumn.array.nullCount == 0 else {
            throw BlockfileError(.corrupt, "block has null keys", blockID: id)
        }
        keys = BlockKeys(prefixes: prefixes, keys: keyColumn)
        changes = changeColumn.map(RawUInt32Column.init)
        sample = KeySample(keys)
        for i in 1..<count where keys.compare(i - 1, keys, i) >= 0 {
            throw BlockfileError(.corrupt, "keys are not strictly ascending at entry \(i)", blockID: id)
        }
        if let changes {
            for i in 0..<count {
                let raw = changes[i]
                if DeltaChange(rawValue: raw) == nil {
                    throw BlockfileError(.corrupt, "delta entry \(i) has unknown change \(raw)", blockID: id)
                }
            }
        }
    }

    /// The change of delta entry i.
    @inline(__always) func change(at i: Int) -> DeltaChange {
        guard let changes else { return .insert }
        return DeltaChange(rawValue: changes[i]) ?? .insert
    }

    func key(at i: Int) -> BlockfileKey { keys.key(at: i) }

    func value(at i: Int) throws(BlockfileError) -> Value {
        do {
            return try Value.value(in: values, at: i)
        } catch {
            throw BlockfileError(error.code, error.message, blockID: id)
        }
    }

    /// Appends entries `range` to `batch`.
    func append(_ range: Range<Int>, to batch: inout BlockfileBatch<Value>) throws(BlockfileError) {
        keys.appendKeys(range, to: &batch.keys)
        do {
            try Value.appendValues(in: values, range, to: &batch.values)
        } catch {
            throw BlockfileError(error.code, error.message, blockID: id)
        }
    }

    /// Compares entry i with `key`: negative, zero or positive.
    func compare(_ i: Int, with key: BlockfileKey) -> Int { keys.compare(i, with: key) }

    /// The index of the first entry not less than `key`.
    func lowerBound(_ key: BlockfileKey) -> Int { keys.lowerBound(key, sample: sample) }

    /// The index of the first entry greater than `key`.
    func upperBound(_ key: BlockfileKey) -> Int { keys.upperBound(key, sample: sample) }

    func index(of key: BlockfileKey) -> Int? { keys.index(of: key, sample: sample) }
}

/// Column names and metadata keys of blocks.
enum BlockSchema {
    /// Blocks are written with ZSTD (level 1) for the buffers it shrinks by a quarter or more — ids, keys,
    /// metadata and documents, typically 2–4× — while buffers it barely shrinks, such as embeddings, stay
    /// uncompressed and are read in place (decision 0017). pyarrow reads both kinds.
    static let writeOptions = ArrowWriteOptions(compression: .zstd(level: 1), minimumSavings: 0.25)

    static let prefixColumn = "prefix"
    static let keyColumn = "key"
    static let versionKey = "cairn.block.version"
    static let keyTypeKey = "cairn.key_type"
    static let valueTypeKey = "cairn.value_type"
    static let kindKey = "cairn.block.kind"
    static let changeColumn = "change"
    /// Bytes a block costs beyond its entries (IPC framing, schema, footer), for size estimates.
    static let overhead = 1024
    /// Bytes per entry beyond key and value (offsets, validity).
    static let perEntryOverhead = 4

    /// Encodes sorted entries as a block.
    static func encode<Value: BlockfileValue>(
        _ entries: ArraySlice<(key: BlockfileKey, value: Value)>, keyType: KeyType, changes: [DeltaChange]? = nil
    ) throws(BlockfileError) -> Data {
        do {
            let prefixes = VariableBinaryArrayBuilder(type: .utf8, capacity: entries.count)
            for entry in entries { prefixes.append(entry.key.prefix) }
            let (keys, arrowKeyType) = try KeyColumn.build(entries.lazy.map(\.key.key), keyType)
            let valueColumns = try Value.makeColumns(entries.map(\.value))
            var metadata = [
                versionKey: String(Block<Value>.formatVersion), keyTypeKey: keyType.rawValue,
                valueTypeKey: Value.valueType.rawValue,
            ]
            var changeColumns: [(ArrowField, ArrowArray)] = []
            if let changes {
                metadata[kindKey] = BlockKind.delta.rawValue
                changeColumns = [
                    (ArrowField(changeColumn, .uint32, nullable: false), ArrowArray.primitives(changes.map(\.rawValue)))
                ]
            }
            let batch = try RecordBatch(
                [
                    (ArrowField(prefixColumn, .utf8, nullable: false), try prefixes.finish()),
                    (ArrowField(keyColumn, arrowKeyType, nullable: false), keys),
                ] + changeColumns + valueColumns,
                metadata: metadata)
            return try ArrowWriter.encode([batch], schema: batch.schema, options: BlockSchema.writeOptions)
        } catch let error as BlockfileError {
            throw error
        } catch {
            throw BlockfileError(.invalidArgument, "cannot encode block: \(error)")
        }
    }
}
