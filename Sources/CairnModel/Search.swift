// Chroma's Search API (hybrid search, issue 21): one search as the official client serialises it — a filter, a rank
// expression over KNN terms, a group-by, a page and the keys to return — parsed and validated from its JSON with
// Chroma's rules. Semantics in docs/search.md; evaluation in Cairn's `Collection.search`.
import CairnJSON

/// A vector a KNN term searches with.
public enum KnnQuery: Sendable, Hashable {
    case dense([Float])
    /// A sparse vector (`{"#type": "sparse_vector", "indices": [...], "values": [...]}`), for a sparse index key.
    case sparse(indices: [UInt32], values: [Float])
}

/// One KNN term of a rank expression: the `limit` nearest records, each valued at its distance (or its 0-based
/// position with `returnRank`); records outside the list take `defaultValue`, or drop out when it is nil.
public struct KnnTerm: Sendable, Hashable {
    public var query: KnnQuery
    public var key: String
    public var limit: Int
    public var defaultValue: Float?
    public var returnRank: Bool

    public init(
        query: KnnQuery, key: String = "#embedding", limit: Int = 16, defaultValue: Float? = nil,
        returnRank: Bool = false
    ) {
        self.query = query
        self.key = key
        self.limit = limit
        self.defaultValue = defaultValue
        self.returnRank = returnRank
    }
}

/// A rank expression (lower scores rank first). Chroma's client expands `Rrf` into these operators.
public indirect enum RankExpression: Sendable, Hashable {
    case value(Float)
    case knn(KnnTerm)
    case sum([RankExpression])
    case product([RankExpression])
    case maximum([RankExpression])
    case minimum([RankExpression])
    case difference(RankExpression, RankExpression)
    case quotient(RankExpression, RankExpression)
    case absolute(RankExpression)
    case exponential(RankExpression)
    case logarithm(RankExpression)

    /// The KNN terms, depth first and left to right (the order they are evaluated in).
    public var knnTerms: [KnnTerm] {
        switch self {
        case .value: return []
        case .knn(let term): return [term]
        case .sum(let parts), .product(let parts), .maximum(let parts), .minimum(let parts):
            return parts.flatMap(\.knnTerms)
        case .difference(let left, let right), .quotient(let left, let right):
            return left.knnTerms + right.knnTerms
        case .absolute(let inner), .exponential(let inner), .logarithm(let inner):
            return inner.knnTerms
        }
    }
}

/// Group-by: records grouped by the values of `keys`; in each group the first `k` by the aggregate keys are kept
/// (ascending for min-k, descending for max-k; `#score` is a record's score).
public struct SearchGroupBy: Sendable, Hashable {
    public enum Order: Sendable, Hashable { case minK, maxK }
    public var keys: [String]
    public var order: Order
    public var aggregateKeys: [String]
    public var k: Int

    public init(keys: [String], order: Order, aggregateKeys: [String], k: Int) {
        self.keys = keys
        self.order = order
        self.aggregateKeys = aggregateKeys
        self.k = k
    }
}

/// One search of a request.
public struct SearchPayload: Sendable, Hashable {
    /// The metadata/document filter (Chroma's `where`, `#document` conditions included).
    public var filter: Where?
    /// `#id` conditions of the filter (at its top level or directly in its top-level `$and`): ids the records
    /// must have (nil: any) and ids they must not.
    public var ids: Set<String>?
    public var excludedIDs: Set<String> = []
    /// True for a filter that can match nothing (an empty `$or`).
    public var matchesNothing = false
    public var rank: RankExpression?
    public var groupBy: SearchGroupBy?
    public var offset: Int = 0
    public var limit: Int?
    /// Keys to return: `#document`, `#embedding`, `#metadata`, `#score`, or metadata field names.
    public var select: Set<String> = []

