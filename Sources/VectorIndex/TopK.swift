// A bounded max-heap that keeps the k nearest candidates seen so far (the selection step of brute force, filtered
// HNSW searches and SPANN's posting scans).

/// Keeps the `k` smallest distances; ties keep the earlier id. `O(log k)` per accepted candidate.
public struct TopK: Sendable {
    @usableFromInline var distances: [Float]
    @usableFromInline var ids: [OffsetID]
    @usableFromInline let k: Int

    public init(k: Int) {
        self.k = k
        distances = []
        ids = []
        distances.reserveCapacity(k)
        ids.reserveCapacity(k)
    }

    /// The distance a candidate must beat to enter (infinity until full).
    @inlinable
    public var threshold: Float { distances.count < k ? .infinity : distances[0] }

    /// Candidates kept so far (at most `k`).
    public var count: Int { distances.count }

    /// Inserts a candidate unless `id` is kept already: for sources that hold one vector several times (a SPANN
    /// index's replicas, each at the same distance). The check costs `O(k)`, only for candidates that would enter.
    @inlinable
    public mutating func insertOnce(_ id: OffsetID, _ distance: Float) {
        guard distance < threshold, !ids.contains(id) else { return }
        insert(id, distance)
    }

    @inlinable
    public mutating func insert(_ id: OffsetID, _ distance: Float) {
        if distances.count < k {
            distances.append(distance)
            ids.append(id)
            siftUp(distances.count - 1)
        } else if distance < distances[0] {
            distances[0] = distance
            ids[0] = id
            siftDown(0)
        }
    }

    @inlinable
    mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard distances[child] > distances[parent] else { break }
            distances.swapAt(child, parent)
            ids.swapAt(child, parent)
            child = parent
        }
    }

    @inlinable
    mutating func siftDown(_ start: Int) {
        var parent = start
        let count = distances.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var largest = left
            if left + 1 < count, distances[left + 1] > distances[left] { largest = left + 1 }
            guard distances[largest] > distances[parent] else { break }
            distances.swapAt(largest, parent)
            ids.swapAt(largest, parent)
            parent = largest
        }
    }

    /// The kept candidates, nearest first (ties by id).
    public func sorted() -> [Neighbor] {
        zip(ids, distances).map { Neighbor(id: $0.0, distance: $0.1) }
            .sorted { $0.distance < $1.distance || ($0.distance == $1.distance && $0.id < $1.id) }
    }
}
