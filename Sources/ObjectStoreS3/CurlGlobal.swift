// `curl_global_init` exactly once per process, before the first easy handle (it is not thread-safe, so
// a lazily initialised static, which Swift runs once under a lock, guards it).
import CCurl

enum CurlGlobal {
    private static let initialized: Bool = {
        curl_global_init(cairn_curl_global_default_flags()) == CURLE_OK
    }()

    /// Initialises libcurl if nobody has; `false` if libcurl could not be initialised.
    static func ensureInitialized() -> Bool { initialized }
}
