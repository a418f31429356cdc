// A verifying FlatBuffers reader: every table, vtable, field, vector and string reference is checked against
// the bytes before it is followed, so a hostile buffer yields `.invalidFlatbuffer`, never an out-of-bounds read.
// Used only while decoding metadata into Swift values; nothing here outlives the bytes it reads.

struct FlatBufferReader {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private func fail(_ what: String) -> ArrowError { ArrowError(.invalidFlatbuffer, what) }

    func load<T: FixedWidthInteger>(_ at: Int, as: T.Type, _ what: @autoclosure () -> String) throws(ArrowError)
        -> T
    {
        let n = MemoryLayout<T>.size
        guard at >= 0, at <= bytes.count - n else {
            throw fail("\(what()): position \(at) outside the \(bytes.count)-byte flatbuffer")
        }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
    }

    /// Follows a uoffset stored at `at`.
    func follow(_ at: Int, _ what: @autoclosure () -> String) throws(ArrowError) -> Int {
        let rel = try load(at, as: UInt32.self, what())
        let (target, overflow) = at.addingReportingOverflow(Int(rel))
        guard !overflow, target < bytes.count, rel > 0 else {
            throw fail("\(what()): reference \(rel) from \(at) leaves the \(bytes.count)-byte flatbuffer")
        }
        return target
    }

    func root(_ what: String) throws(ArrowError) -> FBTable {
        try table(at: try follow(0, "\(what) root"), what)
    }

    func table(at pos: Int, _ what: @autoclosure () -> String) throws(ArrowError) -> FBTable {
        let soffset = try load(pos, as: Int32.self, what())
        let (vt, overflow) = pos.subtractingReportingOverflow(Int(soffset))
        guard !overflow, vt >= 0, vt <= bytes.count - 4 else {
            throw fail("\(what()): vtable of table at \(pos) is outside the buffer")
        }
        let vtSize = Int(try load(vt, as: UInt16.self, what()))
        let tableSize = Int(try load(vt + 2, as: UInt16.self, what()))
        guard vtSize >= 4, vtSize % 2 == 0, vt + vtSize <= bytes.count else {
            throw fail("\(what()): vtable size \(vtSize) at \(vt) is invalid")
        }
        guard tableSize >= 4, pos <= bytes.count - tableSize else {
            throw fail("\(what()): table of \(tableSize) bytes at \(pos) leaves the buffer")
        }
        return FBTable(reader: self, position: pos, vtable: vt, vtableSize: vtSize, tableSize: tableSize, what: what())
    }
}

/// One verified table: its vtable is known to lie inside the buffer.
struct FBTable {
    let reader: FlatBufferReader
    let position: Int
    let vtable: Int
    let vtableSize: Int
    let tableSize: Int
    let what: String

    private func fail(_ m: String) -> ArrowError { ArrowError(.invalidFlatbuffer, "\(what): \(m)") }

    /// The absolute position of field `slot` holding `width` bytes, or nil when absent.
    func fieldPosition(_ slot: Int, width: Int) throws(ArrowError) -> Int? {
        let entry = 4 + 2 * slot
        if entry + 2 > vtableSize { return nil }
        let rel = Int(try reader.load(vtable + entry, as: UInt16.self, what))
        if rel == 0 { return nil }
        guard rel + width <= tableSize else {
            throw fail("field \(slot) at \(rel) overflows its \(tableSize)-byte table")
        }
        return position + rel
    }

    func scalar<T: FixedWidthInteger>(_ slot: Int, default d: T) throws(ArrowError) -> T {
        guard let p = try fieldPosition(slot, width: MemoryLayout<T>.size) else { return d }
        return try reader.load(p, as: T.self, what)
    }

    func bool(_ slot: Int, default d: Bool) throws(ArrowError) -> Bool {
        try scalar(slot, default: UInt8(d ? 1 : 0)) != 0
    }

    func table(_ slot: Int, _ name: String) throws(ArrowError) -> FBTable? {
        guard let p = try fieldPosition(slot, width: 4) else { return nil }
        return try reader.table(at: try reader.follow(p, "\(what).\(name)"), "\(what).\(name)")
    }

    func string(_ slot: Int, _ name: String) throws(ArrowError) -> String? {
        guard let p = try fieldPosition(slot, width: 4) else { return nil }
        return try reader.string(at: try reader.follow(p, "\(what).\(name)"), "\(what).\(name)")
    }

    /// A vector's element count and the position of its first element, checked to fit in the buffer.
    func vector(_ slot: Int, elementSize: Int, _ name: String) throws(ArrowError) -> FBVector? {
        guard let p = try fieldPosition(slot, width: 4) else { return nil }
        return try reader.vector(
            at: try reader.follow(p, "\(what).\(name)"), elementSize: elementSize, "\(what).\(name)")
    }
}

struct FBVector {
    let start: Int
    let count: Int
    let elementSize: Int
}

extension FlatBufferReader {
    func vector(at pos: Int, elementSize: Int, _ what: String) throws(ArrowError) -> FBVector {
        let n = Int(try load(pos, as: UInt32.self, what))
        let (size, o1) = n.multipliedReportingOverflow(by: elementSize)
        let (end, o2) = (pos + 4).addingReportingOverflow(size)
        guard !o1, !o2, end <= bytes.count else {
            throw ArrowError(.invalidFlatbuffer, "\(what): vector of \(n) elements at \(pos) leaves the buffer")
        }
        return FBVector(start: pos + 4, count: n, elementSize: elementSize)
    }

    func string(at pos: Int, _ what: String) throws(ArrowError) -> String {
        let v = try vector(at: pos, elementSize: 1, what)
        let raw = UnsafeRawBufferPointer(rebasing: bytes[v.start..<(v.start + v.count)])
        guard let s = String(validating: raw, as: UTF8.self) else {
            throw ArrowError(.invalidFlatbuffer, "\(what): string at \(pos) is not valid UTF-8")
        }
        return s
    }

    /// Element `i` of a vector of tables.
    func table(in v: FBVector, _ i: Int, _ what: String) throws(ArrowError) -> FBTable {
        try table(at: try follow(v.start + 4 * i, "\(what)[\(i)]"), "\(what)[\(i)]")
    }

    /// Element `i` of a vector of strings.
    func string(in v: FBVector, _ i: Int, _ what: String) throws(ArrowError) -> String {
        try string(at: try follow(v.start + 4 * i, "\(what)[\(i)]"), "\(what)[\(i)]")
    }
}
