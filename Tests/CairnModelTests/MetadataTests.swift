// Metadata values, their canonical JSON, the update form (null deletes), and Chroma's validation messages.
import Testing

@testable import CairnModel

@Suite struct MetadataTests {
    @Test func roundTripsThroughCanonicalJSON() throws {
        let metadata: Metadata = [
            "title": "Rock & \"Roll\"", "year": 1969, "score": 1.0, "live": true,
            "tags": .stringArray(["a", "b"]), "ids": .intArray([1, 2]), "weights": .floatArray([0.5, 2]),
            "flags": .boolArray([true]),
        ]
        let text = metadata.jsonText
        #expect(text.hasPrefix(#"{"flags":[true],"ids":[1,2],"live":true,"score":1.0,"tags":["a","b"]"#))
        #expect(try Metadata(jsonText: text) == metadata)
        // 1 and 1.0 stay apart.
        #expect(try Metadata(jsonText: #"{"a":1,"b":1.0}"#) == ["a": .int(1), "b": .float(1)])
    }

    /// What a write stores (`Metadata.jsonText` of non-empty metadata) is what normalizing it gives back, byte for
    /// byte: the log tail takes this process's own writes without normalizing them again (`LogMaterializer.apply(_:
    /// metadataInStoredForm:)`), and compaction normalizes the same records, so both must agree.
    @Test func storedFormIsAFixedPointOfNormalizing() throws {
        var random = SystemRandomNumberGenerator()
        let strings = ["", "a", "Rock & \"Roll\"", "tab\tnew\nline", "\u{1}\u{1F}", "é😀", "\\/", "日本語"]
        func double() -> Double {
            while true {
                let value = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &random))
                if value.isFinite { return value }
            }
        }
        func value() throws -> MetadataValue {
            switch Int.random(in: 0..<10, using: &random) {
            case 0: return .string(strings.randomElement(using: &random)!)
            case 1: return .int(Int64.random(in: Int64.min...Int64.max, using: &random))
            case 2: return .float(double())
            case 3:
                return .float([0, -0.0, 1, 0.1, 1e300, 5e-324, 123_456_789_012_345_678].randomElement(using: &random)!)
            case 4: return .bool(Bool.random(using: &random))
            case 5: return .stringArray((0..<3).map { _ in strings.randomElement(using: &random)! })
            case 6: return .intArray((0..<3).map { _ in Int64.random(in: -1000...1000, using: &random) })
            case 7: return .floatArray((0..<3).map { _ in double() })
            case 8: return .boolArray([true, false])
            default:
                let indices = Array(Set((0..<5).map { _ in UInt32.random(in: 0...UInt32.max, using: &random) }))
                    .sorted()
                let values = indices.map { _ in Float(bitPattern: UInt32.random(in: 0...0x7F7F_FFFF, using: &random)) }
                return .sparseVector(try SparseVector(indices: indices, values: values))
            }
        }
        for _ in 0..<2000 {
            var metadata: Metadata = [:]
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                metadata[strings.randomElement(using: &random)! + String(Int.random(in: 0..<9, using: &random))] =
                    try value()
            }
            let stored = metadata.jsonText
            #expect(try MetadataMerging.normalize(stored) == stored, "\(metadata)")
        }
    }

    @Test func equalMetadataEncodesEqually() {
        var a: Metadata = [:]
        var b: Metadata = [:]
        for i in 0..<50 { a["k\(i)"] = .int(Int64(i)) }
        for i in (0..<50).reversed() { b["k\(i)"] = .int(Int64(i)) }
        #expect(a.jsonText == b.jsonText)
    }

    @Test func nullMembersAreDroppedFromAddedMetadata() throws {
        #expect(try Metadata(jsonText: #"{"a":null,"b":2}"#) == ["b": 2])
    }

    @Test func updateDeletesKeysMappedToNull() throws {
        let update = try MetadataUpdate(updateJSONText: #"{"a":null,"b":"new","c":[1.5]}"#)
        #expect(update == ["a": .none, "b": .string("new"), "c": .floatArray([1.5])])
        let before: Metadata = ["a": 1, "b": "old", "d": false]
        #expect(before.applying(update) == ["b": "new", "c": .floatArray([1.5]), "d": false])
    }

    @Test(arguments: [
        (
            #"{"a":{"b":1}}"#,
            "Expected metadata value to be a str, int, float, bool, SparseVector, list, or None, got {'b': 1} which is a dict"
        ),
        (#"{"a":[]}"#, "Expected metadata list value for key 'a' to be non-empty"),
        (
            #"{"a":[1,"x"]}"#,
            "Expected metadata list value for key 'a' to contain only str, int, float, or bool and all elements must be the same type, got [1, 'x']"
        ),
        (
            #"{"a":[1,2.5]}"#,
            "Expected metadata list value for key 'a' to contain only str, int, float, or bool and all elements must be the same type, got [1, 2.5]"
        ),
        (
            #"{"a":[[1]]}"#,
            "Expected metadata list value for key 'a' to contain only str, int, float, or bool and all elements must be the same type, got [[1]]"
        ),
        ("[1]", "Expected metadata to be a dict or None, got list as metadata"),
    ])
    func refusesValuesChromaRefuses(text: String, message: String) {
        #expect(
            throws: ValidationError(.invalidMetadataValue, message, key: message.contains("dict or None") ? nil : "a")
        ) {
            try Metadata(jsonText: text)
        }
    }

    @Test func refusesTextThatIsNotJSON() {
        do {
            _ = try Metadata(jsonText: #"{"a":1,}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .invalidJSON)
            #expect(error.message.contains("at byte 7"))
        }
    }

    @Test func validationFollowsChroma() {
        #expect(
            throws: ValidationError(
                .emptyMetadata, "Expected metadata to be a non-empty dict, got 0 metadata attributes")
        ) {
            try validateMetadata([:])
        }
        #expect(
            throws: ValidationError(
                .invalidMetadataKey, "Expected metadata to not contain the reserved key chroma:document",
                key: "chroma:document")
        ) { try validateMetadata(["chroma:document": "x"]) }
        #expect(throws: ValidationError(.invalidMetadataKey, "Metadata key cannot be empty", key: "")) {
            try validateMetadata(["": 1])
        }
        #expect(
            throws: ValidationError(.invalidMetadataKey, "Metadata key cannot start with '#' or '$': $x", key: "$x")
        ) {
            try validateMetadata(["$x": 1])
        }
        #expect(
            throws: ValidationError(.invalidMetadataKey, "Metadata key cannot start with '#' or '$': #doc", key: "#doc")
        ) {
            try validateMetadataUpdate(["#doc": .none])
        }
        #expect(throws: ValidationError.self) { try validateMetadata(["x": .float(.nan)]) }
        #expect(throws: ValidationError.self) { try validateMetadata(["x": .floatArray([1, .infinity])]) }
        #expect(throws: ValidationError(.emptyMetadata, "Expected metadata to be a non-empty dict, got {}")) {
            try validateMetadataUpdate([:])
        }
        #expect(throws: Never.self) { try validateMetadata(["a": 1, "b": "x", "c": .boolArray([true])]) }
        #expect(throws: Never.self) { try validateMetadataUpdate(["a": .none]) }
    }
}
