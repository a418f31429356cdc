// The memory every column view points into: a memory-mapped file, a retained `Data`, or an aligned allocation
// made by a builder or by decompression. Views keep their storage alive, so no value is ever copied out.
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Immutable bytes with a stable address for as long as the object lives.
///
/// `@unchecked Sendable` because it owns a raw pointer: the bytes are never written after `init` returns
/// (builders hand over a finished allocation), so sharing them across tasks needs no lock.
public final class ByteStorage: @unchecked Sendable {
    private enum Owner {
        /// From `RawMemory.allocate`, of this many bytes.
        case allocation(capacity: Int)
        case mapping(length: Int)
        case data(Data)
        case none
    }

    /// First byte; 64-byte aligned for allocations, page-aligned for mappings, at least 8-aligned for `Data`.
    let base: UnsafeRawPointer
    public let count: Int
    private let owner: Owner

    /// Takes ownership of `pointer`, which must come from `RawMemory.allocate(capacity)`.
    init(adopting pointer: UnsafeMutableRawPointer, capacity: Int, count: Int) {
        self.base = UnsafeRawPointer(pointer)
        self.count = count
        self.owner = .allocation(capacity: capacity)
    }

    /// An empty storage (no allocation).
    static let empty = ByteStorage(emptyMarker: ())
    private init(emptyMarker: Void) {
        let p = RawMemory.allocate(64)
        p.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        self.base = UnsafeRawPointer(p)
        self.count = 0
        self.owner = .allocation(capacity: 64)
    }

    /// Copies `bytes` into a fresh 64-byte-aligned allocation.
    public convenience init(copying bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        let p = RawMemory.allocate(n)
        if let src = bytes.baseAddress, n > 0 { p.copyMemory(from: src, byteCount: n) }
        self.init(adopting: p, capacity: n, count: n)
    }

    /// Wraps `data` without copying when its bytes live in a heap storage (any `Data` longer than its inline
    /// capacity, which every Arrow file is) at an 8-aligned address; otherwise makes one aligned copy.
    ///
    /// Why this is sound: a `Data` above the inline size keeps its bytes in a reference-counted heap storage
    /// that is not moved or freed while a copy of the `Data` is alive and unmutated; `owner` holds that copy.
    public init(data: Data) {
        let inlineLimit = 64  // comfortably above Foundation's inline representation (14–15 bytes)
        var address: UnsafeRawPointer?
        if data.count >= inlineLimit {
            address = data.withUnsafeBytes { $0.baseAddress }
        }
        if let address, UInt(bitPattern: address) % 8 == 0 {
            self.base = address
            self.count = data.count
            self.owner = .data(data)
        } else {
            let n = data.count
            let p = RawMemory.allocate(n)
            data.withUnsafeBytes { src in
                if let s = src.baseAddress, n > 0 { p.copyMemory(from: s, byteCount: n) }
            }
            self.base = UnsafeRawPointer(p)
            self.count = n
            self.owner = .allocation(capacity: n)
        }
    }

    /// Maps the file at `path` read-only. Opening costs microseconds whatever the size; pages are read on use.
    public init(mappingFileAt path: String) throws(ArrowError) {
        let (fd, size) = try Self.openForReading(path)
        defer { close(fd) }
        if size == 0 {
            let p = RawMemory.allocate(0)
            self.base = UnsafeRawPointer(p)
            self.count = 0
            self.owner = .allocation(capacity: 0)
            return
        }
        guard let m = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw ArrowError(.io, "cannot map \(path): \(String(cString: strerror(errno)))")
        }
        self.base = UnsafeRawPointer(m)
        self.count = size
        self.owner = .mapping(length: size)
    }

    /// Reads the whole file at `path` into one aligned allocation (for files about to be replaced or deleted,
    /// or when a mapping is not wanted).
    public init(readingFileAt path: String) throws(ArrowError) {
        let (fd, size) = try Self.openForReading(path)
        defer { close(fd) }
        let p = RawMemory.allocate(size)
        var done = 0
        while done < size {
            let r = pread(fd, p + done, size - done, off_t(done))
            if r < 0 && errno == EINTR { continue }
            if r <= 0 {
                let reason = r == 0 ? "file shrank while reading" : String(cString: strerror(errno))
                RawMemory.deallocate(p, byteCount: size)
                throw ArrowError(.io, "cannot read \(path): \(reason)")
            }
            done += r
        }
        self.base = UnsafeRawPointer(p)
        self.count = size
        self.owner = .allocation(capacity: size)
    }

    /// Opens `path` read-only and returns the descriptor (the caller closes it) and the file's size.
    private static func openForReading(_ path: String) throws(ArrowError) -> (fd: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw ArrowError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ArrowError(.io, "cannot stat \(path): \(reason)")
        }
        return (fd, Int(st.st_size))
    }

    deinit {
        switch owner {
        case .allocation(let capacity):
            RawMemory.deallocate(UnsafeMutableRawPointer(mutating: base), byteCount: capacity)
        case .mapping(let length): munmap(UnsafeMutableRawPointer(mutating: base), length)
        case .data, .none: break
        }
    }

    /// The bytes; valid while this storage is alive.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// A byte range inside a `ByteStorage`: one Arrow buffer (validity bitmap, offsets, values).
public struct ArrowBuffer: Sendable {
    let storage: ByteStorage
    let offset: Int
    public let count: Int

    init(storage: ByteStorage, offset: Int, count: Int) {
        precondition(offset >= 0 && count >= 0 && offset + count <= storage.count, "buffer outside storage")
        self.storage = storage
        self.offset = offset
        self.count = count
    }

    init(storage: ByteStorage) { self.init(storage: storage, offset: 0, count: storage.count) }

    static let empty = ArrowBuffer(storage: .empty, offset: 0, count: 0)

    @inline(__always) var pointer: UnsafeRawPointer { storage.base + offset }

    /// The bytes; valid while this buffer (or its storage) is alive.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: pointer, count: count) }

    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(storage) { () throws(E) -> R in try body(bytes) }
    }
}
