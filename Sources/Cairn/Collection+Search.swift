// Chroma's Search API over a collection (issue 21; semantics in docs/search.md): the filter, each KNN term's list
// (the dense index and the log tail, as `query` searches them), the rank expression evaluated over those lists with
// Chroma's rules for records missing from a list, group-by, the page, and the keys asked for. Lower scores first.
import Blockfile
import Foundation

/// What one search returns: parallel arrays, one entry per record; a field not selected is nil.
public struct SearchResult: Sendable, Equatable {
    public var ids: [String] = []
    public var documents: [String?]?
    public var embeddings: [[Float]?]?
    public var metadatas: [Metadata?]?
    public var scores: [Float]?
    /// The selected keys, in Chroma's order (`SearchPayload.sortedSelect`).
    public var select: [String] = []
}

extension Collection {
    /// Runs each search over the collection's current state (every acknowledged write), in order.
    public func search(_ payloads: [SearchPayload]) async throws -> [SearchResult] {
        try await boundary {
            let reader = try await reader()
            var results: [SearchResult] = []
            for payload in payloads { results.append(try await search(payload, reader: reader)) }
            return results
        }
    }

    private func search(_ payload: SearchPayload, reader: CollectionReader) async throws -> SearchResult {
        // (A collection never written to answers nothing, as Chroma's does.)
        guard !payload.matchesNothing, reader.dimension != nil else {
            return SearchResult(select: payload.sortedSelect)
        }
        let filter = try RecordFilter(where: payload.filter, whereDocument: nil, configuration: configuration)
        let restrictedTo = payload.ids.map { Array($0).sorted() }
        guard let rank = payload.rank else {
            // No rank: the matching records in insertion order, scored by their place in the page.
            var records = try await reader.get(ids: restrictedTo, filter: filter, limit: nil, offset: 0)
            if !payload.excludedIDs.isEmpty { records.removeAll { payload.excludedIDs.contains($0.id) } }
            let page = Array(records.dropFirst(payload.offset).prefix(payload.limit ?? .max))
            return project(page, scores: page.indices.map { Float($0) }, payload)
        }

        // Each KNN term's list, in the order the expression names them.
        var lists: [[(key: SearchKey, value: Float)]] = []
        var sources: [SearchKey: CollectionReader.Source] = [:]
        var idOf: [SearchKey: String] = [:]
        for term in rank.knnTerms {
            let wanted = term.limit + payload.excludedIDs.count
            let hits: [CollectionReader.Hit]
            switch term.query {
            case .dense(let query):
                _ = try WriteValidation.embeddings([query], dimension: reader.dimension)
                hits = try await reader.query([query], k: wanted, ids: restrictedTo, filter: filter).first ?? []
            case .sparse(let indices, let values):
                guard let index = configuration.sparseIndex, index.key == term.key else {
                    throw CairnError.invalid(
                        "Cannot filter using metadata key '\(term.key)' with type 'SparseVector' because indexing is disabled"
                    )
                }
                let query: SparseVector
                do {
                    query = try SparseVector(indices: indices, values: values)
                } catch {
                    throw CairnError.invalid("Invalid sparse vector in KNN query: \(error.message)")
                }
                hits = try await reader.sparseQuery(
                    query, key: term.key, bm25: index.bm25, k: wanted, ids: restrictedTo, filter: filter)
            }
            var list: [(key: SearchKey, value: Float)] = []
            let records = payload.excludedIDs.isEmpty ? nil : try await reader.records(for: hits.map(\.source))
            for (index, hit) in hits.enumerated() {
                if let records, payload.excludedIDs.contains(records[index].id) { continue }
                guard list.count < term.limit else { break }
                let key = SearchKey(hit.source)
                sources[key] = hit.source
                if let records { idOf[key] = records[index].id }
                list.append((key, term.returnRank ? Float(list.count) : hit.distance))
            }
            lists.append(list)
        }
        var next = 0
        let domain = SearchDomain.evaluate(rank, lists: lists, next: &next)
        var ranked = domain.support.map { (key: $0.key, score: $0.value) }
        ranked.sort { SearchDomain.precedes(($0.score, $0.key), ($1.score, $1.key)) }

        var records: [SearchKey: DataRecord] = [:]
        func load(_ keys: [SearchKey]) async throws {
            let missing = keys.filter { records[$0] == nil }
            for (key, record) in zip(missing, try await reader.records(for: missing.map { sources[$0]! })) {
                records[key] = record
            }
        }
        if let groupBy = payload.groupBy {
            try await load(ranked.map(\.key))
            ranked = SearchDomain.grouped(ranked, by: groupBy) { records[$0]?.userMetadataOrNil }
        }
        let page = Array(ranked.dropFirst(payload.offset).prefix(payload.limit ?? .max))
        try await load(page.map(\.key))
        return project(page.map { records[$0.key]! }, scores: page.map(\.score), payload)
    }

