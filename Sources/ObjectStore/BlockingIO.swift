// Runs blocking system calls (file I/O, fsync, flock) on threads of their own, never on Swift's
// cooperative pool, whose few threads must stay free for async work.
import Dispatch

enum BlockingIO {
    /// A concurrent queue: GCD adds threads as blocked work items pile up.
    private static let queue = DispatchQueue(label: "cairn.blocking-io", attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(ObjectStoreError) -> T)
        async throws(ObjectStoreError)
        -> T
    {
        let result: Result<T, ObjectStoreError> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(ObjectStoreError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
