// Index builds that run beside queries (compaction's HNSW build, the log tail's index) run on threads of their own
// at a lower scheduling priority (nice 10; compaction's under SCHED_IDLE): when the cores are busy, queries get them
// first, and the builds take what is left; compaction yields to the tail index too. A background compaction's other
// CPU work runs on such a thread as well, as its task executor. Threads the native add spawns inherit the priority (Linux
// keeps it per thread).
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

public final class BackgroundBuildThread: @unchecked Sendable {
    /// Compaction's index builds: below the tail index, which serves the records compaction has yet to fold.
    public static let compaction = BackgroundBuildThread(name: "cairn-compaction-build", niceness: 15, idlePolicy: true)
    /// Compaction's index builds when the backlog has waited long: at the queries' priority, so that a CPU kept busy
    /// by queries cannot starve compaction for good.
    public static let compactionOverdue = BackgroundBuildThread(name: "cairn-compaction-overdue", niceness: 0)
    /// The rest of a background compaction (reading the log, writing record and metadata blocks, uploading): as
    /// a task executor (`withTaskExecutorPreference`), so that its CPU work yields to queries like its builds do.
    public static let compactionWork = BackgroundBuildThread(
        name: "cairn-compaction-work", niceness: 15, idlePolicy: true)
    /// The log tail's in-memory index.
    public static let tail = BackgroundBuildThread(name: "cairn-tail-index", niceness: 10)
    /// The log tail's in-memory index while reads wait for it: at their priority.
    public static let tailForReads = BackgroundBuildThread(name: "cairn-tail-index-read", niceness: 0)

    /// The nice value the thread runs at (0 is normal; higher yields to others).
    public let niceness: Int32

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    /// Runs under Linux's SCHED_IDLE policy: below every normal thread, whatever their nice values.
    public let idlePolicy: Bool

    private init(name: String, niceness: Int32, idlePolicy: Bool = false) {
        self.niceness = niceness
        self.idlePolicy = idlePolicy
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = name
        thread.start()
    }

    private func loop() {
        #if canImport(Glibc)
            // On Linux `who = 0` with PRIO_PROCESS names the calling thread only.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
            if idlePolicy {
                // SCHED_IDLE (5 in <sched.h>; Glibc's module does not export it): the kernel treats a core running
                // only such threads as idle when it places a waking thread, so a query never waits behind them.
                var parameters = sched_param()
                parameters.sched_priority = 0
                _ = sched_setscheduler(0, 5, &parameters)
            }
        #endif
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Runs `job` on the thread, after the jobs submitted before it; returns at once.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the thread and returns its result to the waiting task.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws(VectorIndexError) -> T)
        async throws(VectorIndexError) -> T
    {
        let result: Result<T, VectorIndexError> = await withCheckedContinuation { continuation in
            submit {
                do throws(VectorIndexError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}

/// The thread runs the async work of tasks that prefer it (`withTaskExecutorPreference(thread)`): their jobs queue
/// behind its other jobs and run at its priority. Work that awaits something else (the store, another thread)
/// suspends and leaves the thread free meanwhile.
extension BackgroundBuildThread: TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        submit { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
