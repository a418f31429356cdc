// A block: one Arrow IPC file holding one record batch of sorted entries — columns `prefix`, `key` and the
// value's columns. Decoding is zero-copy: the views point into the fetched bytes; lookups binary-search them.
import ArrowIPC
import CoreMetrics
import Foundation

/// The typed key column of a block.
enum KeyColumn: Sendable {
    case string(StringArray)
    case uint32(PrimitiveArray<UInt32>)
    case float32(PrimitiveArray<Float>)
    case bool(BoolArray)

    func value(at i: Int) -> KeyValue {
        switch self {
        case .string(let column): .string(column[i])
        case .uint32(let column): .uint32(column[i])
        case .float32(let column): .float32(column[i])
        case .bool(let column): .bool(column[i])
        }
    }

    /// Compares entry i's key with `key` (same type): negative, zero or positive.
    func compare(_ i: Int, with key: KeyValue) -> Int {
        switch (self, key) {
        case (.string(let column), .string(let s)): return column.compare(at: i, with: s)
        case (.uint32(let column), .uint32(let v)): return column[i] < v ? -1 : (column[i] == v ? 0 : 1)
        case (.float32(let column), .float32(let v)): return column[i] < v ? -1 : (column[i] == v ? 0 : 1)
        case (.bool(let column), .bool(let v)): return column[i] == v ? 0 : (v ? -1 : 1)
        default:
            let entry = value(at: i)
            return entry < key ? -1 : (entry == key ? 0 : 1)
        }
    }
}

/// What the shared block cache holds: decoded blocks of any value type.
public protocol CachedBlock: AnyObject, Sendable {
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

/// A decoded block of entries with values of type `Value`.
final class Block<Value: BlockfileValue>: CachedBlock {
    static var formatVersion: Int { 1 }

    let id: String
    let byteSize: Int
    let count: Int
    let batch: RecordBatch
    let prefixes: StringArray
    let keys: KeyColumn
    let values: Value.Columns

    /// Decodes and checks a block: format version, key and value types, and strictly ascending keys (binary
    /// search relies on it, so a block that breaks it is corrupt).
    init(decoding data: Data, id: String, keyType: KeyType) throws(BlockfileError) {
        self.id = id
        byteSize = data.count
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
            guard file.batchCount == 1 else {
                throw BlockfileError(.corrupt, "a block holds one record batch, this has \(file.batchCount)", blockID: id)
            }
            batch = try file.recordBatch(at: 0)
            count = batch.count
            prefixes = try batch.strings(BlockSchema.prefixColumn)
            switch keyType {
            case .string: keys = .string(try batch.strings(BlockSchema.keyColumn))
            case .uint32: keys = .uint32(try batch.primitives(BlockSchema.keyColumn, as: UInt32.self))
            case .float32: keys = .float32(try batch.primitives(BlockSchema.keyColumn, as: Float.self))
            case .bool: keys = .bool(try batch.bools(BlockSchema.keyColumn))
            }
            values = try Value.columns(in: batch)
        } catch let error as ArrowError {
            throw BlockfileError(.corrupt, "\(error)", blockID: id)
        } catch let error as BlockfileError {
            throw error
        } catch {
            throw BlockfileError(.corrupt, "\(error)", blockID: id)
        }
        guard count > 0 else { throw BlockfileError(.corrupt, "block is empty", blockID: id) }
        guard prefixes.array.nullCount == 0, keyArray.nullCount == 0 else {
            throw BlockfileError(.corrupt, "block has null keys", blockID: id)
        }
        for i in 1..<count where compare(i - 1, with: key(at: i)) >= 0 {
            throw BlockfileError(.corrupt, "keys are not strictly ascending at entry \(i)", blockID: id)
        }
    }

    private var keyArray: ArrowArray {
        switch keys {
        case .string(let c): c.array
        case .uint32(let c): c.array
        case .float32(let c): c.array
        case .bool(let c): c.array
        }
    }

    func key(at i: Int) -> BlockfileKey { BlockfileKey(prefixes[i], keys.value(at: i)) }

    func value(at i: Int) throws(BlockfileError) -> Value {
        do {
            return try Value.value(in: values, at: i)
        } catch {
            throw BlockfileError(error.code, error.message, blockID: id)
        }
    }

