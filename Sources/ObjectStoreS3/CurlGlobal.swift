// `curl_global_init` exactly once per process, before the first easy handle (it is not thread-safe, so
// a lazily initialised static, which Swift runs once under a lock, guards it).
//
// Process exit: libcurl's TLS library frees its global state in an `atexit` handler, and a worker thread still
// inside libcurl at that moment (a transfer, or cleaning up its handle) corrupts the heap. So every use of an easy
// handle is bracketed by `enter`/`leave`, and an `atexit` handler registered right after `curl_global_init` (so it
// runs before the library's own) stops new uses and waits for the ones in progress to end.
import CCurl
import Foundation
import Synchronization

enum CurlGlobal {
    private static let initialized: Bool = {
        let ok = curl_global_init(cairn_curl_global_default_flags()) == CURLE_OK
        atexit { CurlGlobal.drainAtExit() }
        return ok
    }()

    /// Initialises libcurl if nobody has; `false` if libcurl could not be initialised.
    static func ensureInitialized() -> Bool { initialized }

    private static let activity = Mutex<(active: Int, exiting: Bool)>((0, false))

    /// Starts a use of libcurl; false once the process is exiting (the caller must not touch libcurl then).
    static func enter() -> Bool {
        activity.withLock { state in
            guard !state.exiting else { return false }
            state.active += 1
            return true
        }
    }

    static func leave() {
        activity.withLock { $0.active -= 1 }
    }

    private static func drainAtExit() {
        activity.withLock { $0.exiting = true }
        // Transfers in flight have their time-outs; do not hold the exit up for longer than a few seconds.
        for _ in 0..<5000 where activity.withLock({ $0.active }) > 0 { usleep(1000) }
    }
}
