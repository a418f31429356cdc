// The number of cores this process may use, for Chroma's `hnsw:num_threads` default.
import Foundation

enum ProcessInfoCores {
    /// Read once: Foundation reads the cgroup's CPU quota from files on every call, and every request that opens
    /// a collection works its configuration out (with this default) again.
    static let active = ProcessInfo.processInfo.activeProcessorCount
}