    public init(
        filter: Where? = nil, rank: RankExpression? = nil, groupBy: SearchGroupBy? = nil, offset: Int = 0,
        limit: Int? = nil, select: Set<String> = []
    ) {
        self.filter = filter
        self.rank = rank
        self.groupBy = groupBy
        self.offset = offset
        self.limit = limit
        self.select = select
    }

    /// The select keys in the order Chroma echoes them: `#document`, `#embedding`, `#metadata`, `#score`, then field
    /// names in byte order.
    public var sortedSelect: [String] {
        let fixed = ["#document", "#embedding", "#metadata", "#score"].filter { select.contains($0) }
        let fields = select.subtracting(fixed).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return fixed + fields
    }
}

/// Why a search request was refused: `deserialize` where Chroma's server fails to read the JSON into its types
/// (HTTP 422), `invalid` where it reads it and refuses it (HTTP 400). `path` is where, e.g. `searches[0].rank`.
public struct SearchRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable { case deserialize, invalid }
    public var kind: Kind
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

extension SearchPayload {
    /// Parses one element of a request's `searches`, as Chroma's server reads it (`index` names it in errors).
    public init(json: JSONValue, index: Int) throws(SearchRequestError) {
        let path = "searches[\(index)]"
        guard case .object(let members) = json else {
            throw SearchRequestError(
                kind: .deserialize, path: path, message: "invalid type: expected struct SearchPayload")
        }
        self.init()
        if let filter = members["filter"], filter != .null, filter != .object([:]) {
            try parseFilter(filter, path: path + ".filter")
        }
        if let rank = members["rank"], rank != .null {
            self.rank = try RankExpression(json: rank, path: path + ".rank")
        }
        if let groupBy = members["group_by"], groupBy != .null {
            self.groupBy = try SearchGroupBy.parse(groupBy, path: path + ".group_by")
        }
        if let limit = members["limit"], limit != .null {
            guard case .object(let page) = limit else {
                throw SearchRequestError(kind: .deserialize, path: path + ".limit", message: "expected an object")
            }
            offset = try Self.unsigned(page["offset"], path: path + ".limit.offset") ?? 0
            self.limit = try Self.unsigned(page["limit"], path: path + ".limit.limit")
        }
        if let select = members["select"], select != .null {
            guard case .object(let object) = select else {
                throw SearchRequestError(kind: .deserialize, path: path + ".select", message: "expected an object")
            }
            if let keys = object["keys"], keys != .null {
                guard case .array(let values) = keys else {
                    throw SearchRequestError(
                        kind: .deserialize, path: path + ".select.keys", message: "expected a list")
                }
                for value in values {
                    guard case .string(let key) = value else {
                        throw SearchRequestError(
                            kind: .deserialize, path: path + ".select.keys",
                            message: "expected a string, got \(value.jsonText)")
                    }
                    self.select.insert(key)
                }
            }
        }
        if groupBy != nil, rank == nil {
            throw SearchRequestError(
                kind: .invalid, path: path + ".__all__", message: "group_by requires rank expression to be specified")
        }
    }

    static func unsigned(_ value: JSONValue?, path: String) throws(SearchRequestError) -> Int? {
        switch value {
        case nil, .null?: return nil
        case .int(let number)? where number >= 0 && number <= Int64(UInt32.max): return Int(number)
        case let other?:
            throw SearchRequestError(
                kind: .deserialize, path: path, message: "invalid value: \(other.jsonText), expected u32")
        }
    }

