/// MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain algorithm).
///
/// This is the hash behind Python's `mmh3.hash`; Chroma's BM25 uses it on the UTF-8
/// bytes of each stemmed token with seed 0.
public enum MurmurHash3 {
    /// Hashes `bytes` with the 32-bit x86 MurmurHash3 and returns the unsigned result
    /// (the same bits as `mmh3.hash(bytes, seed, signed=False)`).
    public static func x86_32<Bytes: Collection>(_ bytes: Bytes, seed: UInt32 = 0) -> UInt32
    where Bytes.Element == UInt8 {
        if let hash = bytes.withContiguousStorageIfAvailable({ x86_32(UnsafeRawBufferPointer($0), seed: seed) }) {
            return hash
        }
        return Array(bytes).withUnsafeBytes { x86_32($0, seed: seed) }
    }

    /// Hashes the bytes of `buffer` with the 32-bit x86 MurmurHash3.
    public static func x86_32(_ buffer: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        let c1: UInt32 = 0xcc9e_2d51
        let c2: UInt32 = 0x1b87_3593
        let length = buffer.count
        var hash = seed

        var offset = 0
        while offset + 4 <= length {
            var block = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            block &*= c1
            block = rotateLeft(block, by: 15)
            block &*= c2
            hash ^= block
            hash = rotateLeft(hash, by: 13)
            hash = hash &* 5 &+ 0xe654_6b64
            offset += 4
        }

        var tail: UInt32 = 0
        let remaining = length - offset
        if remaining >= 3 { tail ^= UInt32(buffer[offset + 2]) << 16 }
        if remaining >= 2 { tail ^= UInt32(buffer[offset + 1]) << 8 }
        if remaining >= 1 {
            tail ^= UInt32(buffer[offset])
            tail &*= c1
            tail = rotateLeft(tail, by: 15)
            tail &*= c2
            hash ^= tail
        }

        hash ^= UInt32(truncatingIfNeeded: length)
        hash ^= hash >> 16
        hash &*= 0x85eb_ca6b
        hash ^= hash >> 13
        hash &*= 0xc2b2_ae35
        hash ^= hash >> 16
        return hash
    }

    /// Chroma's sparse index of a token: the absolute value of the hash read as a signed
    /// 32-bit integer (`abs(mmh3.hash(token))`), so `Int32.min` maps to 2147483648.
    static func chromaIndex(_ buffer: UnsafeRawBufferPointer) -> UInt32 {
        Int32(bitPattern: x86_32(buffer)).magnitude
    }

    @inline(__always)
    private static func rotateLeft(_ value: UInt32, by amount: UInt32) -> UInt32 {
        (value << amount) | (value >> (32 - amount))
    }
}
