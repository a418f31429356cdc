/// The Snowball English ("Porter2") stemmer, as released in Snowball 3.1.1 and shipped by
/// the `snowballstemmer` 3.1.1 Python package.
///
/// Words are processed code point by code point like the Python implementation. Only ASCII
/// letters and the apostrophe take part in the rules; any other scalar behaves as a
/// consonant that no rule ever matches, removes or moves. Input is expected in lowercase
/// (an uppercase `Y` is a consonant, as in Snowball).
public enum EnglishStemmer {
    /// Returns the Porter2 stem of `word`, equal to `snowballstemmer.stemmer("english").stemWord(word)`.
    public static func stem(_ word: String) -> String {
        var units: [UInt8] = []
        var others: [Unicode.Scalar] = []
        units.reserveCapacity(word.utf8.count)
        for scalar in word.unicodeScalars {
            if scalar.isASCII {
                units.append(UInt8(truncatingIfNeeded: scalar.value))
            } else {
                units.append(placeholder)
                others.append(scalar)
            }
        }
        stem(units: &units)
        if others.isEmpty { return String(decoding: units, as: UTF8.self) }
        var result = String.UnicodeScalarView()
        var next = others.makeIterator()
        for unit in units {
            if unit == placeholder {
                if let scalar = next.next() { result.append(scalar) }
            } else {
                result.append(Unicode.Scalar(unit))
            }
        }
        return String(result)
    }

    /// Stands for one non-ASCII scalar in `units`; it is never a vowel and never part of a
    /// suffix, so the algorithm keeps every placeholder in place and in order.
    static let placeholder: UInt8 = 0x80

    /// Stems a word given as one byte per code point (ASCII as is, any other scalar as
    /// `placeholder`), in place.
    static func stem(units: inout [UInt8]) {
        var word = Porter2Word(units: units)
        word.stem()
        units = word.units
    }
}

// MARK: - The algorithm

private let apostrophe = UInt8(ascii: "'")
private let lowerY = UInt8(ascii: "y")
private let upperY = UInt8(ascii: "Y")

/// `v` in the Snowball source: a e i o u y.
@inline(__always)
private func isVowel(_ unit: UInt8) -> Bool {
    switch unit {
    case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"), lowerY:
        return true
    default:
        return false
    }
}

/// `v_WXY`: the vowels plus w, x and the marker Y.
@inline(__always)
private func isVowelOrWXY(_ unit: UInt8) -> Bool {
    isVowel(unit) || unit == UInt8(ascii: "w") || unit == UInt8(ascii: "x") || unit == upperY
}

