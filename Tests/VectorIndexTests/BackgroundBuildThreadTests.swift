// Index builds run beside queries at a lower priority (decision 0020): what they run sees nice 10 and threads it
// starts inherit it; jobs run in the order given and results and errors come back to the waiting task.
import Foundation
import Testing
import VectorIndex

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct BackgroundBuildThreadTests {
    @Test func buildsRunBelowQueriesInPriority() async throws {
        #if canImport(Glibc)
            let nice = try await BackgroundBuildThread.tail.run { () throws(VectorIndexError) in
                getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            }
            #expect(nice == BackgroundBuildThread.tail.niceness)
            #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == 0, "the caller keeps its priority")
            let compactionNice = try await BackgroundBuildThread.compaction.run { () throws(VectorIndexError) in
                getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            }
            #expect(compactionNice > nice, "compaction yields to the tail index")
        #endif
        let index = try HNSWIndex.create(dimension: 4, parameters: HNSWParameters(numThreads: 2))
        try await BackgroundBuildThread.compaction.run { () throws(VectorIndexError) in
            try index.add(flat: (0..<400).map { Float($0 % 17) }, ids: Array(0..<100))
        }
        #expect(index.count == 100)
        await #expect(throws: VectorIndexError.self) {
            try await BackgroundBuildThread.compaction.run { () throws(VectorIndexError) in
                try index.add(flat: [1, 2, 3], ids: [7])
            }
        }
    }
}
