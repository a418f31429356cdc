// The growing byte buffer behind every builder: one 64-byte-aligned allocation that doubles when full
// (amortised O(1) appends, no per-value allocation) and is handed to a `ByteStorage` without a copy.
import Foundation

final class GrowableBuffer {
    fileprivate(set) var pointer: UnsafeMutableRawPointer
    fileprivate(set) var capacity: Int
    fileprivate(set) var count = 0

    init(capacity: Int = 0) {
        self.capacity = max(capacity, 64)
        pointer = RawMemory.allocate(self.capacity)
    }

    deinit { RawMemory.deallocate(pointer, byteCount: capacity) }

    @inline(__always) func reserve(_ additional: Int) {
        let needed = count + additional
        if needed > capacity { grow(to: needed) }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        let p = RawMemory.allocate(newCapacity)
        p.copyMemory(from: pointer, byteCount: count)
        RawMemory.deallocate(pointer, byteCount: capacity)
        pointer = p
        capacity = newCapacity
    }

    @inline(__always) func append<T: BitwiseCopyable>(_ v: T) {
        reserve(MemoryLayout<T>.size)
        (pointer + count).storeBytes(of: v, as: T.self)
        count += MemoryLayout<T>.size
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0, let src = bytes.baseAddress else { return }
        reserve(n)
        (pointer + count).copyMemory(from: src, byteCount: n)
        count += n
    }

    func appendZeros(_ n: Int) {
        reserve(n)
        (pointer + count).initializeMemory(as: UInt8.self, repeating: 0, count: n)
        count += n
    }

    /// Byte `i` (for bitmaps).
    @inline(__always) func orByte(_ i: Int, _ mask: UInt8) {
        let p = (pointer + i).assumingMemoryBound(to: UInt8.self)
        p.pointee |= mask
    }

    /// Hands the bytes to an immutable storage; the buffer starts over empty.
    func finish() -> ArrowBuffer {
        let n = count
        let storage = ByteStorage(adopting: pointer, capacity: capacity, count: n)
        capacity = 64
        pointer = RawMemory.allocate(capacity)
        count = 0
        return ArrowBuffer(storage: storage)
    }
}

/// A validity bitmap that exists only once the first null is appended (all-valid arrays carry none).
struct ValidityBuilder {
    private var bits: GrowableBuffer?
    private(set) var length = 0
    private(set) var nullCount = 0

    @inline(__always) mutating func append(valid: Bool) {
        if !valid && bits == nil { materialize() }
        if let bits {
            if length & 7 == 0 { bits.append(UInt8(0)) }
            if valid { bits.orByte(length >> 3, 1 << UInt8(length & 7)) }
        }
        if !valid { nullCount += 1 }
        length += 1
    }

    @inline(__always) mutating func appendValid(_ n: Int) {
        if bits == nil {
            length += n
            return
        }
        for _ in 0..<n { append(valid: true) }
    }

    private mutating func materialize() {
        let b = GrowableBuffer(capacity: (length + 7) / 8 + 64)
        let full = length / 8
        for _ in 0..<full { b.append(UInt8(0xFF)) }
        if length & 7 != 0 { b.append(UInt8((1 << UInt8(length & 7)) - 1)) }
        bits = b
    }

    mutating func finish() -> (ArrowBuffer?, Int) {
        defer {
            bits = nil
            length = 0
            nullCount = 0
        }
        guard let bits, nullCount > 0 else { return (nil, 0) }
        return (bits.finish(), nullCount)
    }
}

extension GrowableBuffer {
    /// Empties the buffer, keeping its capacity.
    func reset() { count = 0 }

    /// Hands the bytes to a `Data` without copying; the buffer starts over empty.
    func takeData() -> Data {
        let owned = capacity
        let d = Data(
            bytesNoCopy: pointer, count: count,
            deallocator: .custom { p, _ in RawMemory.deallocate(p, byteCount: owned) })
        capacity = 64
        pointer = RawMemory.allocate(capacity)
        count = 0
        return d
    }
}
