// Exact top-k of sparse dot products over posting lists, skipping what cannot make the top k (decision 0022):
// document-at-a-time MaxScore (Turtle & Flood, 1995) with block-max bounds (Ding & Suel, 2011). Dimensions are
// ordered by their upper bound; those whose bounds together cannot lift a record past the k-th best so far are
// "non-essential": records that hold only those are never visited, and a visited record stops collecting
// contributions as soon as its score plus the remaining blocks' bounds cannot reach the k-th. Values may be negative
// (a bound is the larger of weight × block max and weight × block min). Ties go to the lower offset id, as in an
// exhaustive scan.
import Segments

struct SparseTopK {
    /// Postings per block bound.
    static let blockSize = 64
    /// Bounds are inflated by this much (relative and absolute) so that float rounding never prunes a record whose
    /// exact sum would have reached the k-th.
    static let margin: Float = 1e-5

    /// A dimension's posting list with each block's largest and smallest value (computed once, when the list is
    /// loaded, and kept with it).
    struct Prepared: Sendable {
        let list: SparsePostingList
        let blockMax: [Float]
        let blockMin: [Float]

        init(_ list: SparsePostingList) {
            self.list = list
            var (highs, lows): ([Float], [Float]) = ([], [])
            for start in stride(from: 0, to: list.values.count, by: SparseTopK.blockSize) {
                let block = list.values[start..<min(list.values.count, start + SparseTopK.blockSize)]
                highs.append(block.max() ?? 0)
                lows.append(block.min() ?? 0)
            }
            (blockMax, blockMin) = (highs, lows)
        }
    }

    /// One query dimension: its weight and its postings; a block's bound is what any record in it can add (never
    /// below 0: a record without the dimension adds nothing).
    struct Term {
        let weight: Float
        let postings: Prepared
        let upper: Float
        var list: SparsePostingList { postings.list }

        init(weight: Float, postings: Prepared) {
            self.weight = weight
            self.postings = postings
            var upper: Float = 0
            for block in postings.blockMax.indices {
                upper = max(upper, weight * postings.blockMax[block], weight * postings.blockMin[block])
            }
            self.upper = SparseTopK.inflate(upper)
        }

        /// The bound of the block holding the posting at `position`.
        func bound(at position: Int) -> Float {
            let block = position / SparseTopK.blockSize
            return SparseTopK.inflate(max(0, weight * postings.blockMax[block], weight * postings.blockMin[block]))
        }
    }

    static func inflate(_ bound: Float) -> Float { bound + abs(bound) * margin + margin }

    /// The `k` records with the largest dot products, largest first (ties: lower offset first), among those
    /// `accept` lets through. Records sharing no dimension with the query are never candidates.
    static func top(_ terms: [Term], k: Int, accept: (UInt32) -> Bool) -> [(offset: UInt32, dot: Float)] {
        var scored = 0
        return top(terms, k: k, accept: accept, scored: &scored)
    }

