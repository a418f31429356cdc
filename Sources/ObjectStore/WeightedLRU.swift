// The one least-recently-used map of the package, bounded by total weight (bytes) rather than entry count: an
// intrusive doubly linked list over an array of slots, so a use, an insert and each eviction cost O(1). The block
// cache (Blockfile.WeightedCache), the HNSW index provider and the disk cache keep one inside their own lock.

/// Not thread-safe: callers keep it inside a Mutex.
package struct WeightedLRU<Key: Hashable, Value> {
    fileprivate struct Node {
        var key: Key
        var value: Value
        var weight: Int
        var newer: Int?
        var older: Int?
    }

    package let capacity: Int
    private var nodes: [Node?] = []
    private var free: [Int] = []
    private var index: [Key: Int] = [:]
    private var newest: Int?
    private var oldest: Int?
    package private(set) var totalWeight = 0

    package init(capacity: Int) { self.capacity = max(0, capacity) }

    package var count: Int { index.count }

    /// The value, marked as just used.
    package mutating func get(_ key: Key) -> Value? {
        guard let i = index[key] else { return nil }
        unlink(i)
        pushNewest(i)
        return nodes[i]?.value
    }

    /// The value, without marking it used.
    package func peek(_ key: Key) -> Value? { index[key].flatMap { nodes[$0]?.value } }

    /// Inserts or replaces `key` as the newest entry, then evicts the least recently used others (never `key`
    /// itself) until the total weight fits. Returns what was evicted, oldest first.
    @discardableResult
    package mutating func insert(_ key: Key, _ value: Value, weight: Int) -> [(Key, Value)] {
        if let i = index[key] { _ = remove(at: i) }
        let node = Node(key: key, value: value, weight: weight)
        let i: Int
        if let slot = free.popLast() {
            nodes[slot] = node
            i = slot
        } else {
            nodes.append(node)
            i = nodes.count - 1
        }
        index[key] = i
        pushNewest(i)
        totalWeight += weight
        return evict(sparing: i)
    }

    /// Changes an entry's weight (after it grew), evicting others if needed.
    @discardableResult
    package mutating func reweigh(_ key: Key, weight: Int) -> [(Key, Value)] {
        guard let i = index[key], let old = nodes[i]?.weight else { return [] }
        nodes[i]?.weight = weight
        totalWeight += weight - old
        return evict(sparing: i)
    }

    @discardableResult
    package mutating func remove(_ key: Key) -> Value? {
        guard let i = index[key] else { return nil }
        return remove(at: i)?.value
    }

    /// Keys from the most to the least recently used.
    package var keysByRecency: [Key] {
        var keys: [Key] = []
        var cursor = newest
        while let i = cursor, let node = nodes[i] {
            keys.append(node.key)
            cursor = node.older
        }
        return keys
    }

    private mutating func evict(sparing kept: Int) -> [(Key, Value)] {
        var evicted: [(Key, Value)] = []
        var cursor = oldest
        while totalWeight > capacity, let i = cursor {
            cursor = nodes[i]?.newer
            guard i != kept, let node = remove(at: i) else { continue }
            evicted.append((node.key, node.value))
        }
        return evicted
    }

    private mutating func remove(at i: Int) -> Node? {
        unlink(i)
        guard let node = nodes[i] else { return nil }
        nodes[i] = nil
        free.append(i)
        index[node.key] = nil
        totalWeight -= node.weight
        return node
    }

    /// Reads only the links: copying the node would retain its key and value on every use.
    private mutating func unlink(_ i: Int) {
        guard nodes[i] != nil else { return }
        let (newer, older) = (nodes[i]!.newer, nodes[i]!.older)
        if let newer { nodes[newer]!.older = older } else { newest = older }
        if let older { nodes[older]!.newer = newer } else { oldest = newer }
        nodes[i]!.newer = nil
        nodes[i]!.older = nil
    }

    private mutating func pushNewest(_ i: Int) {
        nodes[i]?.older = newest
        nodes[i]?.newer = nil
        if let newest { nodes[newest]?.newer = i }
        newest = i
        if oldest == nil { oldest = i }
    }
}

extension WeightedLRU: Sendable where Key: Sendable, Value: Sendable {}
extension WeightedLRU.Node: Sendable where Key: Sendable, Value: Sendable {}