/// Letters that may precede a removable `-li`.
@inline(__always)
private func isValidLIEnding(_ unit: UInt8) -> Bool {
    switch unit {
    case UInt8(ascii: "c"), UInt8(ascii: "d"), UInt8(ascii: "e"), UInt8(ascii: "g"), UInt8(ascii: "h"),
        UInt8(ascii: "k"), UInt8(ascii: "m"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
        return true
    default:
        return false
    }
}

/// Whole words with a fixed result (`nil`: the word is its own stem).
private let exceptionalForms: [(word: [UInt8], stem: [UInt8]?)] = {
    let forms: [(String, String?)] = [
        ("skis", "ski"), ("skies", "sky"), ("idly", "idl"), ("gently", "gentl"), ("ugly", "ugli"),
        ("early", "earli"), ("only", "onli"), ("singly", "singl"), ("sky", nil), ("news", nil), ("howe", nil),
        ("atlas", nil), ("cosmos", nil), ("bias", nil), ("andes", nil),
    ]
    return forms.map { form in (Array(form.0.utf8), form.1.map { Array($0.utf8) }) }
}()

/// Words that stay whole before `-ing` (inning, outing, canning, herring, earring, evening),
/// longest first.
private let keptIngStems: [[UInt8]] = ["even", "cann", "earr", "herr", "inn", "out"].map { Array($0.utf8) }

/// Prefixes whose end is taken as the start of R1 instead of the usual rule.
private let regionOnePrefixes: [[UInt8]] = [
    "gener", "commun", "arsen", "past", "univers", "later", "emerg", "organ", "inter",
].map { Array($0.utf8) }

/// Step 2 suffixes and replacements, longest first within each final letter. A `nil`
/// replacement marks the two conditional rules (`ogi` after `l`, `li` after a valid letter).
private let stepTwoRules: [UInt8: [(suffix: [UInt8], replacement: [UInt8]?)]] = rules([
    ("lessli", "less"), ("biliti", "ble"), ("fulli", "ful"), ("ousli", "ous"), ("entli", "ent"),
    ("aliti", "al"), ("iviti", "ive"), ("anci", "ance"), ("enci", "ence"), ("abli", "able"), ("alli", "al"),
    ("bli", "ble"), ("ogi", nil), ("li", nil),
    ("ational", "ate"), ("tional", "tion"),
    ("alism", "al"),
    ("ization", "ize"), ("ation", "ate"),
    ("izer", "ize"), ("ator", "ate"),
    ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"),
    ("ogist", "og"),
])

/// Step 3 suffixes and replacements; `nil` marks `ative`, removed only in R2.
private let stepThreeRules: [UInt8: [(suffix: [UInt8], replacement: [UInt8]?)]] = rules([
    ("icate", "ic"), ("ative", nil), ("alize", "al"),
    ("iciti", "ic"),
    ("ational", "ate"), ("tional", "tion"), ("ical", "ic"), ("ful", ""),
    ("ness", ""),
])

/// Step 4 suffixes, removed in R2; `nil` marks `ion`, removed only after `s` or `t`.
private let stepFourRules: [UInt8: [(suffix: [UInt8], replacement: [UInt8]?)]] = rules([
    ("ic", ""),
    ("ance", ""), ("ence", ""), ("able", ""), ("ible", ""), ("ate", ""), ("ive", ""), ("ize", ""),
    ("iti", ""),
    ("al", ""),
    ("ism", ""),
    ("ion", nil),
    ("er", ""),
    ("ous", ""),
    ("ement", ""), ("ment", ""), ("ent", ""), ("ant", ""),
])

/// Groups suffix rules by final letter, keeping the longest suffixes first so that the first
/// match is the longest one, as Snowball's `among` requires.
private func rules(
    _ list: [(String, String?)]
) -> [UInt8: [(suffix: [UInt8], replacement: [UInt8]?)]] {
    var grouped: [UInt8: [(suffix: [UInt8], replacement: [UInt8]?)]] = [:]
    for (suffix, replacement) in list {
        let bytes = Array(suffix.utf8)
        guard let last = bytes.last else { continue }
        grouped[last, default: []].append((bytes, replacement.map { Array($0.utf8) }))
    }
    return grouped.mapValues { group in group.sorted { $0.suffix.count > $1.suffix.count } }
}

/// A word being stemmed: one byte per code point, plus the regions R1 and R2.
private struct Porter2Word {
    var units: [UInt8]
    /// Start of R1 and R2 (Snowball's `p1`, `p2`).
    var regionOne = 0
    var regionTwo = 0
    /// Whether the prelude turned some `y` into the consonant marker `Y`.
    var markedY = false

    init(units: [UInt8]) {
        self.units = units
    }

    mutating func stem() {
        if applyExceptionalForm() { return }
        guard units.count >= 3 else { return }
        prelude()
        markRegions()
        step1a()
        step1b()
        step1c()
        step2()
        step3()
        step4()
        step5()
        if markedY {
            for position in units.indices where units[position] == upperY { units[position] = lowerY }
        }
    }

    // MARK: Helpers

    private func hasSuffix(_ suffix: [UInt8]) -> Bool {
        hasSuffix(suffix, endingAt: units.count)
    }

    private func hasSuffix(_ suffix: [UInt8], endingAt end: Int) -> Bool {
        guard suffix.count <= end else { return false }
        var position = end - suffix.count
        for unit in suffix {
            if units[position] != unit { return false }
            position += 1
        }
        return true
    }

    private func hasSuffix(_ suffix: StaticString) -> Bool {
        hasSuffix(suffix, endingAt: units.count)
    }

    private func hasSuffix(_ suffix: StaticString, endingAt end: Int) -> Bool {
        suffix.withUTF8Buffer { literal in
            guard literal.count <= end else { return false }
            return units[(end - literal.count)..<end].elementsEqual(literal)
        }
    }

    private func containsVowel(before end: Int) -> Bool {
        units[0..<end].contains(where: isVowel)
    }

    /// Replaces everything from `start` to the end of the word.
    private mutating func replaceTail(from start: Int, with replacement: [UInt8]) {
        units.removeSubrange(start...)
        units.append(contentsOf: replacement)
    }

    private mutating func replaceTail(from start: Int, with replacement: StaticString) {
        units.removeSubrange(start...)
        replacement.withUTF8Buffer { units.append(contentsOf: $0) }
    }

    /// A short syllable ending at `end`: consonant–vowel–consonant where the last consonant
    /// is not w, x or Y; a vowel–consonant word; or the special case `past`.
    private func endsWithShortSyllable(at end: Int) -> Bool {
        if end >= 3 && !isVowelOrWXY(units[end - 1]) && isVowel(units[end - 2]) && !isVowel(units[end - 3]) {
            return true
        }
        if end == 2 && !isVowel(units[1]) && isVowel(units[0]) { return true }
        return hasSuffix("past", endingAt: end)
    }

    // MARK: Steps

    private mutating func applyExceptionalForm() -> Bool {
        for form in exceptionalForms where form.word == units {
            if let stem = form.stem { units = stem }
            return true
        }
        return false
    }

    /// Drops one leading apostrophe and marks consonantal y's (initial, or after a vowel) as Y.
    private mutating func prelude() {
        if units.first == apostrophe { units.removeFirst() }
        guard let first = units.first else { return }
        if first == lowerY {
            units[0] = upperY
            markedY = true
        }
        for position in units.indices.dropFirst() where units[position] == lowerY && isVowel(units[position - 1]) {
            units[position] = upperY
            markedY = true
        }
    }

    /// R1 starts after the first consonant that follows a vowel (or after one of the listed
    /// prefixes); R2 applies the same rule again inside R1.
    private mutating func markRegions() {
        let count = units.count
        regionOne = count
        regionTwo = count
        if let prefix = regionOnePrefixes.first(where: { units.starts(with: $0) }) {
            regionOne = prefix.count
        } else if let end = endOfVowelConsonant(from: 0) {
            regionOne = end
        } else {
            return
        }
        regionTwo = endOfVowelConsonant(from: regionOne) ?? count
    }

    /// The position just after the first consonant that follows a vowel at or after `start`.
    private func endOfVowelConsonant(from start: Int) -> Int? {
        guard start <= units.count,
            let vowel = units[start...].firstIndex(where: isVowel),
            let consonant = units[(vowel + 1)...].firstIndex(where: { !isVowel($0) })
        else { return nil }
        return consonant + 1
    }

    /// Possessive apostrophes, then plural `-s` forms.
    private mutating func step1a() {
        if hasSuffix("'s'") {
            units.removeLast(3)
        } else if hasSuffix("'s") {
            units.removeLast(2)
        } else if units.last == apostrophe {
            units.removeLast()
        }

        let count = units.count
        if hasSuffix("sses") {
            replaceTail(from: count - 4, with: "ss")
        } else if hasSuffix("ied") || hasSuffix("ies") {
            replaceTail(from: count - 3, with: count - 3 >= 2 ? "i" : "ie")
        } else if hasSuffix("ss") || hasSuffix("us") {
            return
        } else if units.last == UInt8(ascii: "s") {
            // Remove the s if a vowel occurs before the letter just ahead of it.
            if count >= 2 && containsVowel(before: count - 2) { units.removeLast() }
        }
    }

    /// `-eed`, `-ed`, `-ing` and their `-ly` forms.
    private mutating func step1b() {
        let count = units.count
        if hasSuffix("eedly") {
            replaceEed(suffixStart: count - 5)
        } else if hasSuffix("ingly") {
            removeVerbSuffix(from: count - 5)
        } else if hasSuffix("edly") {
            removeVerbSuffix(from: count - 4)
        } else if hasSuffix("eed") {
            replaceEed(suffixStart: count - 3)
        } else if hasSuffix("ing") {
            let start = count - 3
            if let stem = keptIngStems.first(where: { hasSuffix($0, endingAt: start) }) {
                // inning, outing, canning, ... are left alone.
                if start == stem.count { return }
            } else if start == 2 && units[1] == lowerY && !isVowel(units[0]) {
                // dying -> die, lying -> lie, tying -> tie, vying -> vie.
                replaceTail(from: 1, with: "ie")
                return
            }
            removeVerbSuffix(from: start)
        } else if hasSuffix("ed") {
            removeVerbSuffix(from: count - 2)
        }
    }

    /// `-eed(ly)` becomes `-ee` in R1, except in proceed, exceed and succeed.
    private mutating func replaceEed(suffixStart start: Int) {
        guard start >= regionOne else { return }
        let stem = units[0..<start]
        for exception in ["proc", "exc", "succ"] where stem.elementsEqual(exception.utf8) { return }
        replaceTail(from: start, with: "ee")
    }

    /// Removes `-ed`, `-edly`, `-ing` or `-ingly` when a vowel precedes it, then tidies the
    /// new ending: at/bl/iz get an `e`, a double consonant loses one letter, and a short
    /// word gets an `e`.
    private mutating func removeVerbSuffix(from start: Int) {
        guard containsVowel(before: start) else { return }
        units.removeSubrange(start...)
        let count = units.count
        if hasSuffix("at") || hasSuffix("bl") || hasSuffix("iz") {
            units.append(UInt8(ascii: "e"))
        } else if count >= 2 && units[count - 1] == units[count - 2] && isUndoubledConsonant(units[count - 1]) {
            // "add", "egg", "off": a single a/e/o before the double at the start of the word.
            if count == 3
                && (units[0] == UInt8(ascii: "a") || units[0] == UInt8(ascii: "e") || units[0] == UInt8(ascii: "o"))
            {
                return
            }
            units.removeLast()
        } else if count == regionOne && endsWithShortSyllable(at: count) {
            units.append(UInt8(ascii: "e"))
        }
    }

    /// Consonants whose doubling is undone after removing `-ed` or `-ing`.
    private func isUndoubledConsonant(_ unit: UInt8) -> Bool {
        switch unit {
        case UInt8(ascii: "b"), UInt8(ascii: "d"), UInt8(ascii: "f"), UInt8(ascii: "g"), UInt8(ascii: "m"),
            UInt8(ascii: "n"), UInt8(ascii: "p"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return true
        default:
            return false
        }
    }

    /// A final y (or Y) after a consonant that is not the first letter becomes i.
    private mutating func step1c() {
        let count = units.count
        guard count >= 3, units[count - 1] == lowerY || units[count - 1] == upperY, !isVowel(units[count - 2])
        else { return }
        units[count - 1] = UInt8(ascii: "i")
    }

    /// The longest suffix of the word among `rules`, with where it starts.
    private func longestSuffix(
        in rules: [UInt8: [(suffix: [UInt8], replacement: [UInt8]?)]]
    ) -> (start: Int, replacement: [UInt8]?)? {
        guard let last = units.last, let candidates = rules[last] else { return nil }
        for rule in candidates where hasSuffix(rule.suffix) {
            return (units.count - rule.suffix.count, rule.replacement)
        }
        return nil
    }

    private mutating func step2() {
        guard let match = longestSuffix(in: stepTwoRules), match.start >= regionOne else { return }
        if let replacement = match.replacement {
            replaceTail(from: match.start, with: replacement)
        } else if units[match.start] == UInt8(ascii: "o") {
            // -ogi -> -og after l.
            if match.start >= 1 && units[match.start - 1] == UInt8(ascii: "l") {
                replaceTail(from: match.start, with: "og")
            }
        } else if match.start >= 1 && isValidLIEnding(units[match.start - 1]) {
            units.removeSubrange(match.start...)
        }
    }

    private mutating func step3() {
        guard let match = longestSuffix(in: stepThreeRules), match.start >= regionOne else { return }
        if let replacement = match.replacement {
            replaceTail(from: match.start, with: replacement)
        } else if match.start >= regionTwo {
            units.removeSubrange(match.start...)
        }
    }

    private mutating func step4() {
        guard let match = longestSuffix(in: stepFourRules), match.start >= regionTwo else { return }
        if match.replacement != nil {
            units.removeSubrange(match.start...)
        } else if match.start >= 1
            && (units[match.start - 1] == UInt8(ascii: "s") || units[match.start - 1] == UInt8(ascii: "t"))
        {
            units.removeSubrange(match.start...)
        }
    }

    /// A final e goes in R2, or in R1 unless it ends a short syllable; a final double l loses
    /// one l in R2.
    private mutating func step5() {
        guard let last = units.last else { return }
        let start = units.count - 1
        if last == UInt8(ascii: "e") {
            if start >= regionTwo || (start >= regionOne && !endsWithShortSyllable(at: start)) {
                units.removeLast()
            }
        } else if last == UInt8(ascii: "l") {
            if start >= regionTwo && start >= 1 && units[start - 1] == UInt8(ascii: "l") {
                units.removeLast()
            }
        }
    }
}
