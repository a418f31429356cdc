// Parsing Chroma's JSON `where` into Where, with the checks and messages of chromadb's validate_where, and writing a
// Where back as JSON.
import CairnJSON

extension Where {
    /// Parses and validates Chroma's JSON form, e.g. `{"$and": [{"cat": 3}, {"price": {"$lt": 9.5}}]}`.
    public init(json: JSONValue) throws(ValidationError) {
        guard case .object(let members) = json else {
            throw whereError("Expected where to be a dict, got \(json.pythonRepr)")
        }
        guard members.count == 1, let (key, value) = members.first else {
            throw whereError("Expected where to have exactly one operator, got \(json.pythonRepr)")
        }
        if key == "$contains" || key == "$not_contains" {
            throw whereError(
                "Expected where key to be a metadata field name or a logical operator ($and, $or), got \(key)", key: key
            )
        }
        if key == "$and" || key == "$or" {
            guard case .array(let elements) = value else {
                throw whereError(
                    "Expected where value for $and or $or to be a list of where expressions, got \(value.pythonRepr)")
            }
            // Chroma's server takes one child too (its Python client asks for two; the server is the reference).
            guard !elements.isEmpty else {
                throw whereError(
                    "Expected where value for $and or $or to be a non-empty list of where expressions, got \(value.pythonRepr)"
                )
            }
            var children: [Where] = []
            children.reserveCapacity(elements.count)
            for element in elements { children.append(try Where(json: element)) }
            self = key == "$and" ? .and(children) : .or(children)
            return
        }
        if key == "#document" {
            // As Chroma's server: the full-text operators work on the document; others are metadata comparisons on
            // a key whose index is disabled. Other keys starting with '#' are metadata keys no record has.
            guard case .object(let expression) = value, expression.count == 1, let op = expression.keys.first,
                ["$contains", "$not_contains", "$regex", "$not_regex"].contains(op)
            else {
                throw whereError(
                    "Cannot filter using metadata key '#document' with type 'Str' because indexing is disabled",
                    key: key)
            }
            do {
                self = .document(try WhereDocument(json: value))
            } catch {
                throw whereError(error.message, key: key)
            }
            return
        }
        switch value {
        case .string, .int, .double, .bool:
            self = .field(key, .eq(try scalarOperand(value, key: key, op: "$eq")))
        case .object(let expression):
            self = .field(key, try FieldCondition(expression: expression, original: value, key: key))
        case .null, .array:
            throw whereError(
                "Expected where value to be a str, int, float, or operator expression, got \(value.pythonRepr)",
                key: key)
        }
    }

    /// Parses JSON text (see `init(json:)`).
    public init(jsonText: String) throws(ValidationError) {
        try self.init(json: try parseJSONForValidation(jsonText))
    }

    /// Chroma's JSON form: `{"key": {"$op": operand}}`, `{"$and": [...]}`.
    public var json: JSONValue {
        switch self {
        case .field(let key, let condition):
            return .object([key: .object([condition.operatorName: condition.operandJSON])])
        case .and(let children): return .object(["$and": .array(children.map(\.json))])
        case .or(let children): return .object(["$or": .array(children.map(\.json))])
        case .document(let filter): return .object(["#document": filter.json])
        }
    }

    /// Checks a Where built in Swift against the rules `init(json:)` enforces (e.g. `$gt` needs a number,
    /// `$and` at least two children), so both ways in refuse the same filters.
    public func validate() throws(ValidationError) {
        _ = try Where(json: json)
    }
}

extension FieldCondition {
    init(expression: [String: JSONValue], original: JSONValue, key: String) throws(ValidationError) {
        guard expression.count == 1, let (op, operand) = expression.first else {
            throw whereError(
                "Expected operator expression to have exactly one operator, got \(original.pythonRepr)", key: key)
        }
        switch op {
        case "$gt", "$gte", "$lt", "$lte":
            let number: MetadataValue
            switch operand {
            case .int(let value): number = .int(value)
            case .double(let value) where value.isFinite: number = .float(value)
            default:
                throw whereError(
                    "Expected operand value to be an int or a float for operator \(op), got \(operand.pythonRepr)",
                    key: key)
            }
            switch op {
            case "$gt": self = .gt(number)
            case "$gte": self = .gte(number)
            case "$lt": self = .lt(number)
            default: self = .lte(number)
            }
        case "$in", "$nin":
            guard case .array(let elements) = operand else {
                throw whereError(
                    "Expected operand value to be an list for operator \(op), got \(operand.pythonRepr)", key: key)
            }
            let values = try listOperand(elements, original: operand, key: key)
            self = op == "$in" ? .in(values) : .nin(values)
        case "$contains", "$not_contains":
            guard operand.isScalar else {
                throw whereError(
                    "Expected operand value to be a str, int, float, or bool for operator \(op), got \(operand.pythonRepr)",
                    key: key)
            }
            let value = try scalarOperand(operand, key: key, op: op)
            self = op == "$contains" ? .contains(value) : .notContains(value)
        case "$eq", "$ne":
            if case .array = operand {
                throw whereError(
                    "Expected operand value to be a str, int, float, or bool for operator \(op), got \(operand.pythonRepr)",
                    key: key)
            }
            let value = try scalarOperand(operand, key: key, op: op)
            self = op == "$eq" ? .eq(value) : .ne(value)
        default:
            throw whereError(
                "Expected where operator to be one of $gt, $gte, $lt, $lte, $ne, $eq, $in, $nin, $contains, $not_contains, got \(op)",
                key: key)
        }
    }

    var operandJSON: JSONValue {
        switch self {
        case .eq(let v), .ne(let v), .gt(let v), .gte(let v), .lt(let v), .lte(let v), .contains(let v),
            .notContains(let v):
            return v.json
        case .in(let values), .nin(let values): return .array(values.map(\.json))
        }
    }
}

private func scalarOperand(_ operand: JSONValue, key: String, op: String) throws(ValidationError) -> MetadataValue {
    switch operand {
    case .string(let value): return .string(value)
    case .int(let value): return .int(value)
    case .double(let value) where value.isFinite: return .float(value)
    case .bool(let value): return .bool(value)
    default:
        throw whereError(
            "Expected where operand value to be a str, int, float, bool, or list of those type, got \(operand.pythonRepr)",
            key: key)
    }
}

/// `$in`/`$nin` operands: non-empty, all of one scalar type (Chroma: `isinstance(x, type(operand[0]))`).
private func listOperand(_ elements: [JSONValue], original: JSONValue, key: String) throws(ValidationError)
    -> [MetadataValue]
{
    let error = whereError(
        "Expected where operand value to be a non-empty list, and all values to be of the same type got \(original.pythonRepr)",
        key: key)
    guard let first = elements.first, first.isScalar else { throw error }
    var values: [MetadataValue] = []
    values.reserveCapacity(elements.count)
    for element in elements {
        guard element.pythonTypeName == first.pythonTypeName else { throw error }
        values.append(try scalarOperand(element, key: key, op: "$in"))
    }
    return values
}

extension JSONValue {
    /// A string, number or bool.
    var isScalar: Bool {
        switch self {
        case .string, .int, .double, .bool: return true
        case .null, .array, .object: return false
        }
    }
}

private func whereError(_ message: String, key: String? = nil) -> ValidationError {
    ValidationError(.invalidWhere, message, key: key)
}
