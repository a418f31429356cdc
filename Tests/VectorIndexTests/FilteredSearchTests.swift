// Filtered search: recall against exact search over the allowed set at every selectivity, for random and
// clustered filters, through each plan the planner can pick; deleted ids never returned.
import Testing

@testable import VectorIndex

@Suite("FilteredSearch")
struct FilteredSearchTests {
    static let data = Dataset(count: 4000, dimension: 16, clusters: 20, seed: 21)
    static let index: HNSWIndex = {
        // Test fixture: a failure here fails every test of the suite with the error.
        let index = try! HNSWIndex.create(dimension: 16, parameters: HNSWParameters(numThreads: 2), capacity: 4000)
        try! index.add(flat: data.vectors, ids: data.ids)
        return index
    }()

    enum Shape: String, CaseIterable { case random, clustered }

    static func allowed(_ shape: Shape, selectivity: Double, seed: UInt64) -> [OffsetID] {
        var rng = SeededGenerator(seed: seed)
        let target = max(1, Int(Double(data.count) * selectivity))
        switch shape {
        case .random:
            return Array(data.ids.shuffled(using: &rng).prefix(target)).sorted()
        case .clustered:
            // Whole clusters in a random order, then a prefix: the allowed vectors sit together in space.
            let order = (0..<20).shuffled(using: &rng)
            let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
            return Array(
                data.ids.sorted { (rank[data.cluster[Int($0)]]!, $0) < (rank[data.cluster[Int($1)]]!, $1) }
                    .prefix(target)
            ).sorted()
        }
    }

    func meanRecall(_ shape: Shape, selectivity: Double, planner: FilteredSearchPlanner = .default) throws
        -> (recall: Double, plans: Set<String>)
    {
        let allowed = Self.allowed(shape, selectivity: selectivity, seed: 22)
        let set = AllowedSet(allowed)
        var total = 0.0
        var plans: Set<String> = []
        let queries = Self.data.queries(40, seed: 23)
        for query in queries {
            let result = try Self.index.search(query, k: 10, allowed: set, planner: planner)
            #expect(result.neighbors.allSatisfy { set.contains($0.id) })
            #expect(result.neighbors.count == min(10, allowed.count))
            let truth = try Self.data.exact(query, k: 10, space: .l2, allowed: allowed)
            total += recall(result.neighbors, truth)
            plans.insert(String(describing: result.plan).components(separatedBy: "(")[0])
        }
        return (total / Double(queries.count), plans)
    }

    @Test(
        "recall@10 >= 0.99 at every selectivity with the default planner",
        arguments: Shape.allCases, [1.0, 0.5, 0.2, 0.1, 0.01, 0.001, 0.0005])
    func defaultPlanner(shape: Shape, selectivity: Double) throws {
        let (r, _) = try meanRecall(shape, selectivity: selectivity)
        #expect(r >= 0.99, "recall \(r) at \(selectivity) (\(shape))")
    }

    @Test("the filtered graph walk alone keeps recall at high selectivity (uncorrelated filter)")
    func graphOnly() throws {
        let shape = Shape.random
        // A planner that never chooses brute force (graph cost 0) and never gives up.
        let graph = FilteredSearchPlanner(graphDistanceCost: 1e-9, budgetFactor: 1e12, mismatchFraction: 0)
        for selectivity in [1.0, 0.5, 0.25] {
            let (r, plans) = try meanRecall(shape, selectivity: selectivity, planner: graph)
            #expect(plans == ["filtered-hnsw"])
            #expect(r >= 0.99, "graph recall \(r) at \(selectivity) (\(shape))")
        }
    }