    /// The filter: `#id` conditions at the top level or directly inside the top-level `$and` become `ids` and
    /// `excludedIDs`; the rest is Chroma's `where`. (An empty `$and` matches everything, an empty `$or` nothing.)
    mutating func parseFilter(_ json: JSONValue, path: String) throws(SearchRequestError) {
        var conditions: [JSONValue]
        if case .object(let members) = json, members.count == 1, case .array(let children)? = members["$and"] {
            conditions = children
        } else if case .object(let members) = json, members.count == 1, case .array(let children)? = members["$or"],
            children.isEmpty
        {
            matchesNothing = true
            return
        } else {
            conditions = [json]
        }
        var rest: [JSONValue] = []
        for condition in conditions {
            guard case .object(let members) = condition, members.count == 1, let expression = members["#id"] else {
                rest.append(condition)
                continue
            }
            try applyIDCondition(expression, path: path)
        }
        guard !rest.isEmpty else { return }
        if containsIDCondition(rest) {
            throw SearchRequestError(
                kind: .invalid, path: path,
                message: "Cairn takes #id conditions at the top level of a search filter or directly in its $and")
        }
        do {
            filter = try Where(json: rest.count == 1 ? rest[0] : .object(["$and": .array(rest)]))
        } catch {
            throw SearchRequestError(kind: .deserialize, path: path, message: "Invalid where clause: \(error.message)")
        }
    }

    private func containsIDCondition(_ values: [JSONValue]) -> Bool {
        values.contains { value in
            switch value {
            case .object(let members): return members["#id"] != nil || containsIDCondition(Array(members.values))
            case .array(let elements): return containsIDCondition(elements)
            default: return false
            }
        }
    }

    private mutating func applyIDCondition(_ expression: JSONValue, path: String) throws(SearchRequestError) {
        func strings(_ value: JSONValue) throws(SearchRequestError) -> [String] {
            switch value {
            case .string(let id): return [id]
            case .array(let elements) where !elements.isEmpty:
                var ids: [String] = []
                for element in elements {
                    guard case .string(let id) = element else {
                        throw SearchRequestError(kind: .deserialize, path: path, message: "Invalid where clause")
                    }
                    ids.append(id)
                }
                return ids
            default: throw SearchRequestError(kind: .deserialize, path: path, message: "Invalid where clause")
            }
        }
        let (op, operand): (String, JSONValue)
        switch expression {
        case .string: (op, operand) = ("$eq", expression)
        case .object(let members) where members.count == 1: (op, operand) = (members.keys.first!, members.values.first!)
        default: throw SearchRequestError(kind: .deserialize, path: path, message: "Invalid where clause")
        }
        switch op {
        case "$eq", "$in":
            let wanted = Set(try strings(operand))
            ids = ids.map { $0.intersection(wanted) } ?? wanted
        case "$ne", "$nin":
            excludedIDs.formUnion(try strings(operand))
        default:
            throw SearchRequestError(kind: .deserialize, path: path, message: "Invalid where clause")
        }
    }
}

extension RankExpression {
    /// Parses Chroma's externally tagged rank JSON (`{"$knn": {...}}`, `{"$sum": [...]}`, …).
    public init(json: JSONValue, path: String) throws(SearchRequestError) {
        let operators = "`$abs`, `$div`, `$exp`, `$knn`, `$log`, `$max`, `$min`, `$mul`, `$sub`, `$sum`, `$val`"
        guard case .object(let members) = json, members.count == 1, let (op, body) = members.first else {
            throw SearchRequestError(
                kind: .deserialize, path: path, message: "expected an object with one of \(operators)")
        }
        func list() throws(SearchRequestError) -> [RankExpression] {
            guard case .array(let elements) = body else {
                throw SearchRequestError(kind: .deserialize, path: path, message: "\(op) expects a list of ranks")
            }
            var parts: [RankExpression] = []
            for (index, element) in elements.enumerated() {
                parts.append(try RankExpression(json: element, path: "\(path).\(op)[\(index)]"))
            }
            return parts
        }
        func pair() throws(SearchRequestError) -> (RankExpression, RankExpression) {
            guard case .object(let sides) = body, let left = sides["left"], let right = sides["right"] else {
                throw SearchRequestError(
                    kind: .deserialize, path: path, message: "\(op) expects an object with left and right")
            }
            return (
                try RankExpression(json: left, path: path + ".left"),
                try RankExpression(json: right, path: path + ".right")
            )
        }
        switch op {
        case "$val":
            guard let number = body.floatValue else {
                throw SearchRequestError(kind: .deserialize, path: path, message: "$val expects a number")
            }
            self = .value(number)
        case "$knn": self = .knn(try KnnTerm(json: body, path: path + ".$knn"))
        case "$sum": self = .sum(try list())
        case "$mul": self = .product(try list())
        case "$max": self = .maximum(try list())
        case "$min": self = .minimum(try list())
        case "$sub":
            let (left, right) = try pair()
            self = .difference(left, right)
        case "$div":
            let (left, right) = try pair()
            self = .quotient(left, right)
        case "$abs": self = .absolute(try RankExpression(json: body, path: path + ".$abs"))
        case "$exp": self = .exponential(try RankExpression(json: body, path: path + ".$exp"))
        case "$log": self = .logarithm(try RankExpression(json: body, path: path + ".$log"))
        default:
            throw SearchRequestError(
                kind: .deserialize, path: path, message: "unknown variant `\(op)`, expected one of \(operators)")
        }
    }
}

