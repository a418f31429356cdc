// A record batch: a schema and one equally long column per field. What the writer writes and the readers return.

public struct RecordBatch: Sendable {
    public let schema: ArrowSchema
    public let columns: [ArrowArray]
    public let count: Int
    /// For a batch read from a file or stream: the memory it holds beyond the bytes it was read from
    /// (decompressed buffers, aligned copies of unaligned ones); 0 when it is all views of those bytes, and for
    /// batches built in memory.
    public let ownedBytes: Int

    /// Checks that there is one column per field, of the field's type, all `count` long, and that each
    /// column's buffers and offsets are consistent.
    public init(schema: ArrowSchema, columns: [ArrowArray]) throws(ArrowError) {
        guard columns.count == schema.fields.count else {
            throw ArrowError(.invalidArgument, "\(columns.count) columns for \(schema.fields.count) fields")
        }
        let n = columns.first?.length ?? 0
        for (c, f) in zip(columns, schema.fields) {
            guard c.type == f.type else {
                throw ArrowError(.invalidArgument, "column \(f.name) has type \(c.type), the schema says \(f.type)")
            }
            guard c.length == n else {
                throw ArrowError(.invalidArgument, "column \(f.name) has \(c.length) rows, the first has \(n)")
            }
            if !f.nullable && c.nullCount > 0 {
                throw ArrowError(.invalidArgument, "column \(f.name) is not nullable but has \(c.nullCount) nulls")
            }
            try c.validate(path: f.name, depth: 0, limits: .default)
        }
        self.init(unchecked: schema, columns: columns, count: n)
    }

    init(unchecked schema: ArrowSchema, columns: [ArrowArray], count: Int, ownedBytes: Int = 0) {
        self.schema = schema
        self.columns = columns
        self.count = count
        self.ownedBytes = ownedBytes
    }

    /// Convenience: builds the schema from `(field, column)` pairs.
    public init(_ pairs: [(ArrowField, ArrowArray)], metadata: [String: String] = [:]) throws(ArrowError) {
        try self.init(schema: ArrowSchema(pairs.map(\.0), metadata: metadata), columns: pairs.map(\.1))
    }

    public func column(_ name: String) throws(ArrowError) -> ArrowArray {
        guard let i = schema.index(of: name) else {
            throw ArrowError(.invalidArgument, "no column named \(name)")
        }
        return columns[i]
    }

    public func strings(_ name: String) throws(ArrowError) -> StringArray { try column(name).strings() }
    public func binaries(_ name: String) throws(ArrowError) -> BinaryArray { try column(name).binaries() }
    public func bools(_ name: String) throws(ArrowError) -> BoolArray { try column(name).bools() }
    public func primitives<T: ArrowPrimitive>(_ name: String, as _: T.Type = T.self) throws(ArrowError)
        -> PrimitiveArray<T>
    { try column(name).primitives(T.self) }
    public func float32Vectors(_ name: String) throws(ArrowError) -> FixedSizeFloat32Array {
        try column(name).float32Vectors()
    }
    public func lists<T: ArrowPrimitive>(_ name: String, of _: T.Type = T.self) throws(ArrowError) -> ListArray<T> {
        try column(name).lists(of: T.self)
    }
    public func structure(_ name: String) throws(ArrowError) -> StructArray { try column(name).structure() }
}
