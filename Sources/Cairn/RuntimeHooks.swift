// Named points in a collection's runtime and in background compaction where a test can watch progress or hold it,
// so that an interleaving of appends, reads and compaction publishes can be replayed exactly, not hoped for.
import Synchronization

final class RuntimeHooks: Sendable {
    enum Point: Hashable, Sendable {
        /// Background or explicit compaction published a version and is about to make it current in-process.
        case compactionPublished
        /// A refresh has built a new view (a version loaded, or the log's new end read) and is about to install it.
        case installing
        /// A read waited for a refresh and is about to look at the view again.
        case readerResuming
        /// A restore committed its version and is about to check that the restored version's files are still kept.
        case restoreCommitted
    }

    private struct State {
        /// Points held, with how many more arrivals each holds.
        var held: [Point: Int] = [:]
        var waiting: [Point: [CheckedContinuation<Void, Never>]] = [:]
        var arrivals: [Point: Int] = [:]
        var watchers: [(point: Point, count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    init() {}

    /// Called by the code at `point`: counts the arrival and, while the point is held, waits for its release.
    func reached(_ point: Point) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (resume, woken) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                state.arrivals[point, default: 0] += 1
                let woken = Self.takeSatisfied(&state)
                if let remaining = state.held[point], remaining > 0 {
                    state.held[point] = remaining - 1
                    state.waiting[point, default: []].append(continuation)
                    return (false, woken)
                }
                return (true, woken)
            }
            for watcher in woken { watcher.resume() }
            if resume { continuation.resume() }
        }
    }

    /// The next `arrivals` arrivals at `point` (all of them by default) wait until `release(point)`.
    func hold(_ point: Point, arrivals: Int = .max) { state.withLock { $0.held[point] = arrivals } }

    /// Lets every task waiting at `point` go on, and later arrivals pass.
    func release(_ point: Point) {
        let waiting = state.withLock { state in
            state.held[point] = nil
            return state.waiting.removeValue(forKey: point) ?? []
        }
        for continuation in waiting { continuation.resume() }
    }

    /// How many times `point` was reached so far.
    func arrivals(at point: Point) -> Int { state.withLock { $0.arrivals[point, default: 0] } }

    /// Returns once `point` has been reached `count` times in all.
    func waitForArrivals(at point: Point, count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.arrivals[point, default: 0] >= count { return true }
                state.watchers.append((point, count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Waits up to `timeout` for `point` to have been reached `count` times; returns whether it was.
    func waitForArrivals(at point: Point, count: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while arrivals(at: point) < count {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    private static func takeSatisfied(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        var woken: [CheckedContinuation<Void, Never>] = []
        state.watchers.removeAll { watcher in
            guard state.arrivals[watcher.point, default: 0] >= watcher.count else { return false }
            woken.append(watcher.continuation)
            return true
        }
        return woken
    }
}
