// Bounded parallelism for the store's callers (parts of a large object, blocks of a blockfile, collection folders
// of a bucket): one sliding window over a task group instead of a loop of its own at every call site.

/// Runs `work(i)` for every `i` in `0..<count`, at most `limit` at once (at least one), and hands each result to
/// `consume(i, result)` on the calling task as it finishes (in completion order). The first error, from `work` or
/// from `consume`, cancels the work still running and is thrown once that work has stopped.
public func withBoundedParallelism<T: Sendable, Failure: Error>(
    count: Int, limit: Int, _ work: @escaping @Sendable (Int) async throws(Failure) -> T,
    consume: (Int, T) throws(Failure) -> Void
) async throws(Failure) {
    guard count > 0 else { return }
    var failure: Failure?
    await withTaskGroup(of: (Int, Result<T, Failure>).self) { group in
        var next = 0
        func start() {
            let index = next
            next += 1
            group.addTask {
                do throws(Failure) {
                    return (index, .success(try await work(index)))
                } catch {
                    return (index, .failure(error))
                }
            }
        }
        while next < min(count, max(1, limit)) { start() }
        while let (index, outcome) = await group.next() {
            do throws(Failure) {
                try consume(index, try outcome.get())
            } catch {
                failure = error
                group.cancelAll()
                return  // the group waits for the cancelled work before it returns
            }
            if next < count { start() }
        }
    }
    if let failure { throw failure }
}
