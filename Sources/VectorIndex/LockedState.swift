// State behind Synchronization's Mutex, with ThreadSanitizer annotations: on Linux the Mutex locks through
// futex calls TSan cannot see, so every withLock reports false "Swift access races" (reproduced with a
// 10-line program on this toolchain). The annotations are no-op calls in normal builds.
import CHNSW
import Synchronization

final class LockedState<State: Sendable>: Sendable {
    private let mutex: Mutex<State>

    init(_ initial: State) { mutex = Mutex(initial) }

    func withLock<T: Sendable, E: Error>(_ body: (inout State) throws(E) -> T) throws(E) -> T {
        let address = UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
        return try mutex.withLock { (state) throws(E) -> T in
            cairn_tsan_acquire(address)
            defer { cairn_tsan_release(address) }
            return try body(&state)
        }
    }
}
