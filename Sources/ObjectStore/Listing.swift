// S3's listing rules in one place, shared by the stores that list from an in-process key set:
// byte-order sorting, prefix and delimiter grouping, continuation after the last returned entry.
import Foundation

/// Keys compare by their UTF-8 bytes, as S3 orders them (Swift's `String` order and equality follow
/// Unicode canonical equivalence instead, which would merge keys that S3 keeps apart).
public struct ObjectKeyBytes: Hashable, Comparable, Sendable {
    public let bytes: [UInt8]
    public init(_ key: String) { bytes = Array(key.utf8) }
    public var key: String { String(decoding: bytes, as: UTF8.self) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

enum Listing {
    /// The largest page any store returns, as S3 does.
    static let maxPageSize = 1000

    /// One page over `objects` sorted by key bytes.
    static func page(
        sorted objects: [ObjectInfo], prefix: String, delimiter: String?, continuation: String?, maxKeys: Int
    ) -> ObjectListPage {
        let limit = max(1, min(maxKeys, maxPageSize))
        let prefixBytes = Array(prefix.utf8)
        let after = continuation.map { Array($0.utf8) }
        // Binary search for the first key at or after max(prefix, continuation).
        var low = 0
        var high = objects.count
        let start = after.map { $0.lexicographicallyPrecedes(prefixBytes) ? prefixBytes : $0 } ?? prefixBytes
        while low < high {
            let mid = (low + high) / 2
            if Array(objects[mid].key.utf8).lexicographicallyPrecedes(start) { low = mid + 1 } else { high = mid }
        }
        var result: [ObjectInfo] = []
        var prefixes: [String] = []
        var lastReturned: String?
        var index = low
        let delimiterBytes = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        while index < objects.count {
            let object = objects[index]
            let keyBytes = Array(object.key.utf8)
            guard keyBytes.starts(with: prefixBytes) else { break }
            if let after, !after.lexicographicallyPrecedes(keyBytes) {
                index += 1
                continue
            }
            if let after, let delimiterBytes, after.count > 0, after.suffix(delimiterBytes.count).elementsEqual(delimiterBytes),
                keyBytes.starts(with: after)
            {
                index += 1  // inside a common prefix already returned
                continue
            }
            if result.count + prefixes.count == limit {
                return ObjectListPage(objects: result, commonPrefixes: prefixes, continuation: lastReturned)
            }
            if let delimiterBytes,
                let range = firstRange(of: delimiterBytes, in: keyBytes, from: prefixBytes.count)
            {
                let common = Array(keyBytes[..<range])
                let commonKey = String(decoding: common, as: UTF8.self)
                prefixes.append(commonKey)
                lastReturned = commonKey
                index += 1
                while index < objects.count, Array(objects[index].key.utf8).starts(with: common) { index += 1 }
                continue
            }
            result.append(object)
            lastReturned = object.key
            index += 1
        }
        return ObjectListPage(objects: result, commonPrefixes: prefixes, continuation: nil)
    }

    /// The end index (exclusive, delimiter included) of the first `needle` in `haystack` at or after `from`.
    private static func firstRange(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count > 0, haystack.count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= haystack.count {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i + needle.count }
            i += 1
        }
        return nil
    }
}
