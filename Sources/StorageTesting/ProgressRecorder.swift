// Collects what a long job reports through a `ProgressReporter`, for tests of the values jobs report.
import ObjectStore
import Synchronization

public final class ProgressRecorder: Sendable {
    private let values = Mutex<[JobProgress]>([])

    public init() {}

    /// Hand this to the job.
    public var reporter: ProgressReporter { { progress in self.values.withLock { $0.append(progress) } } }

    /// Everything reported, in order.
    public var all: [JobProgress] { values.withLock { $0 } }

    /// What was reported in `phase`, in order.
    public func phase(_ name: String) -> [JobProgress] { all.filter { $0.phase == name } }

    /// Whether `done` (and bytes) never went back within each phase and never passed a total.
    public var isMonotonic: Bool {
        var last: [String: JobProgress] = [:]
        for value in all {
            if let total = value.total, value.done > total { return false }
            if let previous = last[value.phase] {
                if value.done < previous.done || (value.bytes ?? 0) < (previous.bytes ?? 0) { return false }
            }
            last[value.phase] = value
        }
        return true
    }
}
