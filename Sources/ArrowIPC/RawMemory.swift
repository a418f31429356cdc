// Aligned raw allocations for buffers. Large ones (≥ 4 MiB: decompressed buffers, files read into memory,
// builders' big buffers) are anonymous mappings advised to use transparent huge pages, and are recycled
// through a small bounded pool, as jemalloc does for pyarrow: on these machines a 4 KiB page fault costs
// microseconds, so filling a fresh 64 MiB buffer took ~100 ms with 4 KiB pages, ~28 ms with huge pages, and
// a recycled one only the copy itself (measured; see docs/format.md).
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

enum RawMemory {
    static let mappingThreshold = 4 << 20
    /// Mapping sizes are rounded up to a multiple of this (the huge-page size), which is also the pool's key.
    static let sizeClass = 2 << 20
    /// The pool keeps at most this many bytes of free mappings, none larger than `maxPooledMapping`.
    static let maxPooledBytes = 256 << 20
    static let maxPooledMapping = 128 << 20

    private struct Pool {
        var free: [Int: [UInt]] = [:]
        var bytes = 0
    }
    private static let pool = Mutex(Pool())

    static func mappedSize(_ byteCount: Int) -> Int { (byteCount + sizeClass - 1) / sizeClass * sizeClass }

    /// At least `byteCount` bytes (one, if zero), 64-byte aligned. Free with `deallocate(_:byteCount:)`.
    /// Pages of a new large mapping are only touched when written, so a size claimed by a hostile file that
    /// is never filled costs address space, not memory.
    static func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        guard byteCount >= mappingThreshold else {
            return UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        }
        let size = mappedSize(byteCount)
        let recycled = pool.withLock { p -> UInt? in
            guard let address = p.free[size]?.popLast() else { return nil }
            p.bytes -= size
            return address
        }
        if let recycled, let pointer = UnsafeMutableRawPointer(bitPattern: recycled) { return pointer }
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED
        else {
            // The same outcome as the standard allocator running out of address space; sizes from files are
            // bounded by ArrowLimits before they get here.
            preconditionFailure("out of memory allocating \(byteCount) bytes")
        }
        #if os(Linux)
            _ = madvise(p, size, MADV_HUGEPAGE)  // advisory: ignored where huge pages are off
        #endif
        return p
    }

    static func deallocate(_ p: UnsafeMutableRawPointer, byteCount: Int) {
        guard byteCount >= mappingThreshold else {
            p.deallocate()
            return
        }
        let size = mappedSize(byteCount)
        let kept =
            size <= maxPooledMapping
            && pool.withLock { pool -> Bool in
                guard pool.bytes + size <= maxPooledBytes else { return false }
                pool.free[size, default: []].append(UInt(bitPattern: p))
                pool.bytes += size
                return true
            }
        if !kept { munmap(p, size) }
    }
}
