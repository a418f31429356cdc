// The versions a SPANN query checks every posting entry against: dense while offset ids are, a dictionary once
// deletes and sweeps leave them sparse, the same answers either way.
import Testing
import VectorIndex

@testable import Spann

@Suite struct VersionTableTests {
    @Test func answersAsADictionaryDenseOrSparse() {
        var table = VersionTable()
        var model: [OffsetID: UInt32] = [:]
        var rng = SystemRandomNumberGenerator()
        // Dense ids first, then a few far apart (the table turns into a dictionary), with removals throughout.
        let ids = (1...5_000).map { OffsetID($0) } + [1_000_000, 3_000_000_000, 77]
        for id in ids {
            let version = UInt32.random(in: 1...9, using: &rng) | (Bool.random(using: &rng) ? 1 << 31 : 0)
            table[id] = version
            model[id] = version
            if id % 7 == 0 {
                table[id] = nil
                model[id] = nil
            }
        }
        #expect(table.count == model.count)
        for id in ids + [0, 5_001, 2_000_000] { #expect(table[id] == model[id], "offset id \(id)") }
        #expect(Dictionary(uniqueKeysWithValues: table.entries.map { ($0.id, $0.version) }) == model)
        #expect(table.count { $0 & (1 << 31) == 0 } == model.values.filter { $0 & (1 << 31) == 0 }.count)
    }
}
