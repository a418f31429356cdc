import Bitmaps
import Blockfile
import Testing
import VectorIndex

@testable import Cairn

// The log tail fits a sketch on its first slots in the background and sketches every slot written after it
// (decision 0020): a scan of the tail hands the sketched slots over with their sketches, the others without, and
// finds what a float scan finds.
@Suite struct TailSlotsTests {
    @Test func slotsWrittenOnceTheSketchIsFittedCarryIt() async throws {
        let dimension = 64
        let slots = TailSlots(dimension: dimension)
        var rng = Seeded(state: 42)
        let centres = (0..<8).map { _ in (0..<dimension).map { _ in Float.random(in: -1...1, using: &rng) } }
        func record(_ index: Int) -> TailRecord {
            let embedding = centres[index % 8].map { $0 + Float.random(in: -0.5...0.5, using: &rng) }
            return TailRecord(record: DataRecord(id: "r\(index)", embedding: embedding), metadata: nil)
        }
        for index in 0..<TailSlots.sketchSample { _ = slots.append(record(index)) }
        var waited = 0
        while slots.sketch == nil, waited < 600 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        let sketch = try #require(slots.sketch, "the sketch is fitted in the background")
        #expect(sketch.components == ProjectionSketch.components(forDimension: dimension))
        let sketchedFrom = slots.count
        for index in sketchedFrom..<(sketchedFrom + 3000) { _ = slots.append(record(index)) }
        // One slot without a vector: never a candidate.
        _ = slots.append(TailRecord(record: DataRecord(id: "none", embedding: nil), metadata: nil))

        let all = (0..<UInt32(slots.count)).map { $0 }
        var runs: [(first: UInt32, count: Int, sketched: Bool)] = []
        slots.forEachQuantizedRun(RoaringBitmap(all)) { runs.append(($0.firstID, $0.count, $0.sketch != nil)) }
        for run in runs {
            #expect(run.sketched == (Int(run.first) >= sketchedFrom), "slot \(run.first): sketched whole or not")
            #expect(Int(run.first) >= sketchedFrom || Int(run.first) + run.count <= sketchedFrom)
        }
        // A set with gaps is handed over run by run, every slot once.
        let gapped = all.filter { $0 % 7 != 3 }
        var covered: [UInt32] = []
        slots.forEachQuantizedRun(RoaringBitmap(gapped)) { run in
            #expect((run.sketch != nil) == (Int(run.firstID) >= sketchedFrom))
            covered += (0..<UInt32(run.count)).map { run.firstID + $0 }
        }
        #expect(covered == gapped)
        for query in [record(7).record.embedding!, record(3001).record.embedding!] {
            let found = try BruteForce.searchQuantized(
                query: query, dimension: dimension, space: .l2, k: 10, sketch: sketch,
                forEachRun: { slots.forEachQuantizedRun(RoaringBitmap(all), $0) }, vector: slots.vector)
            let exact = try BruteForce.search(query: query, dimension: dimension, space: .l2, k: 10) { row in
                slots.forEachVector(all.dropLast(), row)
            }
            #expect(found.map(\.id) == exact.map(\.id))
        }
    }
}

/// A fixed sequence (the same data every run).
private struct Seeded: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}