    /// `top`, counting in `scored` the postings whose values it read (what the bounds did not let it skip).
    static func top(_ terms: [Term], k: Int, accept: (UInt32) -> Bool, scored: inout Int)
        -> [(offset: UInt32, dot: Float)]
    {
        guard k > 0 else { return [] }
        let terms = terms.filter { !$0.list.offsets.isEmpty }.sorted { $0.upper < $1.upper }
        guard !terms.isEmpty else { return [] }
        // prefix[i]: the bounds of terms[0..<i] together.
        var prefix: [Float] = [0]
        for term in terms { prefix.append(prefix.last! + term.upper) }
        var cursors = [Int](repeating: 0, count: terms.count)
        var heap = TopHeap(capacity: k)
        var essential = 0  // terms[essential...] are essential

        while true {
            // The next record any essential term holds.
            var next = UInt32.max
            for i in essential..<terms.count where cursors[i] < terms[i].list.offsets.count {
                next = min(next, terms[i].list.offsets[cursors[i]])
            }
            guard next != UInt32.max else { break }
            var score: Float = 0
            for i in essential..<terms.count where cursors[i] < terms[i].list.offsets.count {
                if terms[i].list.offsets[cursors[i]] == next {
                    score += terms[i].weight * terms[i].list.values[cursors[i]]
                    cursors[i] += 1
                    scored += 1
                }
            }
            guard accept(next) else { continue }
            // Non-essential terms, largest bound first: stop once even their block bounds cannot reach the k-th.
            var pruned = false
            if essential > 0 {
                var positions = [Int](repeating: 0, count: essential)
                var blockPrefix: [Float] = [0]
                for i in 0..<essential {
                    positions[i] = Self.seek(terms[i].list.offsets, next, from: cursors[i])
                    cursors[i] = positions[i]
                    let bound = positions[i] < terms[i].list.offsets.count ? terms[i].bound(at: positions[i]) : 0
                    blockPrefix.append(blockPrefix.last! + bound)
                }
                for i in stride(from: essential - 1, through: 0, by: -1) {
                    if heap.isFull, score + blockPrefix[i + 1] <= heap.threshold {
                        pruned = true
                        break
                    }
                    let position = positions[i]
                    if position < terms[i].list.offsets.count, terms[i].list.offsets[position] == next {
                        score += terms[i].weight * terms[i].list.values[position]
                        scored += 1
                    }
                }
            }
            guard !pruned, heap.offer(offset: next, dot: score) else { continue }
            // The k-th rose: more terms may become non-essential.
            while essential < terms.count, heap.isFull, prefix[essential + 1] <= heap.threshold { essential += 1 }
        }
        return heap.sorted()
    }

    /// Where the ascending `offsets` hold `target`, if they do.
    static func position(of target: UInt32, in offsets: [UInt32]) -> Int? {
        let position = seek(offsets, target, from: 0)
        return position < offsets.count && offsets[position] == target ? position : nil
    }

    /// The first position at or after `from` whose offset is at least `target` (galloping, then binary search).
    static func seek(_ offsets: [UInt32], _ target: UInt32, from: Int) -> Int {
        var low = from
        var step = 1
        var high = from
        while high < offsets.count, offsets[high] < target {
            low = high + 1
            high += step
            step *= 2
        }
        high = min(high, offsets.count)
        while low < high {
            let middle = (low + high) / 2
            if offsets[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// The best `capacity` (offset, dot) pairs seen: a binary min-heap on (dot, then higher offset is worse).
struct TopHeap {
    let capacity: Int
    private var items: [(offset: UInt32, dot: Float)] = []

    init(capacity: Int) { self.capacity = capacity }

    var isFull: Bool { items.count >= capacity }
    /// The k-th best dot (only meaningful when full).
    var threshold: Float { items.first?.dot ?? -.infinity }

    /// Whether `a` ranks below `b`.
    private static func worse(_ a: (offset: UInt32, dot: Float), _ b: (offset: UInt32, dot: Float)) -> Bool {
        a.dot < b.dot || (a.dot == b.dot && a.offset > b.offset)
    }

    /// Keeps the pair if it ranks among the best; returns whether the heap's worst changed.
    mutating func offer(offset: UInt32, dot: Float) -> Bool {
        let item = (offset: offset, dot: dot)
        if items.count < capacity {
            items.append(item)
            siftUp(items.count - 1)
            return items.count == capacity
        }
        guard Self.worse(items[0], item) else { return false }
        items[0] = item
        siftDown(0)
        return true
    }

    func sorted() -> [(offset: UInt32, dot: Float)] {
        items.sorted { Self.worse($1, $0) }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.worse(items[child], items[parent]) else { return }
            items.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var worst = parent
            if left < items.count, Self.worse(items[left], items[worst]) { worst = left }
            if right < items.count, Self.worse(items[right], items[worst]) { worst = right }
            guard worst != parent else { return }
            items.swapAt(parent, worst)
            parent = worst
        }
    }
}
