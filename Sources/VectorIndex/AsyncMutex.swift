// An async mutual-exclusion lock (waiters suspend instead of blocking a thread) and a partitioned set of
// them: `hash(key) % partitions` serialises work on one key without one global lock.
import Synchronization

/// FIFO async lock. Ownership passes directly to the next waiter on unlock.
final class AsyncMutex: Sendable {
    private struct State: Sendable {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var head = 0
    }

    private let state = LockedState(State())

    func lock() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state in
                if !state.locked {
                    state.locked = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.head < state.waiters.count else {
                state.locked = false
                state.waiters.removeAll(keepingCapacity: true)
                state.head = 0
                return nil
            }
            let waiter = state.waiters[state.head]
            state.head += 1
            return waiter
        }
        next?.resume()
    }
}

/// A fixed set of async locks; a key always maps to the same one.
struct AsyncPartitionedMutex: Sendable {
    private let locks: [AsyncMutex]

    init(partitions: Int) {
        locks = (0..<max(1, partitions)).map { _ in AsyncMutex() }
    }

    func lock(for key: String) -> AsyncMutex {
        // FNV-1a: stable across runs (Hasher is seeded per process), cheap, and well spread for UUIDs.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return locks[Int(hash % UInt64(locks.count))]
    }
}