    /// The selected fields of `records`.
    private func project(_ records: [DataRecord], scores: [Float], _ payload: SearchPayload) -> SearchResult {
        var result = SearchResult(select: payload.sortedSelect)
        result.ids = records.map(\.id)
        let select = payload.select
        if select.contains("#document") { result.documents = records.map(\.document) }
        if select.contains("#embedding") { result.embeddings = records.map(\.embedding) }
        if select.contains("#score") { result.scores = scores }
        let fields = select.subtracting(["#document", "#embedding", "#metadata", "#score"])
        if select.contains("#metadata") || !fields.isEmpty {
            result.metadatas = records.map { record in
                guard var metadata = record.userMetadataOrNil else { return nil }
                if !select.contains("#metadata") { metadata = metadata.filter { fields.contains($0.key) } }
                return metadata.isEmpty ? nil : metadata
            }
        }
        return result
    }
}

/// A record as the search knows it: compacted records by offset id, then the log tail's by slot (the tie-break
/// order: insertion order, as far as the two parts go).
struct SearchKey: Hashable, Comparable {
    let tail: Bool
    let number: UInt32

    init(_ source: CollectionReader.Source) {
        switch source {
        case .compacted(let offset): (tail, number) = (false, offset)
        case .tail(let slot): (tail, number) = (true, slot)
        }
    }

    static func < (a: SearchKey, b: SearchKey) -> Bool { (a.tail ? 1 : 0, a.number) < (b.tail ? 1 : 0, b.number) }
}

/// A rank expression's value over records: the records it has a value for, and the value of the others (none: they
/// drop out). Chroma's rules (docs/search.md): f32 arithmetic; merging two domains keeps the union when both have a
/// default, one side's records when only the other has one, and the intersection when neither does.
struct SearchDomain {
    var support: [SearchKey: Float]
    var defaultValue: Float?

