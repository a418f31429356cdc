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
        return try base.index(of: key).map { i throws(BlockfileError) in try base.value(at: i) }
    }

    /// Live entries that sort before `key`.
    func rank(_ key: BlockfileKey) -> Int {
        base.lowerBound(key) + (delta.map { netBefore[$0.lowerBound(key)] } ?? 0)
    }

    /// Live entries with `lower <= key <= upper` (open sides when nil), in order.
    func cursor(from lower: BlockfileKey?, through upper: BlockfileKey?) -> Cursor {
        Cursor(
            view: self, i: lower.map { base.lowerBound($0) } ?? 0, j: lower.flatMap { delta?.lowerBound($0) } ?? 0,
            upper: upper)
    }

    /// Every live entry, decoded (for rewriting).
    func entries() throws(BlockfileError) -> [(key: BlockfileKey, value: Value)] {
        var result: [(key: BlockfileKey, value: Value)] = []
        result.reserveCapacity(count)
        var cursor = cursor(from: nil, through: nil)
        while let entry = try cursor.next() { result.append(entry) }
        return result
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
            let order = i < 0 ? 1 : (j < 0 ? -1 : -base.compare(i, with: delta.key(at: j)))
            if order < 0 { return (first, base.key(at: i)) }  // base entry i is beyond every delta entry left
            if delta.change(at: j) != .delete { return (first, delta.key(at: j)) }
            if order == 0 { i -= 1 }
            j -= 1
        }
        return nil
    }

    /// A merged, in-order walk of base and delta.
    struct Cursor {
        let base: Block<Value>
        let delta: Block<Value>?
        var i: Int
        var j: Int
        let upper: BlockfileKey?

        init(view: BlockView, i: Int, j: Int, upper: BlockfileKey?) {
            base = view.base
            delta = view.delta
            self.i = i
            self.j = j
            self.upper = upper
        }

        /// Advances to the next live entry; returns where it is (in the delta, or in the base).
        private mutating func advance() -> (fromDelta: Bool, index: Int)? {
            guard let delta else {
                // No delta: a plain walk of the base block.
                guard i < base.count else { return nil }
                if let upper, base.compare(i, with: upper) > 0 {
                    i = base.count
                    return nil
                }
                i += 1
                return (false, i - 1)
            }
            while i < base.count || j < delta.count {
                let order =
                    j >= delta.count ? -1 : (i >= base.count ? 1 : base.compare(i, with: delta.key(at: j)))
                let candidate: (fromDelta: Bool, index: Int)
                if order < 0 {
                    candidate = (false, i)
                    i += 1
                } else {
                    if order == 0 { i += 1 }  // the delta's entry replaces (or deletes) the base's
                    j += 1
                    if delta.change(at: j - 1) == .delete { continue }
                    candidate = (true, j - 1)
                }
                if let upper, (candidate.fromDelta ? delta : base).compare(candidate.index, with: upper) > 0 {
                    i = base.count
                    j = delta.count
                    return nil
                }
                return candidate
            }
            return nil
        }

        mutating func next() throws(BlockfileError) -> (key: BlockfileKey, value: Value)? {
            guard let (fromDelta, index) = advance() else { return nil }
            let block = fromDelta ? delta! : base
            return (block.key(at: index), try block.value(at: index))
        }

        /// Appends the next live entry to `batch` (no tuple per entry: a batch loop stays cheap even where the
        /// generic code is not specialised). Stops at the end, or before an entry whose prefix is not `prefix`.
        mutating func appendNext(to batch: inout BlockfileBatch<Value>, prefix: String?) throws(BlockfileError)
            -> AppendResult
        {
            guard let (fromDelta, index) = advance() else { return .end }
            let block = fromDelta ? delta! : base
            if let prefix, block.prefixes.compare(at: index, with: prefix) != 0 { return .prefixEnded }
            batch.keys.append(block.key(at: index))
            batch.values.append(try block.value(at: index))
            return .appended
        }

        mutating func nextKey() -> BlockfileKey? {
            guard let (fromDelta, index) = advance() else { return nil }
            return (fromDelta ? delta! : base).key(at: index)
        }
    }
}

/// What `BlockView.Cursor.appendNext` did.
enum AppendResult {
    case appended, end, prefixEnded
}
