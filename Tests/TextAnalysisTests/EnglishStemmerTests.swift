import Testing

@testable import TextAnalysis

@Suite struct EnglishStemmerTests {
    /// Decodes `stems.txt` (format documented in `generate.py`).
    static func loadPairs() throws -> [(word: String, stem: String)] {
        var pairs: [(word: String, stem: String)] = []
        var previous: [Unicode.Scalar] = []
        for line in try fixtureLines("stems.txt") {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            var scalars = Array(parts[0].unicodeScalars)
            let shared = Int(scalars.removeFirst().value) - 0x30
            let word = Array(previous.prefix(shared)) + scalars
            var stem = word
            if parts.count == 2 {
                var change = Array(parts[1].unicodeScalars)
                let cut = Int(change.removeFirst().value) - 0x30
                stem = Array(word.dropLast(cut)) + change
            }
            pairs.append((string(word), string(stem)))
            previous = word
        }
        return pairs
    }

    static func string(_ scalars: [Unicode.Scalar]) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// snowballstemmer 3.1.1 `stemWord` on 21,000 distinct words.
    @Test func matchesSnowballOnFixtureVocabulary() throws {
        let pairs = try Self.loadPairs()
        #expect(pairs.count >= 20_000)
        #expect(Set(pairs.map { Array($0.word.unicodeScalars.map(\.value)) }).count == pairs.count)
        var failures: [String] = []
        for (word, stem) in pairs {
            let actual = EnglishStemmer.stem(word)
            if !actual.unicodeScalars.elementsEqual(stem.unicodeScalars) {
                failures.append("\(word) -> \(actual), Python \(stem)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches, first: \(failures.prefix(20))")
    }

    @Test(arguments: [
        ("caresses", "caress"), ("ponies", "poni"), ("ties", "tie"), ("cats", "cat"), ("gas", "gas"),
        ("gaps", "gap"), ("kiwis", "kiwi"), ("feed", "feed"), ("agreed", "agre"), ("proceed", "proceed"),
        ("proceeding", "proceed"), ("hopping", "hop"), ("hoping", "hope"), ("luxuriated", "luxuri"),
        ("dying", "die"), ("inning", "inning"), ("innings", "inning"), ("skies", "sky"), ("news", "news"),
        ("generously", "generous"), ("communication", "communic"), ("saying", "say"), ("cry", "cri"),
        ("by", "by"), ("y", "y"), ("", ""), ("'", "'"), ("dog's", "dog"), ("r\u{E9}sum\u{E9}s", "r\u{E9}sum\u{E9}"),
        ("quickly", "quick"), ("running", "run"), ("lazy", "lazi"),
    ])
    func stemsKnownWords(word: String, stem: String) {
        #expect(EnglishStemmer.stem(word) == stem)
    }
}
