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
    /// The graph walk stopped early — its distance budget ran out, or the query's neighbourhood held far
    /// fewer allowed nodes than the filter's selectivity (a filter correlated with the query) — and the
    /// query was answered exactly by brute force instead.
    case graphFellBackToBruteForce(ef: Int)

    public var description: String {
        switch self {
        case .bruteForce: return "brute-force"
        case .filteredGraph(let ef): return "filtered-hnsw(ef=\(ef))"
        case .graphFellBackToBruteForce(let ef): return "filtered-hnsw(ef=\(ef))->brute-force"
        }
    }
}

/// A cost model in units of "one brute-force distance over consecutive stored vectors".
public struct FilteredSearchPlanner: Sendable, Hashable {
    /// Cost of one graph distance (random access, heap and visited-list work) in brute-force units.
    public var graphDistanceCost: Double
    /// Distance computations of an unfiltered walk per unit of search width (~14 at M=16 here).
    public var distancesPerEF: Double
    /// Extra walk work as selectivity `s` falls: the walk costs `1 + filterOverhead × (1/s − 1)` unfiltered
    /// walks (it passes through disallowed nodes to reach allowed ones).
    public var filterOverhead: Double
    /// Extra cost of a brute-force distance when the allowed ids are scattered (a cache miss per vector):
    /// a scan costs `1 + scatterPenalty × (1 − density)` units per vector, density = count / id span.
    public var scatterPenalty: Double
    /// Search width multiplier as selectivity falls: `ef × (1/s)^efExponent`.
    public var efExponent: Double
    /// Upper bound of the raised search width.
    public var maxEF: Int
    /// A graph walk may spend this many times the brute-force cost (in distances) before it scans instead.
    public var budgetFactor: Double
    /// Allowed ids (spread over the set) that seed the walk besides the graph's entry point, so that allowed
    /// regions far from the query's own neighbourhood are reached.
    public var seedCount: Int
    /// The walk gives up for an exact scan when, among its first 256 nodes, the allowed fraction is below
    /// `mismatchFraction × selectivity` (0 disables the check).
    public var mismatchFraction: Double

    public init(
        graphDistanceCost: Double = 6, distancesPerEF: Double = 14, filterOverhead: Double = 0.05,
        scatterPenalty: Double = 3.5, efExponent: Double = 0.1, maxEF: Int = 2000, budgetFactor: Double = 2,
        seedCount: Int = 256, mismatchFraction: Double = 0.25
    ) {
        self.graphDistanceCost = graphDistanceCost
        self.distancesPerEF = distancesPerEF
        self.filterOverhead = filterOverhead
        self.scatterPenalty = scatterPenalty
        self.efExponent = efExponent
        self.maxEF = maxEF
        self.budgetFactor = budgetFactor
        self.seedCount = seedCount
        self.mismatchFraction = mismatchFraction
    }

    public static let `default` = FilteredSearchPlanner()

    /// The search width for selectivity `selectivity` (0 < s ≤ 1).
    public func filteredEF(baseEF: Int, k: Int, selectivity: Double) -> Int {
        let s = min(1, max(selectivity, 1e-9))
        let raised = Double(max(baseEF, k)) * Foundation.pow(1 / s, efExponent)
        return min(maxEF, max(k, Int(raised.rounded(.up))))
    }

    /// Estimated cost of a filtered graph walk of width `ef`.
    public func graphCost(ef: Int, selectivity: Double) -> Double {
        let s = min(1, max(selectivity, 1e-9))
        return graphDistanceCost * distancesPerEF * Double(ef) * (1 + filterOverhead * (1 / s - 1))
    }

    /// Estimated cost of scanning `allowed` vectors whose ids cover `span` consecutive ids.
    public func bruteForceCost(allowed: Int, span: Int) -> Double {
        let density = span > 0 ? min(1, Double(allowed) / Double(span)) : 1
        return Double(allowed) * (1 + scatterPenalty * (1 - density))
    }

    /// The plan for `allowed` allowed vectors (ids spread over `span`) among `total` live ones.
    public func plan(allowed: Int, span: Int, total: Int, k: Int, baseEF: Int) -> SearchPlan {
        guard allowed > 0, total > 0 else { return .bruteForce }
        if allowed <= k { return .bruteForce }
        let s = min(1, Double(allowed) / Double(total))
        let ef = filteredEF(baseEF: baseEF, k: k, selectivity: s)
        return bruteForceCost(allowed: allowed, span: span) <= graphCost(ef: ef, selectivity: s)
            ? .bruteForce : .filteredGraph(ef: ef)
    }

    /// Distance computations a graph walk may spend before falling back (never below two unfiltered walks).
    public func budget(allowed: Int, span: Int, ef: Int) -> Int {
        let scan = min(budgetFactor * bruteForceCost(allowed: allowed, span: span) / graphDistanceCost, 1e15)
        let walk = min(distancesPerEF * Double(ef) * 2, 1e15)
        return max(Int(scan), Int(walk), 1)
    }
}
