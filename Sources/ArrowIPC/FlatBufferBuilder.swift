// A small FlatBuffers builder for the Arrow metadata tables (Schema, Message, Footer). It builds back to front,
// as the reference implementation does, so every reference points forward (an unsigned offset) as the
// format requires. Only the features Arrow's .fbs files use: tables, strings, vectors of scalars, of structs
// and of tables, and unions (a type byte plus a table reference).

/// A reference to an object already written: its distance from the end of the buffer.
struct FBOffset: Hashable {
    let value: Int
}

struct FlatBufferBuilder {
    /// Bytes live in `buffer[head...]`; the buffer grows toward the front.
    private var buffer: [UInt8]
    private var head: Int
    private var minAlign = 1
    private var fieldLocations: [Int] = []
    private var tableStart = 0
    private var inTable = false
    private var vectorStart: Int?

    init(capacity: Int = 1024) {
        buffer = [UInt8](repeating: 0, count: max(capacity, 64))
        head = buffer.count
    }

    /// Bytes written so far.
    var size: Int { buffer.count - head }

    private mutating func grow(_ needed: Int) {
        while head < needed {
            let old = buffer.count
            var bigger = [UInt8](repeating: 0, count: old * 2)
            bigger.withUnsafeMutableBytes { dst in
                buffer.withUnsafeBytes { src in
                    (dst.baseAddress! + old).copyMemory(from: src.baseAddress!, byteCount: old)
                }
            }
            head += old
            buffer = bigger
        }
    }

    /// Aligns so that after writing `additional` bytes, a value of `alignment` bytes is aligned.
    private mutating func prep(_ alignment: Int, _ additional: Int) {
        minAlign = max(minAlign, alignment)
        let pad = (~(size + additional) &+ 1) & (alignment - 1)
        grow(pad + alignment + additional)
        for _ in 0..<pad {
            head -= 1
            buffer[head] = 0
        }
    }

    private mutating func put<T: FixedWidthInteger>(_ v: T) {
        let n = MemoryLayout<T>.size
        grow(n)
        head -= n
        let le = v.littleEndian
        buffer.withUnsafeMutableBytes { $0.storeBytes(of: le, toByteOffset: head, as: T.self) }
    }

    mutating func push<T: FixedWidthInteger>(_ v: T) {
        prep(MemoryLayout<T>.size, 0)
        put(v)
    }

    // MARK: Strings and vectors

    mutating func createString(_ s: String) -> FBOffset {
        var utf8 = Array(s.utf8)
        utf8.append(0)
        let n = utf8.count - 1
        prep(4, utf8.count)
        grow(utf8.count)
        head -= utf8.count
        buffer.withUnsafeMutableBytes { dst in
            utf8.withUnsafeBytes { src in
                (dst.baseAddress! + head).copyMemory(from: src.baseAddress!, byteCount: utf8.count)
            }
        }
        put(UInt32(n))
        return FBOffset(value: size)
    }

    /// A vector of little-endian scalars.
    mutating func createVector<T: FixedWidthInteger>(_ values: [T]) -> FBOffset {
        let w = MemoryLayout<T>.size
        prep(4, w * values.count)
        prep(w, w * values.count)
        for v in values.reversed() { put(v) }
        put(UInt32(values.count))
        return FBOffset(value: size)
    }

    /// A vector of structs made of 8-byte little-endian fields (Arrow's Buffer, FieldNode: two Int64 each;
    /// Block is written with `createBlockVector`).
    mutating func createInt64PairVector(_ pairs: [(Int64, Int64)]) -> FBOffset {
        prep(4, 16 * pairs.count)
        prep(8, 16 * pairs.count)
        for (a, b) in pairs.reversed() {
            put(b)
            put(a)
        }
        put(UInt32(pairs.count))
        return FBOffset(value: size)
    }

    /// A vector of Arrow `Block` structs: offset: long, metaDataLength: int, (4 bytes padding), bodyLength: long.
    mutating func createBlockVector(_ blocks: [(offset: Int64, metadataLength: Int32, bodyLength: Int64)])
        -> FBOffset
    {
        prep(4, 24 * blocks.count)
        prep(8, 24 * blocks.count)
        for b in blocks.reversed() {
            put(b.bodyLength)
            put(Int32(0))
            put(b.metadataLength)
            put(b.offset)
        }
        put(UInt32(blocks.count))
        return FBOffset(value: size)
    }

    /// A vector of references to tables or strings written earlier.
    mutating func createOffsetVector(_ offsets: [FBOffset]) -> FBOffset {
        prep(4, 4 * offsets.count)
        for o in offsets.reversed() {
            prep(4, 0)
            put(UInt32(size - o.value + 4))
        }
        put(UInt32(offsets.count))
        return FBOffset(value: size)
    }

    // MARK: Tables

    mutating func startTable(fieldCount: Int) {
        precondition(!inTable, "nested table construction")
        fieldLocations = [Int](repeating: 0, count: fieldCount)
        tableStart = size
        inTable = true
    }

    private mutating func track(_ slot: Int) { fieldLocations[slot] = size }

    mutating func add<T: FixedWidthInteger>(_ slot: Int, _ v: T, default d: T) {
        if v == d { return }
        push(v)
        track(slot)
    }

    /// Adds a scalar even when it equals its default (Arrow readers do not require this; used for clarity).
    mutating func addForced<T: FixedWidthInteger>(_ slot: Int, _ v: T) {
        push(v)
        track(slot)
    }

    mutating func add(_ slot: Int, _ o: FBOffset?) {
        guard let o else { return }
        prep(4, 0)
        put(UInt32(size - o.value + 4))
        track(slot)
    }

    mutating func endTable() -> FBOffset {
        precondition(inTable, "endTable without startTable")
        push(Int32(0))  // soffset to the vtable, patched below
        let objectOffset = size
        var count = fieldLocations.count
        while count > 0 && fieldLocations[count - 1] == 0 { count -= 1 }
        for slot in stride(from: count - 1, through: 0, by: -1) {
            let loc = fieldLocations[slot]
            put(UInt16(loc == 0 ? 0 : objectOffset - loc))
        }
        put(UInt16(objectOffset - tableStart))
        put(UInt16((count + 2) * 2))
        let vtableOffset = size
        let soffset = Int32(vtableOffset - objectOffset)
        let tablePos = buffer.count - objectOffset
        buffer.withUnsafeMutableBytes {
            $0.storeBytes(of: soffset.littleEndian, toByteOffset: tablePos, as: Int32.self)
        }
        inTable = false
        return FBOffset(value: objectOffset)
    }

    /// Writes the root reference and returns the finished buffer, its length a multiple of 8.
    mutating func finish(_ root: FBOffset) -> [UInt8] {
        prep(max(minAlign, 8), 4)
        prep(4, 0)
        put(UInt32(size - root.value + 4))
        return Array(buffer[head...])
    }
}