    /// Compares entry i with `key`: negative, zero or positive.
    func compare(_ i: Int, with key: BlockfileKey) -> Int {
        let byPrefix = prefixes.compare(at: i, with: key.prefix)
        return byPrefix != 0 ? byPrefix : keys.compare(i, with: key.key)
    }

    /// The index of the first entry not less than `key`.
    func lowerBound(_ key: BlockfileKey) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if compare(mid, with: key) < 0 { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The index of the first entry greater than `key`.
    func upperBound(_ key: BlockfileKey) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if compare(mid, with: key) <= 0 { low = mid + 1 } else { high = mid }
        }
        return low
    }

    func index(of key: BlockfileKey) -> Int? {
        let i = lowerBound(key)
        return i < count && compare(i, with: key) == 0 ? i : nil
    }

    /// All entries, decoded (for rewriting the block in a fork).
    func entries() throws(BlockfileError) -> [(key: BlockfileKey, value: Value)] {
        var result: [(key: BlockfileKey, value: Value)] = []
        result.reserveCapacity(count)
        for i in 0..<count { result.append((key(at: i), try value(at: i))) }
        return result
    }
}

/// Column names and metadata keys of blocks.
enum BlockSchema {
    static let prefixColumn = "prefix"
    static let keyColumn = "key"
    static let versionKey = "cairn.block.version"
    static let keyTypeKey = "cairn.key_type"
    static let valueTypeKey = "cairn.value_type"
    /// Bytes a block costs beyond its entries (IPC framing, schema, footer), for size estimates.
    static let overhead = 1024
    /// Bytes per entry beyond key and value (offsets, validity).
    static let perEntryOverhead = 4

    /// Encodes sorted entries as a block.
    static func encode<Value: BlockfileValue>(
        _ entries: ArraySlice<(key: BlockfileKey, value: Value)>, keyType: KeyType
    ) throws(BlockfileError) -> Data {
        do {
            let prefixes = VariableBinaryArrayBuilder(type: .utf8, capacity: entries.count)
            for entry in entries { prefixes.append(entry.key.prefix) }
            let keys: ArrowArray
            let arrowKeyType: ArrowType
            switch keyType {
            case .string:
                let builder = VariableBinaryArrayBuilder(type: .utf8, capacity: entries.count)
                for entry in entries {
                    guard case .string(let s) = entry.key.key else { throw wrongKeyType(entry.key, keyType) }
                    builder.append(s)
                }
                keys = try builder.finish()
                arrowKeyType = .utf8
            case .uint32:
                let builder = PrimitiveArrayBuilder<UInt32>(capacity: entries.count)
                for entry in entries {
                    guard case .uint32(let v) = entry.key.key else { throw wrongKeyType(entry.key, keyType) }
                    builder.append(v)
                }
                keys = builder.finish()
                arrowKeyType = .uint32
            case .float32:
                let builder = PrimitiveArrayBuilder<Float>(capacity: entries.count)
                for entry in entries {
                    guard case .float32(let v) = entry.key.key else { throw wrongKeyType(entry.key, keyType) }
                    builder.append(v)
                }
                keys = builder.finish()
                arrowKeyType = .float32
            case .bool:
                let builder = BoolArrayBuilder()
                for entry in entries {
                    guard case .bool(let v) = entry.key.key else { throw wrongKeyType(entry.key, keyType) }
                    builder.append(v)
                }
                keys = builder.finish()
                arrowKeyType = .bool
            }
            let valueColumns = try Value.makeColumns(entries.map(\.value))
            let batch = try RecordBatch(
                [
                    (ArrowField(prefixColumn, .utf8, nullable: false), try prefixes.finish()),
                    (ArrowField(keyColumn, arrowKeyType, nullable: false), keys),
                ] + valueColumns,
                metadata: [
                    versionKey: String(Block<Value>.formatVersion), keyTypeKey: keyType.rawValue,
                    valueTypeKey: Value.valueType.rawValue,
                ])
            return try ArrowWriter.encode([batch], schema: batch.schema)
        } catch let error as BlockfileError {
            throw error
        } catch {
            throw BlockfileError(.invalidArgument, "cannot encode block: \(error)")
        }
    }

    private static func wrongKeyType(_ key: BlockfileKey, _ type: KeyType) -> BlockfileError {
        BlockfileError(.invalidArgument, "key \(key) is not of this blockfile's key type \(type.rawValue)")
    }
}
