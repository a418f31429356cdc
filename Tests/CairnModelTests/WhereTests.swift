// Where and WhereDocument: parsing Chroma's JSON (valid forms and Chroma's messages) and evaluation on one record.
import Testing

@testable import CairnModel

@Suite struct WhereTests {
    @Test func parsesChromaForms() throws {
        #expect(try Where(jsonText: #"{"cat": 3}"#) == .field("cat", .eq(.int(3))))
        #expect(try Where(jsonText: #"{"cat": {"$ne": "x"}}"#) == .field("cat", .ne("x")))
        #expect(try Where(jsonText: #"{"p": {"$gte": 2.5}}"#) == .gte("p", .float(2.5)))
        #expect(try Where(jsonText: #"{"s": {"$in": [1, 2]}}"#) == .isIn("s", [1, 2]))
        #expect(try Where(jsonText: #"{"t": {"$contains": "a"}}"#) == .field("t", .contains("a")))
        #expect(
            try Where(jsonText: #"{"$and": [{"a": true}, {"$or": [{"b": 1}, {"c": {"$nin": ["x"]}}]}]}"#)
                == .and([.eq("a", true), .or([.eq("b", 1), .notIn("c", ["x"])])]))
        let filter: Where = .and([.gt("p", 1), .field("t", .notContains(.int(3)))])
        #expect(try Where(json: filter.json) == filter)
    }

