// Aligned raw allocations for buffers. Large ones (≥ 4 MiB) are anonymous mappings advised to use
// transparent huge pages: on these machines a 4 KiB page fault costs microseconds, so filling a fresh 64 MiB
// buffer with 4 KiB pages took ~100 ms against ~28 ms with huge pages (measured; see docs/format.md).
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

enum RawMemory {
    static let mappingThreshold = 4 << 20

    /// At least `byteCount` bytes (one, if zero), 64-byte aligned. Free with `deallocate(_:byteCount:)`.
    /// Pages of large allocations are only touched when written, so a size claimed by a hostile file that is
    /// never filled costs nothing.
    static func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer {
        guard byteCount >= mappingThreshold else {
            return UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        }
        guard let p = mmap(nil, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            p != MAP_FAILED
        else {
            // The same outcome as the standard allocator running out of address space; sizes from files are
            // bounded by ArrowLimits before they get here.
            preconditionFailure("out of memory allocating \(byteCount) bytes")
        }
        #if os(Linux)
            _ = madvise(p, byteCount, MADV_HUGEPAGE)  // advisory: ignored where huge pages are off
        #endif
        return p
    }

    static func deallocate(_ p: UnsafeMutableRawPointer, byteCount: Int) {
        if byteCount >= mappingThreshold {
            munmap(p, byteCount)
        } else {
            p.deallocate()
        }
    }
}
