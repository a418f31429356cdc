// Chooses how to answer a k-NN query restricted to an allowed set: exact brute force over the allowed
// vectors, or a graph walk that only returns allowed nodes with a search width raised as the set shrinks.
// The reasoning and the measurements behind the constants: docs/decisions/0011-filtered-search-planner.md.
import Foundation

/// How a filtered query was (or will be) answered.
public enum SearchPlan: Sendable, Hashable, CustomStringConvertible {
    /// Exact scan of the allowed vectors.
    case bruteForce
    /// Graph walk with search width `ef`, returning only allowed nodes.
    case filteredGraph(ef: Int)
    /// The graph walk hit its distance budget (the allowed nodes were hard to reach) and the query was
    /// answered by brute force instead.
    case graphFellBackToBruteForce(ef: Int)

    public var description: String {
        switch self {
        case .bruteForce: return "brute-force"
        case .filteredGraph(let ef): return "filtered-hnsw(ef=\(ef))"
        case .graphFellBackToBruteForce(let ef): return "filtered-hnsw(ef=\(ef))->brute-force"
        }
    }
}

/// A cost model in units of "one brute-force distance" (a sequential SIMD distance over a stored vector).
public struct FilteredSearchPlanner: Sendable, Hashable {
    /// Cost of one graph distance relative to one brute-force distance (random memory access, heap work).
    public var graphDistanceCost: Double
    /// Distance computations of an unfiltered walk, per unit of search width (measured: ~12–16 at M=16).
    public var distancesPerEF: Double
    /// Search width multiplier as selectivity `s` falls: `ef × (1/s)^efExponent`.
    public var efExponent: Double
    /// Upper bound of the raised search width.
    public var maxEF: Int
    /// A graph walk may spend this many times the brute-force cost before it gives up and scans instead.
    public var budgetFactor: Double
    /// Allowed ids (spread over the set) that seed the walk besides the graph's entry point, so that allowed
    /// regions far from the query's own neighbourhood are reached (clustered filters).
    public var seedCount: Int

    public init(
        graphDistanceCost: Double = 2.0, distancesPerEF: Double = 14, efExponent: Double = 0.5, maxEF: Int = 2000,
        budgetFactor: Double = 1.0, seedCount: Int = 256
    ) {
        self.graphDistanceCost = graphDistanceCost
        self.distancesPerEF = distancesPerEF
        self.efExponent = efExponent
        self.maxEF = maxEF
        self.budgetFactor = budgetFactor
        self.seedCount = seedCount
    }

    public static let `default` = FilteredSearchPlanner()

    /// The search width for selectivity `selectivity` (0 < s ≤ 1).
    public func filteredEF(baseEF: Int, k: Int, selectivity: Double) -> Int {
        let s = min(1, max(selectivity, 1e-9))
        let raised = Double(max(baseEF, k)) * Foundation.pow(1 / s, efExponent)
        return min(maxEF, max(k, Int(raised.rounded(.up))))
    }

    /// Estimated cost of a filtered graph walk: a walk of width `ef` visits about `distancesPerEF × ef` nodes,
    /// of which a fraction `s` is allowed, so it needs about 1/s times as many to fill its result set.
    public func graphCost(ef: Int, selectivity: Double) -> Double {
        graphDistanceCost * distancesPerEF * Double(ef) / max(selectivity, 1e-9)
    }

    /// The plan for `allowed` allowed vectors among `total` live ones.
    public func plan(allowed: Int, total: Int, k: Int, baseEF: Int) -> SearchPlan {
        guard allowed > 0, total > 0 else { return .bruteForce }
        if allowed <= k { return .bruteForce }
        let s = min(1, Double(allowed) / Double(total))
        let ef = filteredEF(baseEF: baseEF, k: k, selectivity: s)
        return Double(allowed) <= graphCost(ef: ef, selectivity: s) ? .bruteForce : .filteredGraph(ef: ef)
    }

    /// Distance computations a graph walk may spend before falling back (never below one full walk).
    public func budget(allowed: Int, ef: Int) -> Int {
        let scan = min(budgetFactor * Double(allowed) / graphDistanceCost, 1e15)
        let walk = min(distancesPerEF * Double(ef) * 2, 1e15)
        return max(Int(scan), Int(walk), 1)
    }
}

