// Runs blocking `curl_easy_perform` calls on a small pool of dedicated threads, never on Swift's
// cooperative pool; callers await the result through a continuation. Threads start on demand up to a
// limit, and each keeps one easy handle (and so its kept-alive connection) for its whole life.
import CCurl
import Dispatch
import Foundation
import Synchronization

final class CurlWorkerPool: Sendable {
    private struct Job {
        var request: CurlRequest
        var continuation: CheckedContinuation<CurlResponse, any Error>
    }

    private struct State {
        var jobs: [Job] = []
        var head = 0
        var threads = 0
        var busy = 0
        var shuttingDown = false

        mutating func pop() -> Job? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head > 64, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }

        var pending: Int { jobs.count - head }
    }

    let maxThreads: Int
    private let timeouts: CurlTimeouts
    private let state = Mutex(State())
    private let wakeup = DispatchSemaphore(value: 0)

    init(maxThreads: Int, timeouts: CurlTimeouts) {
        self.maxThreads = max(1, maxThreads)
        self.timeouts = timeouts
    }

    /// Runs `request` on a worker thread. Throws `CurlTransportError` for failures below HTTP, and
    /// `CancellationError` when the calling task is cancelled (a running transfer is aborted).
    func perform(_ request: CurlRequest) async throws -> CurlResponse {
        let cancellation = CurlCancellation()
        var request = request
        request.cancellation = cancellation
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enqueue(Job(request: request, continuation: continuation))
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    private func enqueue(_ job: Job) {
        let (accepted, spawn) = state.withLock { state -> (Bool, Bool) in
            guard !state.shuttingDown else { return (false, false) }
            state.jobs.append(job)
            guard state.busy + state.pending > state.threads, state.threads < maxThreads else { return (true, false) }
            state.threads += 1
            return (true, true)
        }
        guard accepted else {
            job.continuation.resume(
                throwing: CurlTransportError(code: -1, message: "the store was shut down", isPartialBody: false))
            return
        }
        if spawn { startWorker() }
        wakeup.signal()
    }

    /// Lets every worker finish its current job and exit.
    func shutdown() {
        let threads = state.withLock { state -> Int in
            state.shuttingDown = true
            return state.threads
        }
        for _ in 0..<threads { wakeup.signal() }
    }

    private func startWorker() {
        let thread = Thread { [self] in runWorker() }
        thread.name = "cairn-curl"
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func runWorker() {
        let handle = CurlEasyHandle(timeouts: timeouts)
        while true {
            wakeup.wait()
            let job = state.withLock { state -> Job? in
                guard let job = state.pop() else { return nil }
                state.busy += 1
                return job
            }
            guard let job else {
                if state.withLock({ $0.shuttingDown }) { break }
                continue
            }
            if job.request.cancellation?.isCancelled == true {
                job.continuation.resume(throwing: CancellationError())
            } else if let handle, CurlGlobal.enter() {
                let result = handle.perform(job.request)
                CurlGlobal.leave()
                job.continuation.resume(
                    with: result.mapError { failure -> any Error in failure.isCancelled ? CancellationError() : failure
                    })
            } else {
                job.continuation.resume(
                    throwing: CurlTransportError(
                        code: -1, message: "libcurl could not be initialised, or the process is exiting",
                        isPartialBody: false))
            }
            state.withLock { $0.busy -= 1 }
        }
        state.withLock { $0.threads -= 1 }
    }
}
