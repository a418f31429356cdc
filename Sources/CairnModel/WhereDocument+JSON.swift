// Parsing Chroma's JSON `where_document` into WhereDocument with the checks and messages of chromadb's
// validate_where_document, and writing it back as JSON.
import CairnJSON

extension WhereDocument {
    /// Parses and validates, e.g. `{"$and": [{"$contains": "rock"}, {"$not_regex": "^B"}]}`. Regular expressions
    /// are compiled once here so a bad one is refused up front.
    public init(json: JSONValue) throws(ValidationError) {
        guard case .object(let members) = json else {
            throw documentError("Expected where document to be a dictionary, got \(json.pythonRepr)")
        }
        guard members.count == 1, let (op, operand) = members.first else {
            throw documentError("Expected where document to have exactly one operator, got \(json.pythonRepr)")
        }
        switch op {
        case "$and", "$or":
            guard case .array(let elements) = operand else {
                throw documentError(
                    "Expected document value for $and or $or to be a list of where document expressions, got \(operand.pythonRepr)"
                )
            }
            guard elements.count > 1 else {
                throw documentError(
                    "Expected document value for $and or $or to be a list with at least two where document expressions, got \(operand.pythonRepr)"
                )
            }
            var children: [WhereDocument] = []
            for element in elements { children.append(try WhereDocument(json: element)) }
            self = op == "$and" ? .and(children) : .or(children)
        case "$contains", "$not_contains", "$regex", "$not_regex":
            guard case .string(let text) = operand else {
                throw documentError(
                    "Expected where document operand value for operator \(op) to be a str, got \(operand.pythonRepr)")
            }
            guard !text.isEmpty else {
                throw documentError("Expected where document operand value for operator \(op) to be a non-empty str")
            }
            switch op {
            case "$contains": self = .contains(text)
            case "$not_contains": self = .notContains(text)
            case "$regex":
                _ = try compileRegex(text)
                self = .regex(text)
            default:
                _ = try compileRegex(text)
                self = .notRegex(text)
            }
        default:
            throw documentError(
                "Expected where document operator to be one of $contains, $not_contains, $regex, $not_regex, $and, $or, got \(op)"
            )
        }
    }

    public init(jsonText: String) throws(ValidationError) {
        try self.init(json: try parseJSONForValidation(jsonText))
    }

    public var json: JSONValue {
        switch self {
        case .contains(let text): return ["$contains": .string(text)]
        case .notContains(let text): return ["$not_contains": .string(text)]
        case .regex(let pattern): return ["$regex": .string(pattern)]
        case .notRegex(let pattern): return ["$not_regex": .string(pattern)]
        case .and(let children): return ["$and": .array(children.map(\.json))]
        case .or(let children): return ["$or": .array(children.map(\.json))]
        }
    }

    /// Checks a WhereDocument built in Swift against the rules `init(json:)` enforces.
    public func validate() throws(ValidationError) {
        _ = try WhereDocument(json: json)
    }
}

private func documentError(_ message: String) -> ValidationError {
    ValidationError(.invalidWhereDocument, message)
}
