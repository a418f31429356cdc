// A least-recently-used map whose capacity is a total weight (bytes), not a number of entries.

/// Not thread-safe: the provider keeps it inside a Mutex.
struct WeightedLRU<Key: Hashable, Value> {
    fileprivate struct Entry {
        var value: Value
        var weight: Int
        var lastUse: UInt64
    }

    let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var clock: UInt64 = 0
    private(set) var totalWeight = 0

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { entries.count }

    /// The value, marked as just used.
    mutating func get(_ key: Key) -> Value? {
        guard entries[key] != nil else { return nil }
        clock += 1
        entries[key]!.lastUse = clock
        return entries[key]!.value
    }

    func peek(_ key: Key) -> Value? { entries[key]?.value }

    /// Inserts or replaces, then evicts least recently used entries (never `key` itself) until the total
    /// weight fits. Returns what was evicted, oldest first.
    mutating func insert(_ key: Key, _ value: Value, weight: Int) -> [(Key, Value)] {
        clock += 1
        if let old = entries[key] { totalWeight -= old.weight }
        entries[key] = Entry(value: value, weight: weight, lastUse: clock)
        totalWeight += weight
        guard totalWeight > capacity else { return [] }
        var evicted: [(Key, Value)] = []
        let order = entries.filter { $0.key != key }.sorted { $0.value.lastUse < $1.value.lastUse }
        for (victim, entry) in order where totalWeight > capacity {
            entries[victim] = nil
            totalWeight -= entry.weight
            evicted.append((victim, entry.value))
        }
        return evicted
    }

    /// Updates an entry's weight (after its index grew), evicting others if needed.
    mutating func reweigh(_ key: Key, weight: Int) -> [(Key, Value)] {
        guard let entry = entries[key] else { return [] }
        totalWeight += weight - entry.weight
        entries[key]!.weight = weight
        guard totalWeight > capacity else { return [] }
        let value = entry.value
        return insert(key, value, weight: weight)
    }

    mutating func remove(_ key: Key) -> Value? {
        guard let entry = entries.removeValue(forKey: key) else { return nil }
        totalWeight -= entry.weight
        return entry.value
    }
}

extension WeightedLRU: Sendable where Key: Sendable, Value: Sendable {}
extension WeightedLRU.Entry: Sendable where Key: Sendable, Value: Sendable {}
