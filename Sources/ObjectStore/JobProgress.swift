// Progress of a long job (compaction, garbage collection, a check, a catalog rebuild, a large transfer) as plain
// values. The library reports them at natural points — per object, per collection, per chunk of vectors — and
// never formats text: whoever listens (the `cairn` command's progress printer) decides what to show and how often.
// It lives in ObjectStore because every module that runs a long job depends on this one (decision: progress).

/// One observation of a long job: how far its current phase is.
public struct JobProgress: Sendable, Hashable {
    /// What the job is doing now, e.g. "collecting garbage" or "indexing articles"; a new phase starts its counts
    /// (and its rate) afresh.
    public var phase: String
    /// What `done` and `total` count, plural: "collections", "vectors", "parts".
    public var unit: String
    public var done: Int
    /// nil when the job does not know it up front (it reports what it has done so far).
    public var total: Int?
    /// Bytes moved so far, when the job measures them.
    public var bytes: Int?
    public var bytesTotal: Int?

    public init(
        _ phase: String, unit: String, done: Int, total: Int? = nil, bytes: Int? = nil, bytesTotal: Int? = nil
    ) {
        self.phase = phase
        self.unit = unit
        self.done = done
        self.total = total
        self.bytes = bytes
        self.bytesTotal = bytesTotal
    }
}

/// Receives a job's progress. Jobs call it through optional chaining (`reporter?(…)`): with nobody listening the
/// value is never even built. It may be called from the job's tasks; it must return quickly (throttle there).
public typealias ProgressReporter = @Sendable (JobProgress) -> Void
