import Testing

@testable import TextAnalysis

@Suite struct MurmurHash3Tests {
    /// `mmh3.hash(bytes, 0, signed=False)` for random byte strings of many lengths.
    @Test func matchesPythonMmh3() throws {
        let lines = try fixtureLines("murmur.txt")
        #expect(lines.count >= 300)
        for line in lines {
            let fields = line.split(separator: " ")
            try #require(fields.count == 2)
            let hex = fields[0] == "-" ? Substring() : fields[0]
            var bytes: [UInt8] = []
            var position = hex.startIndex
            while position < hex.endIndex {
                let next = hex.index(position, offsetBy: 2)
                bytes.append(try #require(UInt8(hex[position..<next], radix: 16)))
                position = next
            }
            let expected = try #require(UInt32(fields[1]))
            #expect(MurmurHash3.x86_32(bytes) == expected, "bytes \(hex)")
            #expect(bytes.withUnsafeBytes { MurmurHash3.x86_32($0) } == expected)
            #expect(MurmurHash3.x86_32(bytes[...]) == expected)
        }
    }

    @Test func knownValues() {
        #expect(MurmurHash3.x86_32([UInt8]()) == 0)
        #expect(MurmurHash3.x86_32([UInt8](), seed: 1) == 0x514E_28B7)
        #expect(MurmurHash3.x86_32("hello".utf8) == 613_153_351)
        // A non-contiguous collection takes the copying path.
        #expect(MurmurHash3.x86_32(AnyCollection("hello".utf8)) == 613_153_351)
    }

    @Test func chromaIndexIsAbsoluteSignedValue() {
        let fox = Array("fox".utf8)
        let hash = MurmurHash3.x86_32(fox)
        let index = fox.withUnsafeBytes { MurmurHash3.chromaIndex($0) }
        #expect(Int64(index) == abs(Int64(Int32(bitPattern: hash))))
        #expect(Int32.min.magnitude == 2_147_483_648)
    }
}
