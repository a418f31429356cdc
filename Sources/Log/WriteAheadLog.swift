// The write-ahead log of one collection: numbered fragments on the object store, each created with
// `ifNoneMatch`, so two writers can never both own an offset. Concurrent appends share fragments (group
// commit); an append returns only when its fragment is durable.
import Foundation
import ObjectStore
import Synchronization

public final class WriteAheadLog: Sendable {
    /// Bounds of one fragment.
    public static let maxFragmentBytes = 32 << 20
    public static let maxFragmentRecords = 100_000
    /// Times an append re-discovers the end of the log after losing an offset before it gives up.
    public static let maxConflicts = 32
    /// Fragments fetched at once by `read`.
    public static let readConcurrency = 8
    /// Fragments one `read` returns at most unless told otherwise: a caller that gets this many reads on.
    public static let defaultReadLimit = 1000

    public let path: CollectionPath
    /// Identifies this writer in the fragments it writes.
    public let writerID: String
    let store: any ObjectStore
    /// The highest offset already compacted: fragments at or below it are never read again, so an append that
    /// lands there (after a compaction deleted the fragment it raced with) must be made again above it.
    let compactedOffset: @Sendable () async throws -> UInt64
    /// The compacted offset as the newest published version has it (may read the store): asked only when a
    /// fragment's predecessor is missing.
    let publishedCompactedOffset: @Sendable () async throws -> UInt64

    private struct Waiter {
        var records: [LogRecord]
        var bytes: Int
        var continuation: CheckedContinuation<UInt64, any Error>
    }

    private struct State {
        var nextOffset: UInt64?
        var waiting: [Waiter] = []
        var flushing = false
        /// Fragments this writer wrote lately, by offset (a fragment never changes once written): the readers of
        /// the same process get them without a round trip to the store.
        var recent: [UInt64: (fragment: LogFragment, bytes: Int)] = [:]
        var recentBytes = 0
    }

    /// Bytes of recently written fragments kept for readers (oldest offsets go first).
    public static let recentFragmentBytes = 64 << 20

    private let state = Mutex(State())

    public init(
        store: any ObjectStore, path: CollectionPath, writerID: String = UUID().uuidString.lowercased(),
        compactedOffset: @escaping @Sendable () async throws -> UInt64 = { 0 },
        publishedCompactedOffset: (@Sendable () async throws -> UInt64)? = nil
    ) {
        self.store = store
        self.path = path
        self.writerID = writerID
        self.compactedOffset = compactedOffset
        self.publishedCompactedOffset = publishedCompactedOffset ?? compactedOffset
    }

    // MARK: Appending

