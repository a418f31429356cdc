// Literal substrings that every match of a regular expression must contain, so $regex can take its candidates from
// the trigram index instead of reading every document. Deliberately conservative: anything it does not fully
// understand (alternation, flags, look-around, unusual escapes) yields fewer literals or none, never a wrong one.

package enum RegexLiterals {
    /// Characters that are literal when escaped with a backslash.
    private static let escapablePunctuation = Set("\\.+*?()|[]{}^$#&-~/ \"'!%,:;<=>@_`")
    /// Escapes that stand for one character of a class (break a literal run, nothing else).
    private static let classEscapes = Set("dDwWsSbBhHvVRN")

    /// Required literal runs of `pattern` (each a substring of every match), or [] when none can be proved.
    package static func required(_ pattern: String) -> [String] {
        // Flags ((?i) makes letters match either case), look-around, named groups: give up.
        if pattern.contains("(?") || pattern.contains("|") { return [] }
        let chars = Array(pattern)
        var runs: [String] = []
        var run = ""
        var i = 0

        func endRun() {
            if !run.isEmpty { runs.append(run) }
            run = ""
        }

        /// Skips a quantifier at `i` if there is one (with a lazy or possessive suffix); false if a '{' has no '}'.
        func skipQuantifier() -> Bool {
            guard i < chars.count else { return true }
            switch chars[i] {
            case "*", "?", "+": i += 1
            case "{":
                guard let close = chars[i...].firstIndex(of: "}") else { return false }
                i = close + 1
            default: return true
            }
            if i < chars.count, chars[i] == "?" || chars[i] == "+" { i += 1 }
            return true
        }

        while i < chars.count {
            let c = chars[i]
            switch c {
            case "\\":
                guard i + 1 < chars.count else { return [] }
                let next = chars[i + 1]
                i += 2
                if escapablePunctuation.contains(next) {
                    if i < chars.count, "*?+{".contains(chars[i]) {
                        endRun()
                        guard skipQuantifier() else { return runs }
                    } else {
                        run.append(next)
                    }
                } else if classEscapes.contains(next) {
                    endRun()
                    guard skipQuantifier() else { return runs }
                } else {
                    endRun()
                    return runs  // \x, \p{..}, \Q.., …: what came before is still required
                }
            case "[":
                endRun()
                // Skip the class: a ']' right after '[' or '[^' is literal; nested classes are not understood.
                var j = i + 1
                if j < chars.count, chars[j] == "^" { j += 1 }
                if j < chars.count, chars[j] == "]" { j += 1 }
                while j < chars.count, chars[j] != "]" {
                    if chars[j] == "[" { return runs }
                    if chars[j] == "\\" { j += 1 }
                    j += 1
                }
                guard j < chars.count else { return [] }
                i = j + 1
                guard skipQuantifier() else { return runs }
            case "(":
                endRun()
                var depth = 0
                var j = i
                while j < chars.count {
                    if chars[j] == "\\" {
                        j += 2
                        continue
                    }
                    if chars[j] == "(" { depth += 1 }
                    if chars[j] == ")" {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    j += 1
                }
                guard j < chars.count else { return [] }
                i = j + 1
                guard skipQuantifier() else { return runs }
            case ".", "^", "$":
                endRun()
                i += 1
                guard skipQuantifier() else { return runs }
            case "*", "+", "?", "{", ")", "]", "}":
                return []  // a quantifier or bracket where none can be: not understood
            default:
                i += 1
                if i < chars.count, "*?+{".contains(chars[i]) {
                    // The character repeats or may vanish: the run so far is required, this character is not.
                    endRun()
                    guard skipQuantifier() else { return runs }
                } else {
                    run.append(c)
                }
            }
        }
        endRun()
        return runs
    }
}
