// Offset id → current version of a SPANN index (high bit: deleted), as every query reads it once per posting entry:
// a dense array indexed by offset id while ids are dense (they are given out in order and never reused: 4 bytes an
// id, no hashing), a dictionary if deletes and sweeps ever leave them sparse.
import VectorIndex

struct VersionTable: Sendable {
    /// Indexed by offset id; 0 = absent (a version is at least 1).
    private var dense: [UInt32] = []
    private var sparse: [OffsetID: UInt32]?
    /// Ids present (deleted ones included).
    private(set) var count = 0

    init() {}

    subscript(id: OffsetID) -> UInt32? {
        get {
            if let sparse { return sparse[id] }
            let index = Int(id)
            guard index < dense.count else { return nil }
            let version = dense[index]
            return version == 0 ? nil : version
        }
        set {
            let old = self[id]
            count += (newValue == nil ? 0 : 1) - (old == nil ? 0 : 1)
            if sparse != nil {
                sparse![id] = newValue
                return
            }
            let index = Int(id)
            if index >= dense.count {
                guard let newValue else { return }
                // Dense while the ids are: past four times the entries (and 64k), a dictionary holds them instead.
                guard index < 4 * (count + 1) + 65_536 else {
                    var table: [OffsetID: UInt32] = [:]
                    table.reserveCapacity(count)
                    for (i, version) in dense.enumerated() where version != 0 { table[OffsetID(i)] = version }
                    table[id] = newValue
                    sparse = table
                    dense = []
                    return
                }
                dense.append(contentsOf: repeatElement(0, count: max(index + 1, dense.count * 3 / 2) - dense.count))
            }
            dense[index] = newValue ?? 0
        }
    }

    /// Ids whose version `isIncluded` accepts (no array of entries made).
    func count(where isIncluded: (UInt32) -> Bool) -> Int {
        if let sparse { return sparse.values.reduce(0) { $0 + (isIncluded($1) ? 1 : 0) } }
        return dense.reduce(0) { $0 + ($1 != 0 && isIncluded($1) ? 1 : 0) }
    }

    /// Every (offset id, version), in no particular order.
    var entries: [(id: OffsetID, version: UInt32)] {
        if let sparse { return sparse.map { ($0.key, $0.value) } }
        var all: [(id: OffsetID, version: UInt32)] = []
        all.reserveCapacity(count)
        for (i, version) in dense.enumerated() where version != 0 { all.append((OffsetID(i), version)) }
        return all
    }

    /// Bytes held.
    var memoryBytes: Int { sparse.map { $0.capacity * 16 } ?? dense.capacity * MemoryLayout<UInt32>.stride }
}