    /// Makes `records` durable in the log and returns the offset of the fragment that holds them. Appends made
    /// while another is being written are written together in the next fragment.
    public func append(_ records: [LogRecord]) async throws -> UInt64 {
        guard !records.isEmpty else { throw LogError(.invalidArgument, "an append needs at least one record") }
        let bytes = records.reduce(0) { $0 + $1.encodedSize }
        guard bytes <= Self.maxFragmentBytes, records.count <= Self.maxFragmentRecords else {
            throw LogError(
                .invalidArgument,
                "\(records.count) records of \(bytes) bytes exceed one fragment (\(Self.maxFragmentRecords) records, \(Self.maxFragmentBytes) bytes)"
            )
        }
        return try await withCheckedThrowingContinuation { continuation in
            let startFlushing = state.withLock { state in
                state.waiting.append(Waiter(records: records, bytes: bytes, continuation: continuation))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            if startFlushing { Task { await self.flush() } }
        }
    }

    /// Writes waiting appends, a fragment at a time, until none are left.
    private func flush() async {
        while true {
            let group: [Waiter] = state.withLock { state in
                var taken: [Waiter] = []
                var bytes = 0
                var count = 0
                while let first = state.waiting.first,
                    taken.isEmpty
                        || (bytes + first.bytes <= Self.maxFragmentBytes
                            && count + first.records.count <= Self.maxFragmentRecords)
                {
                    taken.append(state.waiting.removeFirst())
                    bytes += first.bytes
                    count += first.records.count
                }
                if taken.isEmpty { state.flushing = false }
                return taken
            }
            if group.isEmpty { return }
            do {
                let offset = try await writeFragment(group.flatMap(\.records))
                for waiter in group { waiter.continuation.resume(returning: offset) }
            } catch {
                for waiter in group { waiter.continuation.resume(throwing: error) }
            }
        }
    }

    private func writeFragment(_ records: [LogRecord]) async throws -> UInt64 {
        var offset = try await nextOffset()
        for _ in 0..<Self.maxConflicts {
            let written = LogFragment(offset: offset, writerID: writerID, records: records)
            let data = try written.encoded()
            do {
                try await store.put(path.log(offset: offset), data: data, condition: .ifNoneMatch)
            } catch let error as ObjectStoreError where error.code == .preconditionFailed {
                offset = try await discoverNextOffset()  // another writer took it
                continue
            } catch {
                state.withLock { $0.nextOffset = nil }  // the end of the log is unknown after a failed write
                throw LogError(.storage, "appending fragment: \(error)", offset: offset)
            }
            let floor = try await compactedOffset()
            if try await isMisplaced(offset, floor: floor) {
                // Compaction moved past this offset and deleted the fragment that was there: ours would never be
                // read. Remove it and append above the compacted range.
                try? await store.delete(path.log(offset: offset))
                offset = max(try await discoverNextOffset(), floor + 1)
                continue
            }
            state.withLock { state in
                state.nextOffset = offset + 1
                state.recent[offset] = (written, data.count)
                state.recentBytes += data.count
                while state.recentBytes > Self.recentFragmentBytes, let oldest = state.recent.keys.min() {
                    state.recentBytes -= state.recent.removeValue(forKey: oldest)?.bytes ?? 0
                }
            }
            return offset
        }
        state.withLock { $0.nextOffset = nil }
        throw LogError(.conflict, "other writers took \(Self.maxConflicts) offsets in a row; nothing was written")
    }

    /// Whether a fragment just created at `offset` would never be read: at or below the compacted offset. This
    /// writer's `floor` may be behind a compaction (another process's, or one that published since it was read),
    /// so the store is asked too. Fragments above the compacted offset are contiguous (readers stop at the first
    /// gap), and a compaction deletes what it folded only after publishing, so a predecessor that is present means
    /// this fragment is in the readable run; a missing one means a compaction folded through at least it, and the
    /// compacted offset as published then tells: this fragment is readable if it lies above it. (The fragment at
    /// the compacted offset is deleted too once a high-water mark lies above it — decision 0023 — so a missing
    /// predecessor alone does not mean a compaction passed this offset.)
    private func isMisplaced(_ offset: UInt64, floor: UInt64) async throws -> Bool {
        if offset <= floor { return true }
        guard offset > 1 else { return false }
        do {
            _ = try await store.head(path.log(offset: offset - 1))
            return false
        } catch let error as ObjectStoreError where error.code == .notFound {
            return offset <= (try await publishedCompactedOffset())
        } catch {
            throw LogError(.storage, "checking fragment \(offset - 1): \(error)", offset: offset)
        }
    }

    private func nextOffset() async throws -> UInt64 {
        if let next = state.withLock({ $0.nextOffset }) { return next }
        return try await discoverNextOffset()
    }

    /// One past the last fragment in the store (or past the compacted offset, when compaction removed them all).
    private func discoverNextOffset() async throws -> UInt64 {
        let latest = try await latestOffset()
        return max(latest, try await compactedOffset()) + 1
    }

    // MARK: Reading

    /// The highest offset present in the store, or 0 when there is none.
    public func latestOffset() async throws -> UInt64 {
        do {
            return try await store.listAll(prefix: path.logPrefix).compactMap { path.logOffset(ofKey: $0.key) }.max()
                ?? 0
        } catch {
            throw LogError(.storage, "listing the log: \(error)")
        }
    }

    /// Copies every fragment after `offset` into the log of `destination`, at the same offsets, byte for byte (a
    /// fork takes its parent's uncompacted writes). Idempotent: a fragment already there with the same bytes counts
    /// as copied. Returns how many were copied.
    @discardableResult
    public func copyFragments(after offset: UInt64, to destination: CollectionPath) async throws -> Int {
        let fragments: [(key: String, offset: UInt64)]
        do {
            fragments = try await store.listAll(prefix: path.logPrefix)
                .compactMap { object in path.logOffset(ofKey: object.key).map { (object.key, $0) } }
                .filter { $0.offset > offset }.sorted { $0.offset < $1.offset }
        } catch {
            throw LogError(.storage, "listing the log: \(error)")
        }
        for (key, fragmentOffset) in fragments {
            let target = destination.log(offset: fragmentOffset)
            do {
                let data = try await store.get(key).data
                do {
                    try await store.put(target, data: data, condition: .ifNoneMatch)
                } catch let error as ObjectStoreError where error.code == .preconditionFailed {
                    guard try await store.get(target).data == data else {
                        throw LogError(.storage, "\(target) already holds another fragment")
                    }
                }
            } catch let error as LogError {
                throw error
            } catch {
                throw LogError(.storage, "copying log fragment \(fragmentOffset): \(error)")
            }
        }
        return fragments.count
    }

    /// Fragments after `offset`, in order, up to the first offset not present (or `limit` fragments).
    public func read(after offset: UInt64, limit: Int = defaultReadLimit) async throws -> [LogFragment] {
        var fragments: [LogFragment] = []
        var next = offset + 1
        while fragments.count < limit {
            let window = min(Self.readConcurrency, limit - fragments.count)
            let fetched = try await withThrowingTaskGroup(of: (UInt64, LogFragment?).self) { group in
                for candidate in next..<(next + UInt64(window)) {
                    group.addTask { (candidate, try await self.fragment(at: candidate)) }
                }
                var results: [UInt64: LogFragment?] = [:]
                for try await (candidate, fragment) in group { results[candidate] = fragment }
                return results
            }
            for candidate in next..<(next + UInt64(window)) {
                guard let fragment = fetched[candidate] ?? nil else { return fragments }
                fragments.append(fragment)
            }
            next += UInt64(window)
        }
        return fragments
    }

    /// The fragment at `offset`, or nil if there is none.
    public func fragment(at offset: UInt64) async throws -> LogFragment? {
        if let recent = state.withLock({ $0.recent[offset]?.fragment }) { return recent }
        let data: Data
        do {
            data = try await store.get(path.log(offset: offset)).data
        } catch let error as ObjectStoreError where error.code == .notFound {
            return nil
        } catch {
            throw LogError(.storage, "reading fragment: \(error)", offset: offset)
        }
        return try LogFragment(decoding: data, offset: offset)
    }

    // MARK: Truncation

    /// The fragments after `offset` that this writer wrote lately, consecutive from `offset + 1` (no store access:
    /// what a reader in the same process can take in right after a write).
    public func recentFragments(after offset: UInt64) -> [LogFragment] {
        state.withLock { state in
            var fragments: [LogFragment] = []
            var next = offset + 1
            while let fragment = state.recent[next]?.fragment {
                fragments.append(fragment)
                next += 1
            }
            return fragments
        }
    }

    /// Forgets the recently written fragments through `offset` (a version holds them now; no reader asks again).
    public func forgetRecent(through offset: UInt64) {
        state.withLock { state in
            for key in state.recent.keys where key <= offset {
                state.recentBytes -= state.recent.removeValue(forKey: key)?.bytes ?? 0
            }
        }
    }

    /// After a compaction folded the log through `offset`: makes sure a fragment above `offset` exists — an append
    /// already there, or a tiny one holding only `LogRecord.highWaterMark` — so that every fragment through
    /// `offset` can go and a writer that starts later, with no idea of the compacted offset, still appends above it
    /// (decision 0023). Returns the offset every fragment below may be removed before.
    public func markHighWater(above offset: UInt64) async throws -> UInt64 {
        if try await latestOffset() > offset { return offset + 1 }
        return min(try await append([.highWaterMark]), offset + 1)
    }

    /// Removes the fragments below `offset`. A compaction that folded the log through T passes T (the fragment at
    /// T stays as the high-water mark) or, once `markHighWater(above: T)` made a fragment above T, T + 1.
    public func removeFragments(before offset: UInt64) async throws {
        if offset > 0 { forgetRecent(through: offset - 1) }
        do {
            for object in try await store.listAll(prefix: path.logPrefix) {
                if let fragmentOffset = path.logOffset(ofKey: object.key), fragmentOffset < offset {
                    try await store.delete(object.key)
                }
            }
        } catch {
            throw LogError(.storage, "removing fragments before \(offset): \(error)")
        }
    }
}
