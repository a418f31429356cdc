// Limits on everything a hostile file could inflate: nesting, field and buffer counts, sizes. A reader that
// meets a value above a limit stops with `.limitExceeded` instead of allocating or recursing without bound.

public struct ArrowLimits: Sendable, Hashable {
    /// Deepest nesting of types (List<Struct<List<…>>>) accepted.
    public var maxNestingDepth: Int = 32
    /// Most fields (all levels together) in one schema.
    public var maxFields: Int = 10_000
    /// Most buffers and field nodes in one record batch.
    public var maxBuffers: Int = 100_000
    /// Most record batches listed in one file footer or read from one stream.
    public var maxBatches: Int = 1_000_000
    /// Largest metadata (FlatBuffers) message.
    public var maxMetadataBytes: Int = 64 << 20
    /// Largest size one decompressed buffer may claim (its 8-byte prefix), and largest row count.
    public var maxBufferBytes: Int = 4 << 30
    /// Most key/value pairs in one custom-metadata list.
    public var maxMetadataPairs: Int = 100_000

    public init() {}

    public static let `default` = ArrowLimits()
}
