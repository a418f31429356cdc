// Clocks, percentiles, process memory and bytes on disk, measured the way chroma_bench.py measures them.
import Foundation

enum Measure {
    static func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        return (ContinuousClock.now - start).seconds
    }

    /// numpy.percentile's default (linear interpolation between closest ranks).
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = p / 100 * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }

    /// A line of /proc/self/status in MiB (VmHWM: peak RSS, VmRSS: current).
    static func statusMiB(_ field: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? -1
            return kib / 1024
        }
        return -1
    }

    /// Apparent and allocated bytes under a folder, and apparent bytes per top-level entry.
    static func diskBytes(_ path: String) -> [String: Any] {
        var apparent = 0
        var allocated = 0
        var byEntry: [String: Int] = [:]
        let root = URL(fileURLWithPath: path)
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let relative = enumerator?.nextObject() as? String {
            var info = stat()
            let full = root.appendingPathComponent(relative).path
            guard lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            apparent += Int(info.st_size)
            allocated += Int(info.st_blocks) * 512
            let parts = relative.split(separator: "/")
            let key = parts.count == 1 ? String(parts[0]) : String(parts[0]) + "/"
            byEntry[key, default: 0] += Int(info.st_size)
        }
        return ["apparent_bytes": apparent, "allocated_bytes": allocated, "by_entry": byEntry]
    }

    /// Evicts a folder's files from the page cache (fsync, then POSIX_FADV_DONTNEED), as chroma_bench.py does.
    static func dropPageCache(_ path: String) -> Int {
        var files = 0
        let root = URL(fileURLWithPath: path)
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let relative = enumerator?.nextObject() as? String {
            let full = root.appendingPathComponent(relative).path
            var info = stat()
            guard lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let fd = open(full, O_RDONLY)
            guard fd >= 0 else { continue }
            fsync(fd)
            posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
            close(fd)
            files += 1
        }
        return files
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
