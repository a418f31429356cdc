import Foundation
import Testing

@testable import TextAnalysis

@Suite struct BM25EncoderTests {
    /// `encodings.json`, written by `generate.py`.
    struct Fixture: Decodable {
        var values: [Double]
        var texts: [Record]
    }

    struct Record: Decodable {
        var t: String
        /// `ChromaBm25EmbeddingFunction(include_tokens=True)`.
        var d: [Entry]
        /// The same with k=1.5, b=0.5, avg_doc_length=100, token_max_length=10.
        var c: [Entry]
    }

    /// `[index, label, position in values]`.
    struct Entry: Decodable {
        var index: UInt32
        var label: String
        var value: Int

        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            index = try container.decode(UInt32.self)
            label = try container.decode(String.self)
            value = try container.decode(Int.self)
        }
    }

    static let custom = BM25Parameters(k: 1.5, b: 0.5, averageDocumentLength: 100, tokenMaxLength: 10)

    static func loadFixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(try fixtureText("encodings.json").utf8))
    }

    static func check(_ vector: BM25Vector, _ expected: [Entry], values: [Double], text: String) {
        #expect(vector.indices == expected.map(\.index), "indices of \(text.debugDescription)")
        #expect(vector.values.count == expected.count && vector.labels.count == expected.count)
        for (position, entry) in expected.enumerated() where position < vector.values.count {
            let want = values[entry.value]
            let got = vector.values[position]
            #expect(abs(got - want) <= 1e-12 * abs(want), "value \(position) of \(text.debugDescription)")
            // Labels compared by code points: Swift's == would accept canonical equivalents.
            #expect(
                Array(vector.labels[position].unicodeScalars) == Array(entry.label.unicodeScalars),
                "label \(position) of \(text.debugDescription)"
            )
        }
    }

    /// Every fixture text, with Chroma's default parameters and a custom set.
    @Test func matchesChromaOnFixtureTexts() throws {
        let fixture = try Self.loadFixture()
        #expect(fixture.texts.count >= 300)
        let standard = BM25Encoder()
        let custom = BM25Encoder(Self.custom)
        for record in fixture.texts {
            Self.check(standard.encode(record.t), record.d, values: fixture.values, text: record.t)
            Self.check(custom.encode(record.t), record.c, values: fixture.values, text: record.t)
            // tokens() yields exactly the labels' tokens, with repeats.
            let tokens = standard.tokens(record.t)
            #expect(
                Set(tokens.map { Array($0.unicodeScalars) }) == Set(record.d.map { Array($0.label.unicodeScalars) }))
        }
    }

    @Test func quickBrownFox() {
        let vector = BM25Encoder().encode("The quick brown fox jumps over the lazy dog.")
        #expect(vector.indices == [226_376_294, 741_580_288, 771_291_085, 1_312_749_093, 1_621_867_415, 1_913_189_942])
        #expect(vector.values == Array(repeating: 1.6652868125369606, count: 6))
        #expect(vector.labels == ["lazi", "brown", "quick", "dog", "fox", "jump"])
    }

    @Test func repeatedTokens() {
        let vector = BM25Encoder().encode("Dogs are running; the fox runs quickly! Running dogs.")
        #expect(vector.indices == [243_905_464, 771_291_085, 1_312_749_093, 1_621_867_415])
        #expect(vector.values == [1.9851956291857598, 1.6608670008846949, 1.8927911275415896, 1.6608670008846949])
        #expect(
            BM25Encoder().tokens("Dogs are running; the fox runs quickly! Running dogs.")
                == ["dog", "run", "fox", "run", "quick", "run", "dog"]
        )
    }

    @Test func punctuationAndDigits() {
        let vector = BM25Encoder().encode("Usain Bolt's top speed reached ~27.8 mph (44.72 km/h)")
        #expect(
            vector.indices == [
                230_246_813, 395_514_983, 458_027_949, 488_165_615, 729_632_045, 734_978_415, 997_512_866,
                1_114_505_193, 1_381_820_790, 1_501_587_190, 1_649_421_877, 1_837_285_388,
            ]
        )
    }

    @Test func emptyResults() {
        let encoder = BM25Encoder()
        #expect(encoder.encode("") == BM25Vector())
        #expect(encoder.encode("the and of it's").isEmpty)
        #expect(encoder.encode("!!! ... ???").isEmpty)
    }

    @Test func stopwordsAreLowercasedAndMatchedBeforeStemming() {
        let encoder = BM25Encoder(BM25Parameters(stopwords: ["RUNNING", "Fox"]))
        #expect(encoder.tokens("running runs Fox FOX foxes the") == ["run", "fox", "the"])
        #expect(BM25Encoder(BM25Parameters(stopwords: [])).tokens("the a") == ["the", "a"])
    }

    @Test func tokenLengthCountsCodePointsAfterLowercasing() {
        let encoder = BM25Encoder(BM25Parameters(tokenMaxLength: 4))
        // U+0130 lowercases to two code points.
        #expect(encoder.tokens("\u{130}\u{130} \u{130}\u{130}\u{130} abcd abcde") == ["i\u{307}i\u{307}", "abcd"])
    }

    @Test func parametersDefaultToChroma() {
        let parameters = BM25Parameters.chromaDefault
        #expect(parameters.k == 1.2 && parameters.b == 0.75)
        #expect(parameters.averageDocumentLength == 256 && parameters.tokenMaxLength == 40)
        #expect(parameters.stopwords.count == 179)
        #expect(BM25Encoder().parameters == parameters)
    }
}
