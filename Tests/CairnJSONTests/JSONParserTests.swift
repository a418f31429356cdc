// JSONParser and JSONValue serialization: ints vs floats, escapes, unicode, and malformed input with positions.
import StorageTesting
import Testing

@testable import CairnJSON

@Suite struct JSONParserTests {
    @Test func keepsIntegersAndFloatsApart() throws {
        #expect(try JSONValue(parsing: "1") == .int(1))
        #expect(try JSONValue(parsing: "1.0") == .double(1.0))
        #expect(try JSONValue(parsing: "-0") == .int(0))
        #expect(try JSONValue(parsing: "1e2") == .double(100))
        #expect(try JSONValue(parsing: "-1.5E-3") == .double(-0.0015))
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(.min))
        // Past Int64 an integer literal becomes a Double rather than an error.
        #expect(try JSONValue(parsing: "9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONValue(parsing: "[1, 1.0]").jsonText == "[1,1.0]")
    }

    @Test func parsesNestedValues() throws {
        let value = try JSONValue(parsing: " {\"a\": [true, false, null, \"x\"], \"b\": {\"c\": -2}} ")
        #expect(value == ["a": [true, false, nil, "x"], "b": ["c": -2]])
        #expect(value.jsonText == "{\"a\":[true,false,null,\"x\"],\"b\":{\"c\":-2}}")
    }

    @Test func decodesEscapesAndUnicode() throws {
        #expect(try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try JSONValue(parsing: #""\u00e9\u4e2d""#) == .string("é中"))
        #expect(try JSONValue(parsing: #""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONValue(parsing: "\"é中😀\"") == .string("é中😀"))
    }

    @Test func roundTripsStringsWithControlCharacters() throws {
        let text = "line\nquote\" back\\ \u{01} tab\t é 😀"
        let encoded = JSONValue.string(text).jsonText
        #expect(encoded == #""line\nquote\" back\\ \u0001 tab\t é 😀""#)
        #expect(try JSONValue(parsing: encoded) == .string(text))
    }

    @Test func floatsReadBackExactly() throws {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let value = Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF)
            let text = JSONValue.double(value).jsonText
            #expect(try JSONValue(parsing: text) == .double(value), "\(text)")
        }
        #expect(JSONValue.double(1).jsonText == "1.0")
    }

    @Test func sortedKeysMakeEqualValuesEncodeEqually() {
        let a: JSONValue = ["z": 1, "a": 2, "m": ["y": 1, "b": 2]]
        let b: JSONValue = ["m": ["b": 2, "y": 1], "a": 2, "z": 1]
        #expect(a.jsonText == b.jsonText)
        #expect(a.jsonText == #"{"a":2,"m":{"b":2,"y":1},"z":1}"#)
    }

    @Test(arguments: [
        ("", JSONParseError.Code.unexpectedEnd, 0),
        ("{", .unexpectedEnd, 1),
        ("[1,]", .unexpectedCharacter, 3),
        ("[1 2]", .unexpectedCharacter, 3),
        ("{\"a\" 1}", .unexpectedCharacter, 5),
        ("{a:1}", .unexpectedCharacter, 1),
        ("01", .invalidNumber, 0),
        ("-", .invalidNumber, 0),
        ("1.", .invalidNumber, 0),
        ("1e", .invalidNumber, 0),
        ("+1", .unexpectedCharacter, 0),
        ("tru", .unexpectedEnd, 3),
        ("nul1", .unexpectedCharacter, 3),
        ("\"abc", .unexpectedEnd, 4),
        ("\"a\\x\"", .invalidString, 2),
        ("\"\\ud800\"", .invalidString, 1),
        ("\"\\udc00\"", .invalidString, 1),
        ("\"\\u12\"", .invalidString, 1),
        ("\"a\nb\"", .invalidString, 2),
        ("1 2", .trailingData, 2),
        ("1e999", .invalidNumber, 0),
        ("NaN", .unexpectedCharacter, 0),
    ])
    func refusesMalformedInput(text: String, code: JSONParseError.Code, offset: Int) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
        do {
            _ = try JSONValue(parsing: text)
        } catch {
            #expect(error.code == code, "\(text): \(error)")
            #expect(error.offset == offset, "\(text): \(error)")
        }
    }

    @Test func refusesInvalidUTF8() {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: bytes) }
        do { _ = try JSONValue(parsing: bytes) } catch { #expect(error.code == .invalidUTF8) }
    }

    @Test func refusesDeepNesting() {
        let depth = JSONParser.maximumDepth
        let deep = String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
        do { _ = try JSONValue(parsing: deep) } catch { #expect(error.code == .tooDeep) }
        let ok = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect((try? JSONValue(parsing: ok)) != nil)
    }

    @Test func repeatedKeysKeepTheLastValue() throws {
        #expect(try JSONValue(parsing: #"{"a":1,"a":2}"#) == ["a": 2])
    }

    @Test func pythonReprMatchesChromaMessages() {
        let value: JSONValue = ["$gt": "a", "b": [1, 2.5, true, nil]]
        #expect(value.pythonRepr == "{'$gt': 'a', 'b': [1, 2.5, True, None]}")
        #expect(JSONValue.string("it's").pythonRepr == "\"it's\"")
    }
}
