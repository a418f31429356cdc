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

    @Test func compactionWorkRunsOnItsThreadBelowEveryQuery() async throws {
        #if canImport(Glibc)
            // Compaction's threads run under SCHED_IDLE (5): below any nice value of a query's thread.
            for thread in [BackgroundBuildThread.compaction, .compactionWork] {
                let policy = try await thread.run { () throws(VectorIndexError) in sched_getscheduler(0) }
                #expect(thread.idlePolicy && policy == 5)
            }
            #expect(sched_getscheduler(0) == 0, "the caller keeps the normal policy")
            #expect(!BackgroundBuildThread.tail.idlePolicy && !BackgroundBuildThread.compactionOverdue.idlePolicy)
            // A task preferring the thread as its executor runs its synchronous parts there, across suspensions.
            let worker = try await BackgroundBuildThread.compactionWork.run { () throws(VectorIndexError) in
                pthread_self()
            }
            let seen = await withTaskExecutorPreference(BackgroundBuildThread.compactionWork) {
                () async -> [pthread_t] in
                var threads = [pthread_self()]
                try? await Task.sleep(for: .milliseconds(1))
                threads.append(pthread_self())
                async let child = pthread_self()
                threads.append(await child)
                return threads
            }
            #expect(seen.allSatisfy { pthread_equal($0, worker) != 0 }, "every part ran on the compaction thread")
        #endif
    }
}
