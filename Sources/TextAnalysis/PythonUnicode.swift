/// The character semantics of CPython 3.11 that Chroma's BM25 tokenizer relies on.
///
/// CPython 3.11 ships the Unicode 14.0 database while Swift's standard library carries a
/// newer one, so every property lookup treats scalars assigned after Unicode 14.0 as
/// unassigned, exactly as Python 3.11 does (not a word character, no case, no lowercase).
enum PythonUnicode {
    /// Whether CPython 3.11's Unicode 14.0 database knows the scalar.
    @inline(__always)
    static func isKnown(_ properties: Unicode.Scalar.Properties) -> Bool {
        guard let age = properties.age else { return false }
        return age.major < 14 || (age.major == 14 && age.minor == 0)
    }

    /// An ASCII byte that `re`'s `\w` matches: `[A-Za-z0-9_]`.
    @inline(__always)
    static func isASCIIWord(_ byte: UInt8) -> Bool {
        let folded = byte | 0x20
        return (folded >= 0x61 && folded <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F
    }

    /// Python's `\w` for a `str` pattern: `str.isalnum()` or `_`.
    ///
    /// `isalnum` is `isalpha` (general categories Lu, Ll, Lt, Lm, Lo) or any numeric type
    /// (decimal, digit, numeric — including the Unihan numeric values).
    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return isASCIIWord(UInt8(truncatingIfNeeded: scalar.value)) }
        let properties = scalar.properties
        guard isKnown(properties) else { return false }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return true
        default:
            return properties.numericType != nil
        }
    }

    /// Python's `str.isspace()`: bidirectional class WS, B or S, or general category Zs.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// The Cased property as CPython 3.11 sees it.
    static func isCased(_ scalar: Unicode.Scalar) -> Bool {
        // U+0295 LATIN LETTER PHARYNGEAL VOICED FRICATIVE was Ll (cased) in Unicode 14.0
        // and became Lo later.
        if scalar.value == 0x295 { return true }
        let properties = scalar.properties
        return isKnown(properties) && properties.isCased
    }

    /// The Case_Ignorable property as CPython 3.11 sees it.
    static func isCaseIgnorable(_ scalar: Unicode.Scalar) -> Bool {
        // U+1171E AHOM CONSONANT SIGN MEDIAL RA was Mn (case-ignorable) in Unicode 14.0 and
        // became Mc later.
        if scalar.value == 0x1171E { return true }
        let properties = scalar.properties
        return isKnown(properties) && properties.isCaseIgnorable
    }

    /// Appends Python's `str.lower()` of `scalars` to `output`.
    ///
    /// Full (one-to-many) lowercase mappings, plus the one context-sensitive rule Python
    /// applies: a capital sigma is lowered to final `ς` when a cased letter precedes it and
    /// none follows (case-ignorable characters skipped on both sides).
    static func appendLowercase(of scalars: [Unicode.Scalar], to output: inout [Unicode.Scalar]) {
        for position in scalars.indices {
            let scalar = scalars[position]
            if scalar.isASCII {
                let value = scalar.value
                output.append(value >= 0x41 && value <= 0x5A ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
            } else if scalar.value == 0x3A3 {
                output.append(isFinalSigma(in: scalars, at: position) ? "\u{3C2}" : "\u{3C3}")
            } else {
                let properties = scalar.properties
                if isKnown(properties) && properties.changesWhenLowercased {
                    output.append(contentsOf: properties.lowercaseMapping.unicodeScalars)
                } else {
                    output.append(scalar)
                }
            }
        }
    }

    /// Python's `str.lower()` of a whole string.
    static func lowercased(_ string: String) -> String {
        var lowered: [Unicode.Scalar] = []
        appendLowercase(of: Array(string.unicodeScalars), to: &lowered)
        var result = String.UnicodeScalarView()
        result.append(contentsOf: lowered)
        return String(result)
    }

    /// CPython's `handle_capital_sigma`: the Final_Sigma casing context.
    private static func isFinalSigma(in scalars: [Unicode.Scalar], at position: Int) -> Bool {
        var before = position - 1
        while before >= 0 && isCaseIgnorable(scalars[before]) { before -= 1 }
        guard before >= 0 && isCased(scalars[before]) else { return false }
        var after = position + 1
        while after < scalars.count && isCaseIgnorable(scalars[after]) { after += 1 }
        return after == scalars.count || !isCased(scalars[after])
    }
}
