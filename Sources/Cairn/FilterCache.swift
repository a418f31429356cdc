// Recent filter results of one version snapshot: the compacted records a `where`/`where_document` matched and the
// allowed set built from them. Queries often repeat a filter; evaluating it (merging bitmaps) and building the
// allowed set cost a fifth of a 10%-selectivity query.
import Bitmaps
import Synchronization
import VectorIndex

final class FilterCache: Sendable {
    struct Entry: Sendable {
        var matches: RoaringBitmap
        var allowed: AllowedSet?
    }

    static let capacity = 32
    private let state = Mutex<(entries: [String: Entry], order: [String])>(([:], []))

    func entry(_ key: String) -> Entry? {
        state.withLock { $0.entries[key] }
    }

    func insert(_ key: String, _ entry: Entry) {
        state.withLock { state in
            if state.entries.updateValue(entry, forKey: key) == nil { state.order.append(key) }
            while state.order.count > Self.capacity { state.entries[state.order.removeFirst()] = nil }
        }
    }
}
