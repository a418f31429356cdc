// RoaringBitmap: set semantics against Swift's Set, value semantics, and the portable format both ways with
// pyroaring (fixtures here, the reverse in Tests/python/check_roaring_interop.py).
import Bitmaps
import Foundation
import StorageTesting
import Testing

@Suite struct RoaringBitmapTests {
    @Test func setOperationsMatchAModel() {
        var random = SplitMix64(seed: 11)
        for _ in 0..<50 {
            let a = Set(
                (0..<Int.random(in: 0..<500, using: &random)).map { _ in UInt32.random(in: 0..<5000, using: &random) })
            let b = Set(
                (0..<Int.random(in: 0..<500, using: &random)).map { _ in UInt32.random(in: 0..<5000, using: &random) })
            let ra = RoaringBitmap(a)
            let rb = RoaringBitmap(b)
            #expect(ra.array == a.sorted())
            #expect(ra.count == a.count)
            #expect(ra.intersection(rb).array == a.intersection(b).sorted())
            #expect(ra.union(rb).array == a.union(b).sorted())
            #expect(ra.subtracting(rb).array == a.subtracting(b).sorted())
            #expect(ra.intersectionCount(rb) == a.intersection(b).count)
            let probe = UInt32.random(in: 0..<5000, using: &random)
            #expect(ra.contains(probe) == a.contains(probe))
            #expect(ra.rank(probe) == a.filter { $0 <= probe }.count)
        }
    }

    @Test func copiesAreIndependent() {
        var a = RoaringBitmap([1, 2, 3])
        let b = a
        a.insert(4)
        a.remove(1)
        #expect(a.array == [2, 3, 4])
        #expect(b.array == [1, 2, 3])
        var c = RoaringBitmap()
        c.insert(range: 10..<15)
        c.insert(range: 20..<20)
        #expect(c.array == [10, 11, 12, 13, 14])
        #expect(c.min == 10 && c.max == 14)
        #expect(RoaringBitmap().min == nil)
    }

    @Test func serialisationRoundTrips() throws {
        var random = SplitMix64(seed: 12)
        for size in [0, 1, 100, 5000, 100_000] {
            let values = (0..<size).map { _ in UInt32.random(in: 0...UInt32.max, using: &random) }
            let bitmap = RoaringBitmap(values)
            let decoded = try RoaringBitmap(serialized: bitmap.serialized())
            #expect(decoded == bitmap)
        }
    }

    @Test(arguments: ["empty", "small", "dense", "runs", "sparse_random", "extremes"])
    func readsBitmapsWrittenByPyroaring(_ name: String) throws {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("roaring/manifest.json")))
        let recipe = try #require((manifest as? [String: Any])?[name] as? [String: Any])
        let expected: [UInt32]
        if let values = recipe["values"] as? [NSNumber] {
            expected = values.map { $0.uint32Value }
        } else if let stride = recipe["stride"] as? [Int] {
            expected = Swift.stride(from: stride[0], to: stride[1], by: stride[2]).map { UInt32($0) }
        } else {
            let ranges = try #require(recipe["ranges"] as? [[Int]])
            expected = ranges.flatMap { ($0[0]..<$0[1]).map { UInt32($0) } }
        }
        let bytes = try Data(contentsOf: Fixtures.url("roaring/\(name).bin"))
        let bitmap = try RoaringBitmap(serialized: bytes)
        #expect(bitmap.array == expected)
        #expect(RoaringBitmap(expected).serialized().count <= bytes.count + 16)
    }

    @Test func corruptOrTruncatedBytesGiveATypedError() throws {
        let good = RoaringBitmap(Array(0..<3000).map { UInt32($0 * 3) } + [1 << 20, 1 << 30]).serialized()
        var random = SplitMix64(seed: 13)
        #expect(throws: RoaringBitmapError.self) { try RoaringBitmap(serialized: Data()) }
        #expect(throws: RoaringBitmapError.self) { try RoaringBitmap(serialized: good + Data([0])) }
        for cut in [1, 4, 8, good.count / 2, good.count - 1] {
            #expect(throws: RoaringBitmapError.self) { try RoaringBitmap(serialized: good.prefix(cut)) }
        }
        // Random byte flips: either a typed error or some valid bitmap, never a crash.
        for _ in 0..<2000 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            }
            if let bitmap = try? RoaringBitmap(serialized: bytes) {
                let members = bitmap.array
                #expect(zip(members, members.dropFirst()).allSatisfy { $0 < $1 })
            }
        }
    }
}
