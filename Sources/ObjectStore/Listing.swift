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

    /// One page of keys, continuation included, chosen from `keys` sorted by their UTF-8 bytes.
    struct KeyPage {
        var keys: [String] = []
        var commonPrefixes: [String] = []
        var continuation: String?
    }

    /// One page over `keys` (sorted by UTF-8 bytes, all starting with `prefix` or not: others are skipped).
    static func page(
        sortedKeys keys: [String], prefix: String, delimiter: String?, continuation: String?, maxKeys: Int
    ) -> KeyPage {
        let limit = max(1, min(maxKeys, maxPageSize))
        let prefixBytes = Array(prefix.utf8)
        let after = continuation.map { Array($0.utf8) }
        let delimiterBytes = delimiter.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        // A continuation that ends with the delimiter is a common prefix already returned: skip inside it.
        let skipInside = after.flatMap { after in
            delimiterBytes.flatMap { after.count > 0 && after.suffix($0.count).elementsEqual($0) ? after : nil }
        }
        let start = after.map { $0.lexicographicallyPrecedes(prefixBytes) ? prefixBytes : $0 } ?? prefixBytes
        var low = 0
        var high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if Array(keys[mid].utf8).lexicographicallyPrecedes(start) { low = mid + 1 } else { high = mid }
        }
        var page = KeyPage()
        var lastReturned: String?
        var index = low
        while index < keys.count {
            let keyBytes = Array(keys[index].utf8)
            guard keyBytes.starts(with: prefixBytes) else { break }
            if let after, !after.lexicographicallyPrecedes(keyBytes) {
                index += 1
                continue
            }
            if let skipInside, keyBytes.starts(with: skipInside) {
                index += 1
                continue
            }
            if page.keys.count + page.commonPrefixes.count == limit {
                page.continuation = lastReturned
                return page
            }
            if let delimiterBytes, let end = endOfFirst(delimiterBytes, in: keyBytes, from: prefixBytes.count) {
                let common = Array(keyBytes[..<end])
                let commonKey = String(decoding: common, as: UTF8.self)
                page.commonPrefixes.append(commonKey)
                lastReturned = commonKey
                index += 1
                while index < keys.count, Array(keys[index].utf8).starts(with: common) { index += 1 }
                continue
            }
            page.keys.append(keys[index])
            lastReturned = keys[index]
            index += 1
        }
        return page
    }

    /// The end index (exclusive, delimiter included) of the first `needle` in `haystack` at or after `from`.
    private static func endOfFirst(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count > 0, haystack.count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= haystack.count {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i + needle.count }
            i += 1
        }
        return nil
    }
}
