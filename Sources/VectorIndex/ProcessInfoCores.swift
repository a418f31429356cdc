// The number of cores this process may use, for Chroma's `hnsw:num_threads` default.
import Foundation

enum ProcessInfoCores {
    static var active: Int { ProcessInfo.processInfo.activeProcessorCount }
}
