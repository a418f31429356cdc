// The logical model: the Arrow types Cairn reads and writes, fields with their custom metadata, and schemas.

/// The Arrow data types of this module. `largeUtf8`/`largeBinary` are read (pyarrow writes them) and can be
/// written too; everything else in Arrow (dictionaries, decimals, temporal types…) is refused by name.
public indirect enum ArrowType: Sendable, Hashable, CustomStringConvertible {
    case bool
    case int32, int64, uint32, uint64
    case float32, float64
    case utf8, binary
    case largeUtf8, largeBinary
    /// Lists of exactly `size` values; `FixedSizeList<Float32>` is the embedding column.
    case fixedSizeList(ArrowField, size: Int)
    case list(ArrowField)
    case structure([ArrowField])

    /// An embedding column: `fixed_size_list<item: float32>[dimension]`.
    public static func embedding(dimension: Int) -> ArrowType {
        .fixedSizeList(ArrowField("item", .float32, nullable: true), size: dimension)
    }

    /// Byte width of one value for fixed-width primitive types.
    public var primitiveWidth: Int? {
        switch self {
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .bool: "bool"
        case .int32: "int32"
        case .int64: "int64"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .float32: "float"
        case .float64: "double"
        case .utf8: "string"
        case .binary: "binary"
        case .largeUtf8: "large_string"
        case .largeBinary: "large_binary"
        case .fixedSizeList(let f, let n): "fixed_size_list<\(f.name): \(f.type)>[\(n)]"
        case .list(let f): "list<\(f.name): \(f.type)>"
        case .structure(let fs): "struct<" + fs.map { "\($0.name): \($0.type)" }.joined(separator: ", ") + ">"
        }
    }
}

/// A named, typed column (or child) with optional custom metadata.
public struct ArrowField: Sendable, Hashable {
    public var name: String
    public var type: ArrowType
    public var nullable: Bool
    public var metadata: [String: String]

    public init(_ name: String, _ type: ArrowType, nullable: Bool = true, metadata: [String: String] = [:]) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.metadata = metadata
    }
}

/// The columns of a record batch plus schema-level custom metadata.
public struct ArrowSchema: Sendable, Hashable {
    public var fields: [ArrowField]
    public var metadata: [String: String]

    public init(_ fields: [ArrowField], metadata: [String: String] = [:]) {
        self.fields = fields
        self.metadata = metadata
    }

    public func index(of name: String) -> Int? { fields.firstIndex { $0.name == name } }
}