    @Test(arguments: [
        (#"[1]"#, "Expected where to be a dict, got [1]"),
        (#"{}"#, "Expected where to have exactly one operator, got {}"),
        (#"{"a": 1, "b": 2}"#, "Expected where to have exactly one operator, got {'a': 1, 'b': 2}"),
        (
            #"{"$contains": "x"}"#,
            "Expected where key to be a metadata field name or a logical operator ($and, $or), got $contains"
        ),
        (#"{"a": [1]}"#, "Expected where value to be a str, int, float, or operator expression, got [1]"),
        (#"{"a": null}"#, "Expected where value to be a str, int, float, or operator expression, got None"),
        (
            #"{"$and": {"a": 1}}"#,
            "Expected where value for $and or $or to be a list of where expressions, got {'a': 1}"
        ),
        (
            #"{"$or": []}"#,
            "Expected where value for $and or $or to be a non-empty list of where expressions, got []"
        ),
        (
            ##"{"#document": {"$eq": "x"}}"##,
            "Cannot filter using metadata key '#document' with type 'Str' because indexing is disabled"
        ),
        (
            #"{"a": {"$gt": 1, "$lt": 3}}"#,
            "Expected operator expression to have exactly one operator, got {'$gt': 1, '$lt': 3}"
        ),
        (#"{"a": {"$gt": "x"}}"#, "Expected operand value to be an int or a float for operator $gt, got 'x'"),
        (#"{"a": {"$in": 1}}"#, "Expected operand value to be an list for operator $in, got 1"),
        (
            #"{"a": {"$in": []}}"#,
            "Expected where operand value to be a non-empty list, and all values to be of the same type got []"
        ),
        (
            #"{"a": {"$nin": [1, "x"]}}"#,
            "Expected where operand value to be a non-empty list, and all values to be of the same type got [1, 'x']"
        ),
        (
            #"{"a": {"$contains": [1]}}"#,
            "Expected operand value to be a str, int, float, or bool for operator $contains, got [1]"
        ),
        (
            #"{"a": {"$like": 1}}"#,
            "Expected where operator to be one of $gt, $gte, $lt, $lte, $ne, $eq, $in, $nin, $contains, $not_contains, got $like"
        ),
        (
            #"{"a": {"$eq": {"b": 1}}}"#,
            "Expected where operand value to be a str, int, float, bool, or list of those type, got {'b': 1}"
        ),
    ])
    func refusesWhatChromaRefuses(text: String, message: String) {
        do {
            _ = try Where(jsonText: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == .invalidWhere)
            #expect(error.message == message)
        }
    }

    @Test func validatesFiltersBuiltInSwift() {
        #expect(throws: ValidationError.self) { try Where.gt("a", "x").validate() }
        #expect(throws: Never.self) { try Where.and([.eq("a", 1)]).validate() }  // Chroma's server takes one child
        #expect(throws: ValidationError.self) { try Where.and([]).validate() }
        #expect(throws: Never.self) { try Where.and([.eq("a", 1), .lt("b", 2.5)]).validate() }
    }

    @Test func numbersCompareExactlyAcrossIntAndFloat() {
        #expect(Where.eq("n", 2).matches(["n": .float(2.0)]))
        #expect(Where.eq("n", .float(2.0)).matches(["n": 2]))
        #expect(!Where.eq("n", .float(2.5)).matches(["n": 2]))
        #expect(Where.gt("n", .float(2.5)).matches(["n": 3]))
        #expect(!Where.gte("n", .float(2.5)).matches(["n": 2]))
        #expect(Where.lt("n", 3).matches(["n": .float(2.999)]))
        // Int64 values beyond 2^53 are not rounded through Double.
        let big: Int64 = 9_007_199_254_740_993
        #expect(!Where.eq("n", .float(9_007_199_254_740_992)).matches(["n": .int(big)]))
        #expect(Where.gt("n", .float(9_007_199_254_740_992)).matches(["n": .int(big)]))
        #expect(Where.eq("n", .int(big)).matches(["n": .int(big)]))
        // Strings and bools only equal their own type.
        #expect(!Where.eq("n", 1).matches(["n": true]))
        #expect(!Where.eq("n", "1").matches(["n": 1]))
        #expect(!Where.gt("n", 0).matches(["n": "5"]))
    }

    @Test func negationsMatchRecordsWithoutTheKey() {
        #expect(Where.ne("a", 1).matches(["b": 1]))
        #expect(Where.ne("a", 1).matches(nil))
        #expect(Where.notIn("a", [1, 2]).matches([:]))
        #expect(!Where.notIn("a", [1, 2]).matches(["a": .float(2)]))
        #expect(Where.field("t", .notContains("x")).matches(nil))
        #expect(!Where.eq("a", 1).matches(nil))
    }

    @Test func containsLooksInsideListsWithTheExactType() {
        let record: Metadata = ["tags": .stringArray(["rock", "jazz"]), "ns": .intArray([1, 2]), "s": "rock"]
        #expect(Where.field("tags", .contains("rock")).matches(record))
        #expect(!Where.field("tags", .contains("roc")).matches(record))
        #expect(Where.field("ns", .contains(2)).matches(record))
        #expect(!Where.field("ns", .contains(.float(2))).matches(record))
        #expect(!Where.field("s", .contains("rock")).matches(record))
        #expect(Where.field("tags", .notContains("pop")).matches(record))
        // A list never equals a scalar.
        #expect(!Where.eq("tags", "rock").matches(record))
        #expect(Where.ne("tags", "rock").matches(record))
    }
}

@Suite struct WhereDocumentTests {
    @Test func parsesChromaForms() throws {
        #expect(try WhereDocument(jsonText: #"{"$contains": "a"}"#) == .contains("a"))
        #expect(
            try WhereDocument(jsonText: #"{"$or": [{"$regex": "^a"}, {"$not_contains": "b"}]}"#)
                == .or([.regex("^a"), .notContains("b")]))
    }

    @Test(arguments: [
        (#""x""#, "Expected where document to be a dictionary, got 'x'"),
        (#"{}"#, "Expected where document to have exactly one operator, got {}"),
        (
            #"{"$like": "a"}"#,
            "Expected where document operator to be one of $contains, $not_contains, $regex, $not_regex, $and, $or, got $like"
        ),
        (
            #"{"$and": "a"}"#,
            "Expected document value for $and or $or to be a list of where document expressions, got 'a'"
        ),
        (
            #"{"$and": [{"$contains": "a"}]}"#,
            "Expected document value for $and or $or to be a list with at least two where document expressions, got [{'$contains': 'a'}]"
        ),
        (#"{"$contains": 1}"#, "Expected where document operand value for operator $contains to be a str, got 1"),
        (#"{"$regex": ""}"#, "Expected where document operand value for operator $regex to be a non-empty str"),
    ])
    func refusesWhatChromaRefuses(text: String, message: String) {
        do {
            _ = try WhereDocument(jsonText: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == .invalidWhereDocument)
            #expect(error.message == message)
        }
    }

    @Test func refusesARegexThatDoesNotCompile() {
        #expect(throws: ValidationError.self) { try WhereDocument(jsonText: #"{"$regex": "(a"}"#) }
    }

    @Test func evaluatesOnDocuments() throws {
        #expect(WhereDocument.contains("Rock").matches(document: "Hard Rock café"))
        #expect(!WhereDocument.contains("rock").matches(document: "Hard Rock café"))
        #expect(WhereDocument.contains("é").matches(document: "Hard Rock café"))
        #expect(!WhereDocument.contains("x").matches(document: nil))
        #expect(WhereDocument.notContains("x").matches(document: nil))
        #expect(WhereDocument.regex("R[a-z]+k").matches(document: "Hard Rock"))
        #expect(!WhereDocument.regex("^Rock").matches(document: "Hard Rock"))
        #expect(!WhereDocument.regex("a*").matches(document: nil))
        #expect(WhereDocument.notRegex("^Rock").matches(document: "Hard Rock"))
        let compiled = try WhereDocument.and([.regex("\\d{3}"), .notContains("zip")]).compiled()
        #expect(compiled.matches(document: "call 555 now"))
        #expect(!compiled.matches(document: "zip 555"))
    }
}
