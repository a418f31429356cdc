// Keys of a blockfile: a string prefix and a typed key, ordered by (prefix, key). Strings compare and hash by
// their UTF-8 bytes (as they are stored), not by Unicode canonical equivalence as Swift's `String` does.
import Foundation

/// memcmp order of two strings' UTF-8 bytes: negative, zero or positive. Native strings are contiguous UTF-8,
/// so this compares in place; it is the hot path of every lookup in a root.
@inline(__always) func compareUTF8(_ a: String, _ b: String) -> Int {
    var a = a
    var b = b
    return a.withUTF8 { pa in
        b.withUTF8 { pb in
            let n = min(pa.count, pb.count)
            if n > 0, let x = pa.baseAddress, let y = pb.baseAddress {
                let c = memcmp(x, y, n)
                if c != 0 { return Int(c) }
            }
            return pa.count - pb.count
        }
    }
}

/// The type of the `key` part of every key in one blockfile.
public enum KeyType: String, Sendable, Hashable, CaseIterable {
    case string, uint32, float32, bool
}

/// The typed part of a key.
public enum KeyValue: Sendable, CustomStringConvertible {
    case string(String)
    case uint32(UInt32)
    case float32(Float)
    case bool(Bool)

    public var type: KeyType {
        switch self {
        case .string: .string
        case .uint32: .uint32
        case .float32: .float32
        case .bool: .bool
        }
    }

    public var description: String {
        switch self {
        case .string(let s): "\"\(s)\""
        case .uint32(let v): "\(v)"
        case .float32(let v): "\(v)"
        case .bool(let v): "\(v)"
        }
    }
}

extension KeyValue: Hashable, Comparable {
    public static func == (lhs: KeyValue, rhs: KeyValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): compareUTF8(a, b) == 0
        case (.uint32(let a), .uint32(let b)): a == b
        case (.float32(let a), .float32(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .string(let s):
            hasher.combine(0)
            for byte in s.utf8 { hasher.combine(byte) }
        case .uint32(let v):
            hasher.combine(1)
            hasher.combine(v)
        case .float32(let v):
            hasher.combine(2)
            hasher.combine(v)
        case .bool(let v):
            hasher.combine(3)
            hasher.combine(v)
        }
    }

    /// Same-type values compare naturally (strings by bytes, false < true); a blockfile never mixes key types,
    /// and mixed values order by type so that the order is still total.
    public static func < (lhs: KeyValue, rhs: KeyValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): compareUTF8(a, b) < 0
        case (.uint32(let a), .uint32(let b)): a < b
        case (.float32(let a), .float32(let b)): a < b
        case (.bool(let a), .bool(let b)): !a && b
        default: lhs.type.rank < rhs.type.rank
        }
    }
}

extension KeyType {
    var rank: Int {
        switch self {
        case .string: 0
        case .uint32: 1
        case .float32: 2
        case .bool: 3
        }
    }
}

/// A full key: `(prefix, key)`.
public struct BlockfileKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var prefix: String
    public var key: KeyValue

    public init(_ prefix: String, _ key: KeyValue) {
        self.prefix = prefix
        self.key = key
    }

    public init(_ prefix: String, _ key: String) { self.init(prefix, .string(key)) }
    public init(_ prefix: String, _ key: UInt32) { self.init(prefix, .uint32(key)) }
    public init(_ prefix: String, _ key: Float) { self.init(prefix, .float32(key)) }
    public init(_ prefix: String, _ key: Bool) { self.init(prefix, .bool(key)) }

    public static func == (lhs: BlockfileKey, rhs: BlockfileKey) -> Bool {
        compareUTF8(lhs.prefix, rhs.prefix) == 0 && lhs.key == rhs.key
    }

    public func hash(into hasher: inout Hasher) {
        for byte in prefix.utf8 { hasher.combine(byte) }
        hasher.combine(0xFF as UInt16)  // separates prefix bytes from the key
        hasher.combine(key)
    }

    public static func < (lhs: BlockfileKey, rhs: BlockfileKey) -> Bool {
        let byPrefix = compareUTF8(lhs.prefix, rhs.prefix)
        return byPrefix != 0 ? byPrefix < 0 : lhs.key < rhs.key
    }

    public var description: String { "(\"\(prefix)\", \(key))" }

    /// Bytes this key adds to a block, as the Arrow columns store it (for block sizing).
    var encodedSize: Int {
        let keyBytes: Int
        switch key {
        case .string(let s): keyBytes = s.utf8.count + 4
        case .uint32, .float32: keyBytes = 4
        case .bool: keyBytes = 1
        }
        return prefix.utf8.count + 4 + keyBytes
    }
}
