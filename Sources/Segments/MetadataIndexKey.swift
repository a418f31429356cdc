// How the metadata segment keys its inverted index: one blockfile with string keys, whose prefix names the metadata
// key and the value's type (scalar or list element), and whose key encodes the value so that byte order is value
// order. Numbers are encoded exactly (16 hex digits of an order-preserving 64-bit image): no Float32, no rounding.
import Blockfile

enum MetadataIndexKey {
    /// The type tag that starts each prefix: scalars in lower case, elements of list values in upper case, so
    /// `$eq` never sees list elements and `$contains` sees only them (Chroma's local semantics).
    enum Tag: Character, CaseIterable {
        case string = "s"
        case int = "i"
        case float = "f"
        case bool = "b"
        case stringElement = "S"
        case intElement = "I"
        case floatElement = "F"
        case boolElement = "B"
    }

    static func prefix(_ tag: Tag, _ key: String) -> String {
        var prefix = String(tag.rawValue)
        prefix += ":"
        prefix += key
        return prefix
    }

    /// The index entries (prefix, encoded value) one metadata value contributes.
    static func entries(key: String, value: MetadataValue, into out: inout [(String, String)]) {
        switch value {
        case .string(let s): out.append((prefix(.string, key), s))
        case .int(let i): out.append((prefix(.int, key), encode(i)))
        case .float(let f): out.append((prefix(.float, key), encode(f)))
        case .bool(let b): out.append((prefix(.bool, key), encode(b)))
        case .stringArray(let values):
            let p = prefix(.stringElement, key)
            for s in Set(values) { out.append((p, s)) }
        case .intArray(let values):
            let p = prefix(.intElement, key)
            for i in Set(values) { out.append((p, encode(i))) }
        case .floatArray(let values):
            let p = prefix(.floatElement, key)
            for s in Set(values.map(encode)) { out.append((p, s)) }
        case .boolArray(let values):
            let p = prefix(.boolElement, key)
            for b in Set(values) { out.append((p, encode(b))) }
        case .sparseVector:
            break  // ranked by sparse $knn, never matched by value
        }
    }

    // MARK: Value encodings

    static func encode(_ value: Bool) -> String { value ? "1" : "0" }

    /// Flipping the sign bit maps Int64 order onto UInt64 order.
    static func encode(_ value: Int64) -> String {
        hex(UInt64(bitPattern: value) ^ (1 << 63))
    }

    /// IEEE 754 total order onto UInt64 order: positive numbers get the sign bit set, negative ones are inverted.
    /// -0.0 is stored as 0.0 so that they are one value, as they are equal.
    static func encode(_ value: Double) -> String {
        let v = value == 0 ? 0.0 : value
        let bits = v.bitPattern
        return hex(bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63))
    }

    static func decodeInt(_ text: String) -> Int64? {
        guard let bits = unhex(text) else { return nil }
        return Int64(bitPattern: bits ^ (1 << 63))
    }

    static func decodeDouble(_ text: String) -> Double? {
        guard let bits = unhex(text) else { return nil }
        return Double(bitPattern: bits & (1 << 63) != 0 ? bits & ~(1 << 63) : ~bits)
    }

    /// The smallest and a key above the largest encoded number, for open-ended range scans.
    static let lowestNumber = String(repeating: "0", count: 16)
    static let highestNumber = String(repeating: "f", count: 16)

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func hex(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            for i in 0..<16 { buffer[i] = digits[Int((value >> (60 - 4 * UInt64(i))) & 0xF)] }
            return 16
        }
    }

    private static func unhex(_ text: String) -> UInt64? {
        var value: UInt64 = 0
        var count = 0
        for byte in text.utf8 {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
            count += 1
        }
        return count == 16 ? value : nil
    }
}

/// Byte trigrams of documents, as uint32 keys (b0 << 16 | b1 << 8 | b2) of the full-text blockfile. Byte-level, so
/// a case-sensitive substring of UTF-8 text contains every trigram of the needle.
enum Trigrams {
    /// The key whose bitmap holds every offset id that has a document (for needles shorter than three bytes,
    /// regexes and negations). Above every trigram.
    static let hasDocumentKey: UInt32 = 1 << 24

    /// Distinct trigrams of `text`, appended to `out` (which is cleared first).
    static func distinct(_ text: String, into out: inout [UInt32]) {
        out.removeAll(keepingCapacity: true)
        var text = text
        text.withUTF8 { bytes in
            guard bytes.count >= 3 else { return }
            var window = UInt32(bytes[0]) << 8 | UInt32(bytes[1])
            for i in 2..<bytes.count {
                window = (window << 8 | UInt32(bytes[i])) & 0xFF_FFFF
                out.append(window)
            }
        }
        if out.count > 1 {
            out.sort()
            var last = out[0]
            var write = 1
            for i in 1..<out.count where out[i] != last {
                last = out[i]
                out[write] = last
                write += 1
            }
            out.removeLast(out.count - write)
        }
    }
}
