// A document filter (Chroma's `where_document`): the AST, parsing with Chroma's messages, and evaluation on one
// document. $contains is a case-sensitive substring test; $regex uses Swift's Regex (unanchored, on Unicode scalars).
import CairnJSON

/// A document filter. `.contains("rock")`, `.regex("^Intro")`, `.and([...])`, or `WhereDocument(json:)`.
public indirect enum WhereDocument: Sendable, Hashable {
    case contains(String)
    case notContains(String)
    case regex(String)
    case notRegex(String)
    case and([WhereDocument])
    case or([WhereDocument])
}

extension WhereDocument {
    /// Whether a record with this document (nil: none) matches. Compiles regular expressions on every call: for
    /// many documents use `compiled()` once.
    public func matches(document: String?) -> Bool {
        guard let matcher = try? compiled() else { return false }
        return matcher.matches(document: document)
    }

    /// The filter with its regular expressions compiled; throws if one does not compile.
    public func compiled() throws(ValidationError) -> CompiledWhereDocument {
        try CompiledWhereDocument(self)
    }

    /// Every regular expression in the filter, for validation.
    var patterns: [String] {
        switch self {
        case .contains, .notContains: return []
        case .regex(let p), .notRegex(let p): return [p]
        case .and(let children), .or(let children): return children.flatMap(\.patterns)
        }
    }
}

/// A WhereDocument ready to evaluate on many documents. Swift's `Regex` is not Sendable, so this type is not either:
/// make one per task.
public struct CompiledWhereDocument {
    indirect enum Node {
        case contains(String)
        case notContains(String)
        case regex(Regex<AnyRegexOutput>)
        case notRegex(Regex<AnyRegexOutput>)
        case and([Node])
        case or([Node])
    }

    let root: Node

    public init(_ filter: WhereDocument) throws(ValidationError) {
        root = try CompiledWhereDocument.compile(filter)
    }

    static func compile(_ filter: WhereDocument) throws(ValidationError) -> Node {
        switch filter {
        case .contains(let text): return .contains(text)
        case .notContains(let text): return .notContains(text)
        case .regex(let pattern): return .regex(try compileRegex(pattern))
        case .notRegex(let pattern): return .notRegex(try compileRegex(pattern))
        case .and(let children):
            var nodes: [Node] = []
            for child in children { nodes.append(try compile(child)) }
            return .and(nodes)
        case .or(let children):
            var nodes: [Node] = []
            for child in children { nodes.append(try compile(child)) }
            return .or(nodes)
        }
    }

    public func matches(document: String?) -> Bool {
        CompiledWhereDocument.evaluate(root, document)
    }

    private static func evaluate(_ node: Node, _ document: String?) -> Bool {
        switch node {
        case .contains(let text): return document.map { substring(text, in: $0) } ?? false
        case .notContains(let text): return !(document.map { substring(text, in: $0) } ?? false)
        case .regex(let regex): return document.map { (try? regex.firstMatch(in: $0)) != nil } ?? false
        case .notRegex(let regex): return !(document.map { (try? regex.firstMatch(in: $0)) != nil } ?? false)
        case .and(let children): return children.allSatisfy { evaluate($0, document) }
        case .or(let children): return children.contains { evaluate($0, document) }
        }
    }
}

/// Byte-wise substring test on UTF-8 (as Rust's `str::contains`): no Unicode normalisation, case-sensitive.
package func substring(_ needle: String, in haystack: String) -> Bool {
    var needle = needle
    var haystack = haystack
    return needle.withUTF8 { n in
        haystack.withUTF8 { h in
            if n.isEmpty { return true }
            if n.count > h.count { return false }
            guard let first = n.first else { return true }
            let last = h.count - n.count
            var i = 0
            while i <= last {
                if h[i] == first {
                    var j = 1
                    while j < n.count && h[i + j] == n[j] { j += 1 }
                    if j == n.count { return true }
                }
                i += 1
            }
            return false
        }
    }
}

package func compileRegex(_ pattern: String) throws(ValidationError) -> Regex<AnyRegexOutput> {
    do {
        return try Regex(pattern).matchingSemantics(.unicodeScalar)
    } catch {
        throw ValidationError(
            .invalidWhereDocument, "Invalid regular expression \(JSONValue.pythonString(pattern)): \(error)")
    }
}
