// RegexLiterals: the literal runs every match must contain, and nothing it cannot prove.
import Testing

@testable import CairnModel

@Suite struct RegexLiteralsTests {
    @Test(arguments: [
        ("cluster 4[0-9]$", ["cluster 4"]),
        ("^rock(et)?$", ["rock"]),
        ("ro?ck", ["r", "ck"]),
        ("a+lpha", ["lpha"]),
        ("doc \\d+ cluster", ["doc ", " cluster"]),
        ("x\\.y{2}z", ["x.", "z"]),
        ("épée.*中文", ["épée", "中文"]),
        ("a{0,3}bcd", ["bcd"]),
        ("abc\\x41def", ["abc"]),
        ("(?i)rock", []),
        ("rock|jazz", []),
        ("[|]abc", []),
        ("(?=x)abc", []),
        ("[a-z]+", []),
    ])
    func extractsOnlyProvableLiterals(pattern: String, expected: [String]) {
        #expect(RegexLiterals.required(pattern) == expected)
    }

    @Test func literalsAreInEveryMatch() throws {
        let documents = [
            "cluster 42", "the cluster 4x", "rocket", "rock", "roock", "rck", "doc 12 cluster 3", "aaalpha",
        ]
        for pattern in ["cluster 4[0-9]$", "^rock(et)?$", "ro?ck", "a+lpha", "doc \\d+ cluster"] {
            let regex = try compileRegex(pattern)
            for document in documents where (try? regex.firstMatch(in: document)) != nil {
                for literal in RegexLiterals.required(pattern) {
                    #expect(document.contains(literal), "\(pattern) matched \(document) without \(literal)")
                }
            }
        }
    }
}
