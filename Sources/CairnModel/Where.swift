// A metadata filter (Chroma's `where`): the AST, Swift-friendly constructors, parsing from JSON with Chroma's
// validation messages, and evaluation on one record's metadata (what brute force over the log tail uses).

/// A metadata filter. Build one in Swift (`.field("cat", .eq(3))`, `.and([...])`) or parse Chroma's JSON form
/// with `Where(json:)`.
public indirect enum Where: Sendable, Hashable {
    case field(String, FieldCondition)
    case and([Where])
    case or([Where])
    /// A condition on the record's document inside a `where` (Chroma's `{"#document": {"$contains": …}}`):
    /// `$contains`, `$not_contains`, `$regex` or `$not_regex`, combinable with metadata conditions.
    case document(WhereDocument)
}

/// A condition on one metadata field. Semantics (see docs/filters.md):
/// - `eq`/`ne`/`in`/`nin`/`gt`/`gte`/`lt`/`lte` look at scalar values only; ints and floats compare as numbers
///   (exactly, 2 == 2.0, 3 > 2.5), strings and bools only with their own type; a list-valued field never equals.
/// - `ne`, `nin` and `notContains` are the complements of `eq`, `in` and `contains`: a record without the key (or
///   without metadata) matches them.
/// - `contains`/`notContains` look inside list values, with the element's exact type (an int never matches a
///   float list).
public enum FieldCondition: Sendable, Hashable {
    case eq(MetadataValue)
    case ne(MetadataValue)
    case gt(MetadataValue)
    case gte(MetadataValue)
    case lt(MetadataValue)
    case lte(MetadataValue)
    case `in`([MetadataValue])
    case nin([MetadataValue])
    case contains(MetadataValue)
    case notContains(MetadataValue)

    /// The Chroma operator name ("$eq", ...).
    public var operatorName: String {
        switch self {
        case .eq: return "$eq"
        case .ne: return "$ne"
        case .gt: return "$gt"
        case .gte: return "$gte"
        case .lt: return "$lt"
        case .lte: return "$lte"
        case .in: return "$in"
        case .nin: return "$nin"
        case .contains: return "$contains"
        case .notContains: return "$not_contains"
        }
    }
}

// MARK: Evaluation

extension Where {
    /// Whether a record with this metadata (nil: none) matches; `document` answers the `#document` conditions
    /// for the same record (by default none matches).
    public func matches(_ metadata: Metadata?, document: (WhereDocument) -> Bool = { _ in false }) -> Bool {
        switch self {
        case .field(let key, let condition): return condition.matches(metadata?[key])
        case .and(let children): return children.allSatisfy { $0.matches(metadata, document: document) }
        case .or(let children): return children.contains { $0.matches(metadata, document: document) }
        case .document(let filter): return document(filter)
        }
    }

    /// The `#document` conditions anywhere in the filter.
    public var documentConditions: [WhereDocument] {
        switch self {
        case .field: return []
        case .and(let children), .or(let children): return children.flatMap(\.documentConditions)
        case .document(let filter): return [filter]
        }
    }
}

extension FieldCondition {
    /// Whether a field with this value (nil: the record lacks the key) satisfies the condition.
    public func matches(_ value: MetadataValue?) -> Bool {
        switch self {
        case .eq(let operand): return value.map { scalarEquals($0, operand) } ?? false
        case .ne(let operand): return !(value.map { scalarEquals($0, operand) } ?? false)
        case .gt(let operand): return order(value, operand).map { $0 > 0 } ?? false
        case .gte(let operand): return order(value, operand).map { $0 >= 0 } ?? false
        case .lt(let operand): return order(value, operand).map { $0 < 0 } ?? false
        case .lte(let operand): return order(value, operand).map { $0 <= 0 } ?? false
        case .in(let operands):
            guard let value else { return false }
            return operands.contains { scalarEquals(value, $0) }
        case .nin(let operands):
            guard let value else { return true }
            return !operands.contains { scalarEquals(value, $0) }
        case .contains(let operand): return value.map { listContains($0, operand) } ?? false
        case .notContains(let operand): return !(value.map { listContains($0, operand) } ?? false)
        }
    }
}

/// Range operators compare numbers only (Chroma refuses other operands); anything else matches nothing.
private func order(_ value: MetadataValue?, _ operand: MetadataValue) -> Int? {
    guard let value else { return nil }
    return numericOrder(value, operand)
}

/// Equality of a scalar field value with a scalar operand: numbers across int/float, others by type.
func scalarEquals(_ value: MetadataValue, _ operand: MetadataValue) -> Bool {
    switch (value, operand) {
    case (.string(let a), .string(let b)): return a == b
    case (.bool(let a), .bool(let b)): return a == b
    case (.int, .int), (.int, .float), (.float, .int), (.float, .float): return numericOrder(value, operand) == 0
    default: return false
    }
}

/// `contains` on a list value: an element of exactly the operand's type and value.
func listContains(_ value: MetadataValue, _ operand: MetadataValue) -> Bool {
    switch (value, operand) {
    case (.stringArray(let elements), .string(let x)): return elements.contains(x)
    case (.intArray(let elements), .int(let x)): return elements.contains(x)
    case (.floatArray(let elements), .float(let x)): return elements.contains(x)
    case (.boolArray(let elements), .bool(let x)): return elements.contains(x)
    default: return false
    }
}

/// -1, 0 or 1 comparing two numbers exactly (an Int64 is never rounded to a Double); nil if either is not a number.
func numericOrder(_ a: MetadataValue, _ b: MetadataValue) -> Int? {
    switch (a, b) {
    case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
    case (.float(let x), .float(let y)): return x < y ? -1 : (x == y ? 0 : 1)
    case (.int(let x), .float(let y)): return compareExactly(x, y)
    case (.float(let x), .int(let y)): return compareExactly(y, x).map { -$0 }
    default: return nil
    }
}

/// Compares an Int64 with a finite Double without rounding either; nil for NaN.
package func compareExactly(_ integer: Int64, _ double: Double) -> Int? {
    if double.isNaN { return nil }
    // 2^63 is exactly representable; every Int64 is below it and at or above -2^63.
    if double >= 9_223_372_036_854_775_808.0 { return -1 }
    if double < -9_223_372_036_854_775_808.0 { return 1 }
    let floor = double.rounded(.down)
    let whole = Int64(floor)  // exact: |floor| < 2^63
    if integer < whole { return -1 }
    if integer > whole { return 1 }
    return floor == double ? 0 : -1
}

// MARK: Swift-friendly constructors

extension Where {
    /// `.field(key, .eq(value))`
    public static func eq(_ key: String, _ value: MetadataValue) -> Where { .field(key, .eq(value)) }
    public static func ne(_ key: String, _ value: MetadataValue) -> Where { .field(key, .ne(value)) }
    public static func gt(_ key: String, _ value: MetadataValue) -> Where { .field(key, .gt(value)) }
    public static func gte(_ key: String, _ value: MetadataValue) -> Where { .field(key, .gte(value)) }
    public static func lt(_ key: String, _ value: MetadataValue) -> Where { .field(key, .lt(value)) }
    public static func lte(_ key: String, _ value: MetadataValue) -> Where { .field(key, .lte(value)) }
    public static func isIn(_ key: String, _ values: [MetadataValue]) -> Where { .field(key, .in(values)) }
    public static func notIn(_ key: String, _ values: [MetadataValue]) -> Where { .field(key, .nin(values)) }
}
