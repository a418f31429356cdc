// The portable Roaring serialisation format (the one every Roaring implementation reads), with a reader that
// treats its input as hostile: bounded by the buffer, exact length, and members checked after decoding.
import CRoaring
import Foundation

/// Why bytes could not be read as a Roaring bitmap.
public struct RoaringBitmapError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { "invalid roaring bitmap: \(message)" }
}

extension RoaringBitmap {
    /// The bitmap in the portable format.
    public func serialized() -> Data {
        let size = roaring_bitmap_portable_size_in_bytes(pointer)
        var data = Data(count: size)
        data.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress?.assumingMemoryBound(to: CChar.self) {
                _ = roaring_bitmap_portable_serialize(pointer, base)
            }
        }
        return data
    }

    /// Reads a bitmap in the portable format. `bytes` must hold exactly one bitmap.
    public init(serialized bytes: some ContiguousBytes) throws(RoaringBitmapError) {
        let decoded: UnsafeMutablePointer<roaring_bitmap_t>? = bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count > 0 else { return nil }
            let size = roaring_bitmap_portable_deserialize_size(base, raw.count)
            guard size == raw.count else { return nil }
            return roaring_bitmap_portable_deserialize_safe(base, raw.count)
        }
        guard let decoded else {
            throw RoaringBitmapError(
                message: "bytes are not one portable-format bitmap (truncated, trailing or corrupt)")
        }
        self.init(taking: decoded)
        // Old CRoaring (0.2.x) checks sizes but not container contents: make sure members are strictly ascending,
        // as every operation assumes.
        let members = array
        guard members.count == count, zip(members, members.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw RoaringBitmapError(message: "containers are not sorted and unique")
        }
    }
}