extension KnnTerm {
    init(json: JSONValue, path: String) throws(SearchRequestError) {
        guard case .object(let members) = json else {
            throw SearchRequestError(kind: .deserialize, path: path, message: "expected an object")
        }
        guard let query = members["query"] else {
            throw SearchRequestError(kind: .deserialize, path: path, message: "missing field `query`")
        }
        switch query {
        case .array(let values):
            var vector: [Float] = []
            vector.reserveCapacity(values.count)
            for value in values {
                guard let number = value.floatValue else {
                    throw SearchRequestError(
                        kind: .deserialize, path: path + ".query",
                        message: "data did not match any variant of untagged enum QueryVector")
                }
                vector.append(number)
            }
            self.init(query: .dense(vector))
        case .object(let object):
            self.init(query: try Self.sparse(object, path: path + ".query"))
        default:
            throw SearchRequestError(
                kind: .deserialize, path: path + ".query",
                message: "data did not match any variant of untagged enum QueryVector")
        }
        if let key = members["key"], key != .null {
            guard case .string(let name) = key else {
                throw SearchRequestError(kind: .deserialize, path: path + ".key", message: "expected a string")
            }
            self.key = name
        }
        if let limit = try SearchPayload.unsigned(members["limit"], path: path + ".limit") { self.limit = limit }
        if let value = members["default"], value != .null {
            guard let number = value.floatValue else {
                throw SearchRequestError(kind: .deserialize, path: path + ".default", message: "expected a number")
            }
            defaultValue = number
        }
        if let flag = members["return_rank"], flag != .null {
            guard case .bool(let returnRank) = flag else {
                throw SearchRequestError(kind: .deserialize, path: path + ".return_rank", message: "expected a bool")
            }
            self.returnRank = returnRank
        }
    }

    /// A sparse query, checked as Chroma checks it (same lengths, indices strictly ascending).
    static func sparse(_ object: [String: JSONValue], path: String) throws(SearchRequestError) -> KnnQuery {
        if let type = object["#type"], type != .string("sparse_vector") {
            throw SearchRequestError(
                kind: .deserialize, path: path, message: "Expected #type='sparse_vector', got '\(type.jsonText)'")
        }
        guard case .array(let indexValues)? = object["indices"], case .array(let valueValues)? = object["values"] else {
            throw SearchRequestError(
                kind: .deserialize, path: path, message: "data did not match any variant of untagged enum QueryVector")
        }
        var indices: [UInt32] = []
        var values: [Float] = []
        for value in indexValues {
            guard case .int(let index) = value, index >= 0, index <= Int64(UInt32.max) else {
                throw SearchRequestError(kind: .deserialize, path: path, message: "sparse indices must be u32")
            }
            indices.append(UInt32(index))
        }
        for value in valueValues {
            guard let number = value.floatValue else {
                throw SearchRequestError(kind: .deserialize, path: path, message: "sparse values must be numbers")
            }
            values.append(number)
        }
        guard indices.count == values.count else {
            throw SearchRequestError(
                kind: .invalid, path: path,
                message:
                    "Invalid sparse vector in KNN query: Sparse vector indices, values, and tokens (when present) must have the same length"
            )
        }
        guard zip(indices, indices.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw SearchRequestError(
                kind: .invalid, path: path,
                message:
                    "Invalid sparse vector in KNN query: Sparse vector indices must be sorted in strictly ascending order (no duplicates)"
            )
        }
        return .sparse(indices: indices, values: values)
    }
}

