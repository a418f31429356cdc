// Keys of a blockfile: a string prefix and a typed key, ordered by (prefix, key). Strings compare and hash by
// their UTF-8 bytes (as they are stored), not by Unicode canonical equivalence as Swift's `String` does.
import Foundation

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
        case (.string(let a), .string(let b)): a.utf8.elementsEqual(b.utf8)
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
        case (.string(let a), .string(let b)): a.utf8.lexicographicallyPrecedes(b.utf8)
        case (.uint32(let a), .uint32(let b)): a < b
        case (.float32(let a), .float32(let b)): a < b
        case (.bool(let a), .bool(let b)): !a && b
        default: lhs.type.rank < rhs.type.rank
        }
    }
}

extension KeyType {
    fileprivate var rank: Int {
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
        lhs.prefix.utf8.elementsEqual(rhs.prefix.utf8) && lhs.key == rhs.key
    }

    public func hash(into hasher: inout Hasher) {
        for byte in prefix.utf8 { hasher.combine(byte) }
        hasher.combine(0xFF as UInt16)  // separates prefix bytes from the key
        hasher.combine(key)
    }

    public static func < (lhs: BlockfileKey, rhs: BlockfileKey) -> Bool {
        if !lhs.prefix.utf8.elementsEqual(rhs.prefix.utf8) {
            return lhs.prefix.utf8.lexicographicallyPrecedes(rhs.prefix.utf8)
        }
        return lhs.key < rhs.key
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