    static func evaluate(
        _ expression: RankExpression, lists: [[(key: SearchKey, value: Float)]], next: inout Int
    ) -> SearchDomain {
        switch expression {
        case .value(let value):
            return SearchDomain(support: [:], defaultValue: value)
        case .knn(let term):
            let list = next < lists.count ? lists[next] : []
            next += 1
            return SearchDomain(
                support: Dictionary(list.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }),
                defaultValue: term.defaultValue)
        case .sum(let parts): return fold(parts, 0, lists, &next, +)
        case .product(let parts): return fold(parts, 1, lists, &next, *)
        case .maximum(let parts): return fold(parts, -Float.greatestFiniteMagnitude, lists, &next) { Swift.max($0, $1) }
        case .minimum(let parts): return fold(parts, Float.greatestFiniteMagnitude, lists, &next) { Swift.min($0, $1) }
        case .difference(let left, let right):
            let l = evaluate(left, lists: lists, next: &next)
            return merge(l, evaluate(right, lists: lists, next: &next), -)
        case .quotient(let left, let right):
            let l = evaluate(left, lists: lists, next: &next)
            return merge(l, evaluate(right, lists: lists, next: &next), /)
        case .absolute(let inner): return evaluate(inner, lists: lists, next: &next).map { Swift.abs($0) }
        case .exponential(let inner):
            return evaluate(inner, lists: lists, next: &next).map { Float(Foundation.exp(Double($0))) }
        case .logarithm(let inner):
            return evaluate(inner, lists: lists, next: &next).map { Float(Foundation.log(Double($0))) }
        }
    }

    private static func fold(
        _ parts: [RankExpression], _ identity: Float, _ lists: [[(key: SearchKey, value: Float)]], _ next: inout Int,
        _ op: (Float, Float) -> Float
    ) -> SearchDomain {
        var result = SearchDomain(support: [:], defaultValue: identity)
        for part in parts { result = merge(result, evaluate(part, lists: lists, next: &next), op) }
        return result
    }

    private func map(_ transform: (Float) -> Float) -> SearchDomain {
        SearchDomain(support: support.mapValues(transform), defaultValue: defaultValue.map(transform))
    }

    static func merge(_ l: SearchDomain, _ r: SearchDomain, _ op: (Float, Float) -> Float) -> SearchDomain {
        switch (l.defaultValue, r.defaultValue) {
        case (let dl?, let dr?):
            var support: [SearchKey: Float] = [:]
            for key in Set(l.support.keys).union(r.support.keys) {
                support[key] = op(l.support[key] ?? dl, r.support[key] ?? dr)
            }
            return SearchDomain(support: support, defaultValue: op(dl, dr))
        case (let dl?, nil):
            var support: [SearchKey: Float] = [:]
            for (key, value) in r.support { support[key] = op(l.support[key] ?? dl, value) }
            return SearchDomain(support: support, defaultValue: nil)
        case (nil, let dr?):
            var support: [SearchKey: Float] = [:]
            for (key, value) in l.support { support[key] = op(value, r.support[key] ?? dr) }
            return SearchDomain(support: support, defaultValue: nil)
        case (nil, nil):
            var support: [SearchKey: Float] = [:]
            for (key, value) in l.support { if let other = r.support[key] { support[key] = op(value, other) } }
            return SearchDomain(support: support, defaultValue: nil)
        }
    }

    /// Ascending score (NaN last), then insertion order.
    static func precedes(_ a: (Float, SearchKey), _ b: (Float, SearchKey)) -> Bool {
        switch (a.0.isNaN, b.0.isNaN) {
        case (false, false): return a.0 != b.0 ? a.0 < b.0 : a.1 < b.1
        case (true, true): return a.1 < b.1
        case (let aNaN, _): return !aNaN
        }
    }

    /// Group-by: groups of equal values of the keys (a missing key is null), the first `k` of each by the aggregate
    /// keys (min-k ascending, max-k descending; `#score` is the score), all kept records ranked again by score.
    static func grouped(
        _ ranked: [(key: SearchKey, score: Float)], by groupBy: SearchGroupBy, metadata: (SearchKey) -> Metadata?
    ) -> [(key: SearchKey, score: Float)] {
        var groups: [[GroupValue]: [(key: SearchKey, score: Float)]] = [:]
        for entry in ranked {
            let values = metadata(entry.key)
            groups[groupBy.keys.map { GroupValue(values?[$0]) }, default: []].append(entry)
        }
        var kept: [(key: SearchKey, score: Float)] = []
        for (_, members) in groups {
            let sorted = members.sorted { a, b in
                for key in groupBy.aggregateKeys {
                    let (x, y) =
                        key == "#score"
                        ? (GroupValue.float(Double(a.score)), GroupValue.float(Double(b.score)))
                        : (GroupValue(metadata(a.key)?[key]), GroupValue(metadata(b.key)?[key]))
                    if x != y { return groupBy.order == .minK ? x < y : y < x }
                }
                return a.key < b.key
            }
            kept += sorted.prefix(groupBy.k)
        }
        return kept.sorted { precedes(($0.score, $0.key), ($1.score, $1.key)) }
    }
}

/// A metadata value as group-by compares it: by type first (null < bool < int < float < string < arrays), then by
/// value; an int and a float are different groups, as in Chroma.
enum GroupValue: Hashable, Comparable {
    case null
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case array(String)

    init(_ value: MetadataValue?) {
        switch value {
        case nil: self = .null
        case .bool(let flag)?: self = .bool(flag)
        case .int(let number)?: self = .int(number)
        case .float(let number)?: self = .float(number)
        case .string(let text)?: self = .string(text)
        case let other?: self = .array(other.json.jsonText)
        }
    }

    private var rank: Int {
        switch self {
        case .null: 0
        case .bool: 1
        case .int: 2
        case .float: 3
        case .string: 4
        case .array: 5
        }
    }

    static func < (a: GroupValue, b: GroupValue) -> Bool {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return !x && y
        case (.int(let x), .int(let y)): return x < y
        case (.float(let x), .float(let y)): return x < y
        case (.string(let x), .string(let y)), (.array(let x), .array(let y)): return x < y
        default: return a.rank < b.rank
        }
    }
}

extension DataRecord {
    /// The user's metadata, nil when there is none (or it cannot be read).
    var userMetadataOrNil: Metadata? { (try? userMetadata) ?? nil }
}