extension SearchGroupBy {
    /// Nil for `{}` (no grouping).
    static func parse(_ json: JSONValue, path: String) throws(SearchRequestError) -> SearchGroupBy? {
        guard case .object(let members) = json else {
            throw SearchRequestError(kind: .deserialize, path: path, message: "expected an object")
        }
        let keysValue = members["keys"].flatMap { $0 == .null ? nil : $0 }
        let aggregateValue = members["aggregate"].flatMap { $0 == .null ? nil : $0 }
        if keysValue == nil, aggregateValue == nil { return nil }
        guard let keysValue, let aggregateValue else {
            throw SearchRequestError(
                kind: .invalid, path: path,
                message: "group_by keys and aggregate must both be specified or both be omitted")
        }
        let keys = try strings(keysValue, path: path + ".keys")
        if keys.isEmpty { return nil }
        let reserved: Set<String> = ["#document", "#embedding", "#metadata", "#score"]
        guard !keys.contains(where: reserved.contains) else {
            throw SearchRequestError(
                kind: .invalid, path: path,
                message:
                    "group_by keys must be metadata fields (cannot use #score, #document, #embedding, or #metadata)")
        }
        guard case .object(let aggregate) = aggregateValue, aggregate.count == 1,
            let (op, body) = aggregate.first, op == "$min_k" || op == "$max_k", case .object(let fields) = body
        else {
            throw SearchRequestError(
                kind: .deserialize, path: path + ".aggregate", message: "expected `$min_k` or `$max_k`")
        }
        let aggregateKeys = try strings(fields["keys"] ?? .array([]), path: path + ".aggregate.keys")
        guard !aggregateKeys.isEmpty else {
            throw SearchRequestError(kind: .invalid, path: path, message: "aggregate keys must not be empty")
        }
        guard !aggregateKeys.contains(where: { $0 != "#score" && reserved.contains($0) }) else {
            throw SearchRequestError(
                kind: .invalid, path: path,
                message:
                    "aggregate keys must be metadata fields or #score (cannot use #document, #embedding, or #metadata)")
        }
        guard let k = try SearchPayload.unsigned(fields["k"], path: path + ".aggregate.k") else {
            throw SearchRequestError(kind: .deserialize, path: path + ".aggregate", message: "missing field `k`")
        }
        guard k > 0 else {
            throw SearchRequestError(kind: .invalid, path: path, message: "aggregate k must be greater than 0")
        }
        return SearchGroupBy(keys: keys, order: op == "$min_k" ? .minK : .maxK, aggregateKeys: aggregateKeys, k: k)
    }

    private static func strings(_ value: JSONValue, path: String) throws(SearchRequestError) -> [String] {
        guard case .array(let elements) = value else {
            throw SearchRequestError(kind: .deserialize, path: path, message: "expected a list of strings")
        }
        var result: [String] = []
        for element in elements {
            guard case .string(let text) = element else {
                throw SearchRequestError(kind: .deserialize, path: path, message: "expected a list of strings")
            }
            result.append(text)
        }
        return result
    }
}

extension JSONValue {
    /// A JSON number as a Float (ints included); nil for anything else.
    fileprivate var floatValue: Float? { numberValue.map { Float($0) } }
}
