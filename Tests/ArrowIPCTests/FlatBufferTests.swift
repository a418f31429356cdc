import Foundation
import Testing

// The FlatBuffers builder and verifying reader on their own: round trips of every construct Arrow uses, and
// refusal of out-of-bounds references. The cross-check against the official schema with `flatc` lives in
// FlatcCrossCheckTests.
@testable import ArrowIPC

@Suite("FlatBuffers builder and reader")
struct FlatBufferTests {
    @Test("tables, strings, scalar, struct and table vectors round-trip")
    func roundTrip() throws {
        var b = FlatBufferBuilder(capacity: 16)  // small: forces growth
        let name = b.createString("héllo")
        let numbers = b.createVector([Int64(1), -2, 3])
        let pairs = b.createInt64PairVector([(10, 20), (30, 40)])
        var kids: [FBOffset] = []
        for i in 0..<3 {
            let s = b.createString("kid\(i)")
            b.startTable(fieldCount: 2)
            b.add(0, s)
            b.addForced(1, Int32(i * 100))
            kids.append(b.endTable())
        }
        let kidVector = b.createOffsetVector(kids)
        b.startTable(fieldCount: 6)
        b.add(0, name)
        b.add(1, numbers)
        b.add(2, pairs)
        b.add(3, kidVector)
        b.addForced(4, UInt8(7))
        b.add(5, Int16(9), default: 9)  // default: omitted
        let root = b.endTable()
        let bytes = b.finish(root)
        #expect(bytes.count % 8 == 0)
        try bytes.withUnsafeBytes { raw in
            let r = FlatBufferReader(raw)
            let t = try r.root("test")
            #expect(try t.string(0, "name") == "héllo")
            let v = try #require(try t.vector(1, elementSize: 8, "numbers"))
            #expect(v.count == 3)
            #expect(try r.load(v.start + 8, as: Int64.self, "n") == -2)
            let p = try #require(try t.vector(2, elementSize: 16, "pairs"))
            #expect(try r.load(p.start + 16, as: Int64.self, "p") == 30)
            #expect(try r.load(p.start + 24, as: Int64.self, "p") == 40)
            let k = try #require(try t.vector(3, elementSize: 4, "kids"))
            for i in 0..<3 {
                let kid = try r.table(in: k, i, "kids")
                #expect(try kid.string(0, "name") == "kid\(i)")
                #expect(try kid.scalar(1, default: Int32(-1)) == Int32(i * 100))
            }
            #expect(try t.scalar(4, default: UInt8(0)) == 7)
            #expect(try t.scalar(5, default: Int16(9)) == 9)
            #expect(try t.scalar(17, default: Int32(5)) == 5)  // slot beyond the vtable: default
        }
    }

    @Test("every reference is checked against the buffer")
    func hostile() throws {
        var b = FlatBufferBuilder()
        let s = b.createString("abc")
        b.startTable(fieldCount: 1)
        b.add(0, s)
        let bytes = b.finish(b.endTable())
        // Any truncation fails cleanly.
        for n in 0..<bytes.count {
            let cut = Array(bytes[0..<n])
            let ok = cut.withUnsafeBytes { raw -> Bool in
                (try? FlatBufferReader(raw).root("t").string(0, "s")) != nil
            }
            if ok { continue }  // a prefix may still hold the whole table; what matters is no crash
        }
        // A root pointing far away, a vtable offset out of range, a huge string length.
        let tablePos = Int(bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        for (at, value) in [
            (0, UInt32(1 << 30)), (tablePos, UInt32(0x7FFF_FFF0)), (tablePos, UInt32(bitPattern: -9000)),
        ] {
            var bad = bytes
            withUnsafeBytes(of: value.littleEndian) { for (i, x) in $0.enumerated() { bad[at + i] = x } }
            let err = bad.withUnsafeBytes { raw -> ArrowError? in
                do throws(ArrowError) {
                    _ = try FlatBufferReader(raw).root("t").string(0, "s")
                    return nil
                } catch { return error }
            }
            #expect(err?.code == .invalidFlatbuffer)
        }
        var longString = bytes
        let strPos = longString.count - 8  // "abc\0" preceded by its length
        withUnsafeBytes(of: UInt32(1 << 31).littleEndian) {
            for (i, x) in $0.enumerated() { longString[strPos + i] = x }
        }
        let err = longString.withUnsafeBytes { raw -> ArrowError? in
            do throws(ArrowError) {
                _ = try FlatBufferReader(raw).root("t").string(0, "s")
                return nil
            } catch { return error }
        }
        #expect(err?.code == .invalidFlatbuffer)
    }

    @Test("invalid UTF-8 in a flatbuffer string is refused")
    func invalidUTF8() throws {
        var b = FlatBufferBuilder()
        let s = b.createString("abc")
        b.startTable(fieldCount: 1)
        b.add(0, s)
        var bytes = b.finish(b.endTable())
        let i = try #require(bytes.firstIndex(of: UInt8(ascii: "b")))
        bytes[i] = 0xC0
        let err = bytes.withUnsafeBytes { raw -> ArrowError? in
            do throws(ArrowError) {
                _ = try FlatBufferReader(raw).root("t").string(0, "s")
                return nil
            } catch { return error }
        }
        #expect(err?.code == .invalidFlatbuffer)
    }
}
