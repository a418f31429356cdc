// ZSTD for Arrow body compression (libzstd through CZstd). One context per writer or reader call: contexts
// are reused across buffers because creating one costs more than compressing a small buffer.
import CZstd

/// Owns a `ZSTD_CCtx`. Not shared between tasks: each writer makes its own.
final class ZstdCompressor {
    private let context: OpaquePointer
    let level: Int32

    init(level: Int32) throws(ArrowError) {
        guard let c = ZSTD_createCCtx() else { throw ArrowError(.compression, "ZSTD_createCCtx failed") }
        context = c
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    static func bound(_ n: Int) -> Int { Int(ZSTD_compressBound(n)) }

    /// Compresses `src` into `dst` (at least `bound(src.count)` bytes); returns the compressed size.
    func compress(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawPointer, capacity: Int) throws(ArrowError)
        -> Int
    {
        let r = ZSTD_compressCCtx(context, dst, capacity, src.baseAddress, src.count, level)
        if ZSTD_isError(r) != 0 {
            throw ArrowError(.compression, "ZSTD compression failed: \(String(cString: ZSTD_getErrorName(r)))")
        }
        return r
    }
}

/// Owns a `ZSTD_DCtx` for one batch's buffers.
final class ZstdDecompressor {
    private let context: OpaquePointer

    init() throws(ArrowError) {
        guard let c = ZSTD_createDCtx() else { throw ArrowError(.compression, "ZSTD_createDCtx failed") }
        context = c
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `src`, which must expand to exactly `expected` bytes (the buffer's length prefix). A frame
    /// header announcing another size is refused before anything is allocated.
    func decompress(_ src: UnsafeRawBufferPointer, expected: Int, what: String) throws(ArrowError) -> ByteStorage {
        let declared = ZSTD_getFrameContentSize(src.baseAddress, src.count)
        if declared == cairn_zstd_content_size_error() {
            throw ArrowError(.compression, "\(what): not a ZSTD frame")
        }
        if declared != cairn_zstd_content_size_unknown() && declared != UInt64(expected) {
            throw ArrowError(.compression, "\(what): ZSTD frame holds \(declared) bytes, prefix says \(expected)")
        }
        let p = RawMemory.allocate(expected)
        let r = ZSTD_decompressDCtx(context, p, expected, src.baseAddress, src.count)
        if ZSTD_isError(r) != 0 {
            RawMemory.deallocate(p, byteCount: expected)
            throw ArrowError(.compression, "\(what): ZSTD: \(String(cString: ZSTD_getErrorName(r)))")
        }
        guard r == expected else {
            RawMemory.deallocate(p, byteCount: expected)
            throw ArrowError(.compression, "\(what): decompressed to \(r) bytes, prefix says \(expected)")
        }
        return ByteStorage(adopting: p, capacity: expected, count: expected)
    }
}
