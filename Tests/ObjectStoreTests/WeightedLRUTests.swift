// The package's one weighted LRU (block cache, HNSW provider, disk cache): eviction by least recent use until the
// weight fits, never the entry just inserted, uses and re-weighing moving entries as expected.
import ObjectStore
import Testing

@Suite struct WeightedLRUTests {
    @Test func evictsTheLeastRecentlyUsedUntilTheWeightFits() {
        var lru = WeightedLRU<String, Int>(capacity: 10)
        #expect(lru.insert("a", 1, weight: 4).isEmpty)
        #expect(lru.insert("b", 2, weight: 4).isEmpty)
        #expect(lru.get("a") == 1)  // a is now newer than b
        let evicted = lru.insert("c", 3, weight: 4)
        #expect(evicted.map(\.0) == ["b"])
        #expect(lru.keysByRecency == ["c", "a"] && lru.totalWeight == 8 && lru.count == 2)
        #expect(lru.peek("a") == 1 && lru.keysByRecency == ["c", "a"], "peek does not count as a use")
    }

    @Test func neverEvictsWhatWasJustInsertedOrReweighed() {
        var lru = WeightedLRU<String, Int>(capacity: 10)
        lru.insert("a", 1, weight: 3)
        lru.insert("b", 2, weight: 3)
        #expect(lru.insert("huge", 9, weight: 50).map(\.0) == ["a", "b"])
        #expect(lru.keysByRecency == ["huge"] && lru.totalWeight == 50)
        lru.insert("x", 0, weight: 1)
        #expect(lru.keysByRecency == ["x"], "the oversized entry goes once something newer needs room")
        lru.insert("y", 0, weight: 2)
        #expect(lru.reweigh("x", weight: 9).map(\.0) == ["y"])
        #expect(lru.remove("x") == 0 && lru.count == 0 && lru.totalWeight == 0)
    }

    @Test func replacingAKeyKeepsOneEntryAndTheNewWeight() {
        var lru = WeightedLRU<Int, String>(capacity: 100)
        for i in 0..<50 { lru.insert(i % 5, "v\(i)", weight: i % 7) }
        #expect(lru.count == 5)
        #expect(lru.totalWeight == (45..<50).reduce(0) { $0 + $1 % 7 })
        #expect(lru.peek(4) == "v49")
    }
}
