// What one root entry means: a base block, and optionally a delta of changes to it that a fork wrote instead of
// rewriting the base. Reads merge the two on the fly; both are zero-copy views over the fetched bytes.
import Foundation

final class BlockView<Value: BlockfileValue>: CachedBlock {
    let base: Block<Value>
    let delta: Block<Value>?
    /// netBefore[j]: inserts minus deletes among delta entries 0..<j (for ranks).
    private let netBefore: [Int]
    /// Live entries.
    let count: Int

    var byteSize: Int { base.byteSize + (delta?.byteSize ?? 0) }

    init(base: Block<Value>, delta: Block<Value>?) {
        self.base = base
        self.delta = delta
        var net = [0]
        if let delta {
            net.reserveCapacity(delta.count + 1)
            for j in 0..<delta.count {
                let step =
                    switch delta.change(at: j) {
                    case .insert: 1
                    case .update: 0
                    case .delete: -1
                    }
                net.append(net[j] + step)
            }
        }
        netBefore = net
        count = base.count + net[net.count - 1]
    }

    /// The value at `key`, or nil (absent, or deleted by the delta).
    func get(_ key: BlockfileKey) throws(BlockfileError) -> Value? {
        if let delta, let j = delta.index(of: key) {
            return delta.change(at: j) == .delete ? nil : try delta.value(at: j)
        }
        guard let i = base.index(of: key) else { return nil }
        return try base.value(at: i)
    }

    /// Live entries that sort before `key`.
    func rank(_ key: BlockfileKey) -> Int {
        base.lowerBound(key) + (delta.map { netBefore[$0.lowerBound(key)] } ?? 0)
    }

    /// Live entries with `lower <= key <= upper` (open sides when nil) and, when `prefix` is given, that prefix,
    /// in order. The bounds become index ranges here, once; the walk then compares nothing against them.
    func cursor(from lower: BlockfileKey?, through upper: BlockfileKey?, prefix: String? = nil) -> Cursor {
        func end(_ block: Block<Value>) -> Int {
            var end = upper.map { block.upperBound($0) } ?? block.count
            if let prefix { end = min(end, block.keys.prefixEnd(prefix)) }
            return end
        }
        let i = lower.map { base.lowerBound($0) } ?? 0
        let j = lower.flatMap { delta?.lowerBound($0) } ?? 0
        return Cursor(
            base: base, delta: delta, i: i, baseEnd: max(i, end(base)), j: j, deltaEnd: max(j, delta.map(end) ?? 0))
    }

    /// Every live entry, decoded (for rewriting).
    func entries() throws(BlockfileError) -> [(key: BlockfileKey, value: Value)] {
        var batch = BlockfileBatch<Value>(keys: [], values: [])
        batch.keys.reserveCapacity(count)
        batch.values.reserveCapacity(count)
        var cursor = cursor(from: nil, through: nil)
        while try cursor.append(to: &batch, limit: Int.max) {}
        return batch.entries
    }

    /// The first and last live keys (nil when the delta deleted everything).
    func keyRange() throws(BlockfileError) -> (first: BlockfileKey, last: BlockfileKey)? {
        var forward = cursor(from: nil, through: nil)
        guard let first = forward.nextKey() else { return nil }
        guard let delta else { return (first, base.key(at: base.count - 1)) }
        // Walk back from the end to the last entry the delta does not delete.
        var i = base.count - 1
        var j = delta.count - 1
        while i >= 0 || j >= 0 {
            let order = i < 0 ? 1 : (j < 0 ? -1 : -base.keys.compare(i, delta.keys, j))
            if order < 0 { return (first, base.key(at: i)) }  // base entry i is beyond every delta entry left
            if delta.change(at: j) != .delete { return (first, delta.key(at: j)) }
            if order == 0 { i -= 1 }
            j -= 1
        }
        return nil
    }

    /// A merged, in-order walk of base entries `i..<baseEnd` and delta entries `j..<deltaEnd`.
    struct Cursor {
        let base: Block<Value>
        let delta: Block<Value>?
        var i: Int
        let baseEnd: Int
        var j: Int
        let deltaEnd: Int

        /// At least as many entries as are left (deletes and replaced base entries not yet discounted).
        var remaining: Int { (baseEnd - i) + (deltaEnd - j) }

        /// Advances to the next live entry; returns where it is (in the delta, or in the base).
        private mutating func advance() -> (fromDelta: Bool, index: Int)? {
            guard let delta else {
                guard i < baseEnd else { return nil }
                i += 1
                return (false, i - 1)
            }
            while i < baseEnd || j < deltaEnd {
                let order = j >= deltaEnd ? -1 : (i >= baseEnd ? 1 : base.keys.compare(i, delta.keys, j))
                if order < 0 {
                    i += 1
                    return (false, i - 1)
                }
                if order == 0 { i += 1 }  // the delta's entry replaces (or deletes) the base's
                j += 1
                if delta.change(at: j - 1) != .delete { return (true, j - 1) }
            }
            return nil
        }

        mutating func next() throws(BlockfileError) -> (key: BlockfileKey, value: Value)? {
            guard let (fromDelta, index) = advance() else { return nil }
            let block = fromDelta ? delta! : base
            return (block.key(at: index), try block.value(at: index))
        }

        mutating func nextKey() -> BlockfileKey? {
            guard let (fromDelta, index) = advance() else { return nil }
            return (fromDelta ? delta! : base).key(at: index)
        }

        /// Appends up to `limit` next live entries to `batch`, a run of base entries at a time (all of them up to
        /// the limit when there is no delta). Returns whether entries may remain.
        mutating func append(to batch: inout BlockfileBatch<Value>, limit: Int) throws(BlockfileError) -> Bool {
            var room = limit
            guard let delta else {
                let n = min(room, baseEnd - i)
                try base.append(i..<(i + n), to: &batch)
                i += n
                return i < baseEnd
            }
            while room > 0 && (i < baseEnd || j < deltaEnd) {
                // Base entries before the next delta entry, in one run.
                var end = i
                while end < baseEnd && end - i < room && (j >= deltaEnd || base.keys.compare(end, delta.keys, j) < 0) {
                    end += 1
                }
                if end > i {
                    try base.append(i..<end, to: &batch)
                    room -= end - i
                    i = end
                    continue
                }
                // The next delta entry: it replaces an equal base entry, or deletes it.
                if i < baseEnd && base.keys.compare(i, delta.keys, j) == 0 { i += 1 }
                j += 1
                if delta.change(at: j - 1) != .delete {
                    try delta.append((j - 1)..<j, to: &batch)
                    room -= 1
                }
            }
            return i < baseEnd || j < deltaEnd
        }
    }
}
