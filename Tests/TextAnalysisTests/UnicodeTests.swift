import Testing

@testable import TextAnalysis

/// Compares the Python character semantics against CPython 3.11's own tables, for every
/// Unicode scalar (`unicode.txt`).
@Suite struct UnicodeTests {
    struct PythonTables {
        var word: [ClosedRange<UInt32>] = []
        var space: [ClosedRange<UInt32>] = []
        var caseIgnorable: [ClosedRange<UInt32>] = []
        var casedNotIgnorable: [ClosedRange<UInt32>] = []
        var lowercase: [UInt32: [UInt32]] = [:]
    }

    static func loadTables() throws -> PythonTables {
        var tables = PythonTables()
        for line in try fixtureLines("unicode.txt") where !line.hasPrefix("#") {
            let fields = line.split(separator: " ")
            guard let kind = fields.first else { continue }
            let rest = Array(fields.dropFirst())
            switch kind {
            case "W": tables.word = parseRanges(rest)
            case "S": tables.space = parseRanges(rest)
            case "I": tables.caseIgnorable = parseRanges(rest)
            case "K": tables.casedNotIgnorable = parseRanges(rest)
            case "L":
                let numbers = rest.compactMap { Int($0, radix: 16) }
                try #require(numbers.count == 4 && rest.count == 4)
                let step = Int(rest[2]) ?? 1
                let delta = Int(rest[3]) ?? 0
                for value in stride(from: numbers[0], through: numbers[1], by: step) {
                    tables.lowercase[UInt32(value)] = [UInt32(value + delta)]
                }
            case "M":
                let values = rest.compactMap { UInt32($0, radix: 16) }
                tables.lowercase[values[0]] = Array(values.dropFirst())
            default:
                Issue.record("unknown line \(line)")
            }
        }
        return tables
    }

    static func contains(_ ranges: [ClosedRange<UInt32>], _ value: UInt32) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < value {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < ranges.count && ranges[low].contains(value)
    }

    @Test func characterClassesMatchPython() throws {
        let tables = try Self.loadTables()
        #expect(tables.word.count > 500 && tables.lowercase.count > 1000)
        var mismatches: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let hex = String(value, radix: 16, uppercase: true)
            if PythonUnicode.isWord(scalar) != Self.contains(tables.word, value) { mismatches.append("\\w \(hex)") }
            if PythonUnicode.isSpace(scalar) != Self.contains(tables.space, value) { mismatches.append("space \(hex)") }
            let ignorable = PythonUnicode.isCaseIgnorable(scalar)
            if ignorable != Self.contains(tables.caseIgnorable, value) { mismatches.append("ignorable \(hex)") }
            if (PythonUnicode.isCased(scalar) && !ignorable) != Self.contains(tables.casedNotIgnorable, value) {
                mismatches.append("cased \(hex)")
            }
            if value != 0x3A3 {  // capital sigma depends on context; tested with the encodings
                var lowered: [Unicode.Scalar] = []
                PythonUnicode.appendLowercase(of: [scalar], to: &lowered)
                let expected = tables.lowercase[value] ?? [value]
                if lowered.map(\.value) != expected { mismatches.append("lower \(hex)") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches, first: \(mismatches.prefix(40))")
    }

    /// The tokenizer treats tokens as maximal runs of `\w` scalars lowercased one by one; that
    /// is Python's `sub`/`lower`/`split` only if no scalar is both `\w` and whitespace and no
    /// lowercase mapping of a `\w` scalar contains whitespace.
    @Test func wordAndSpaceAreDisjoint() {
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), PythonUnicode.isWord(scalar) else { continue }
            #expect(!PythonUnicode.isSpace(scalar))
            var lowered: [Unicode.Scalar] = []
            PythonUnicode.appendLowercase(of: [scalar], to: &lowered)
            #expect(!lowered.contains(where: PythonUnicode.isSpace))
        }
    }

    @Test func finalSigma() {
        #expect(PythonUnicode.lowercased("\u{39F}\u{394}\u{39F}\u{3A3}") == "\u{3BF}\u{3B4}\u{3BF}\u{3C2}")
        #expect(PythonUnicode.lowercased("\u{3A3}") == "\u{3C3}")
        #expect(PythonUnicode.lowercased("A\u{3A3}B") == "a\u{3C3}b")
        #expect(PythonUnicode.lowercased("A\u{3A3} B") == "a\u{3C2} b")
        #expect(PythonUnicode.lowercased("A\u{2B0}\u{3A3}") == "a\u{2B0}\u{3C2}")
        #expect(PythonUnicode.lowercased("\u{130}") == "i\u{307}")
    }
}
