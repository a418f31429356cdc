// The sliding window every parallel transfer and listing uses: never more than `limit` running, every result
// handed back once, and the first error stops it.
import ObjectStore
import Synchronization
import Testing

@Suite struct BoundedParallelismTests {
    struct Failed: Error, Equatable { let index: Int }

    @Test(arguments: [1, 3, 8, 100])
    func runsEveryItemAtMostLimitAtOnce(limit: Int) async throws {
        let running = Mutex((now: 0, most: 0))
        var seen: [Int: Int] = [:]
        try await withBoundedParallelism(count: 40, limit: limit) { (index) async throws(Never) -> Int in
            running.withLock {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
            await Task.yield()
            running.withLock { $0.now -= 1 }
            return index * index
        } consume: { index, square in
            #expect(seen[index] == nil)
            seen[index] = square
        }
        #expect(seen == Dictionary(uniqueKeysWithValues: (0..<40).map { ($0, $0 * $0) }))
        #expect(running.withLock { $0.most } <= limit)
    }

    @Test func theFirstErrorStopsTheWorkAndIsThrown() async {
        let started = Mutex(0)
        var consumed = 0
        let failAtFive: @Sendable (Int) async throws(Failed) -> Int = { (index) async throws(Failed) -> Int in
            started.withLock { $0 += 1 }
            if index == 5 { throw Failed(index: 5) }
            return index
        }
        do throws(Failed) {
            try await withBoundedParallelism(count: 1000, limit: 2, failAtFive) { (_, _) throws(Failed) in
                consumed += 1
            }
            Issue.record("no error thrown")
        } catch {
            #expect(error == Failed(index: 5))
        }
        #expect(started.withLock { $0 } < 1000, "nothing new starts after the error")
        #expect(consumed < 1000)

        // An error from `consume` stops it the same way.
        let identity: @Sendable (Int) async throws(Failed) -> Int = { (index) async throws(Failed) -> Int in index }
        do throws(Failed) {
            try await withBoundedParallelism(count: 100, limit: 4, identity) { (index, _) throws(Failed) in
                if index == 3 { throw Failed(index: 3) }
            }
            Issue.record("no error thrown")
        } catch {
            #expect(error == Failed(index: 3))
        }
    }
}