    @Test("the planner scans small sets and walks the graph for large ones")
    func plannerChoices() {
        let planner = FilteredSearchPlanner.default
        #expect(planner.plan(allowed: 5, span: 100_000, total: 100_000, k: 10, baseEF: 100) == .bruteForce)
        #expect(planner.plan(allowed: 1000, span: 100_000, total: 100_000, k: 10, baseEF: 100) == .bruteForce)
        // 10% of the rows: scattered ids walk the graph, one consecutive run is cheaper to scan.
        #expect(planner.plan(allowed: 10_000, span: 10_000, total: 100_000, k: 10, baseEF: 100) == .bruteForce)
        if case .filteredGraph(let ef) = planner.plan(
            allowed: 10_000, span: 100_000, total: 100_000, k: 10, baseEF: 100)
        {
            #expect(ef > 100)
        } else {
            Issue.record("10% scattered selectivity should walk the graph")
        }
        if case .filteredGraph = planner.plan(allowed: 50_000, span: 100_000, total: 100_000, k: 10, baseEF: 100) {
        } else {
            Issue.record("50% selectivity should walk the graph")
        }
        // Search width grows as selectivity falls.
        #expect(
            planner.filteredEF(baseEF: 100, k: 10, selectivity: 0.25)
                > planner.filteredEF(baseEF: 100, k: 10, selectivity: 0.5))
    }

    @Test("a walk that exhausts its budget falls back to exact brute force")
    func budgetFallback() throws {
        let tiny = FilteredSearchPlanner(graphDistanceCost: 1e-9, distancesPerEF: 0.0001, budgetFactor: 1e-18)
        let allowed = Self.allowed(.clustered, selectivity: 0.3, seed: 24)
        let query = Self.data.queries(1, seed: 25)[0]
        let result = try Self.index.search(query, k: 10, allowed: AllowedSet(allowed), planner: tiny)
        guard case .graphFellBackToBruteForce = result.plan else {
            Issue.record("expected a fallback, got \(result.plan)")
            return
        }
        #expect(result.neighbors == (try Self.data.exact(query, k: 10, space: .l2, allowed: allowed)))
    }

    @Test("deleted ids never appear in filtered results, on either plan")
    func deletedExcluded() throws {
        let data = Dataset(count: 1500, dimension: 8, seed: 26)
        let index = try HNSWIndex.create(dimension: 8, capacity: 1500)
        try index.add(flat: data.vectors, ids: data.ids)
        let deleted = Set(data.ids.filter { $0 % 2 == 1 })
        try index.markDeleted(Array(deleted))
        let allowedAll = AllowedSet(data.ids)
        let allowedFew = AllowedSet(data.ids.prefix(40))
        let graph = FilteredSearchPlanner(graphDistanceCost: 1e-9, budgetFactor: 1e12, mismatchFraction: 0)
        for query in data.queries(20, seed: 27) {
            for (set, planner) in [(allowedAll, graph), (allowedAll, .default), (allowedFew, .default)] {
                let found = try index.search(query, k: 10, allowed: set, planner: planner).neighbors
                #expect(!found.isEmpty)
                #expect(found.allSatisfy { !deleted.contains($0.id) && set.contains($0.id) })
            }
        }
    }

    @Test("a filter correlated with the query is detected and answered exactly")
    func correlatedFilterFallsBack() throws {
        // Allowed: the clusters the queries do not come from; the walk starts where nothing is allowed.
        let planner = FilteredSearchPlanner(graphDistanceCost: 1e-9, budgetFactor: 1e12)
        let queries = Self.data.queries(20, seed: 29)
        var fellBack = 0
        for query in queries {
            let nearest = try Self.data.exact(query, k: 1, space: .l2)[0].id
            let home = Self.data.cluster[Int(nearest)]
            let allowed = Self.data.ids.filter {
                Self.data.cluster[Int($0)] != home && Self.data.cluster[Int($0)] % 2 == 0
            }
            let result = try Self.index.search(query, k: 10, allowed: AllowedSet(allowed), planner: planner)
            if case .graphFellBackToBruteForce = result.plan { fellBack += 1 }
            #expect(recall(result.neighbors, try Self.data.exact(query, k: 10, space: .l2, allowed: allowed)) >= 0.99)
        }
        #expect(fellBack > 0)
    }

    @Test("an empty or absent allowed set returns nothing")
    func emptyAllowed() throws {
        let query = Self.data.queries(1, seed: 28)[0]
        #expect(try Self.index.search(query, k: 10, allowed: AllowedSet([])).neighbors.isEmpty)
        #expect(try Self.index.search(query, k: 10, allowed: AllowedSet([999_999])).neighbors.isEmpty)
    }
}
