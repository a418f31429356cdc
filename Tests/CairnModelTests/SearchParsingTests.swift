import CairnJSON
import CairnModel
import Testing

// The Search API's request as Chroma's 1.5.9 client serialises it (docs/search.md): every operator parses, and
// malformed or refused payloads get Chroma's two kinds of answer (not readable: 422; refused: 400) naming the path.
@Suite struct SearchParsingTests {
    static func payload(_ text: String) throws(SearchRequestError) -> SearchPayload {
        try SearchPayload(json: try! JSONParser.parse(Array(text.utf8)), index: 0)
    }

    @Test func theClientsExpressionsParse() throws {
        let rrf = try Self.payload(
            ##"{"filter": {"$and": [{"#id": {"$in": ["a", "b", "c"]}}, {"#id": {"$ne": "b"}}, {"cat": {"$eq": 2}}]},"##
                + ##""rank": {"$mul": [{"$val": -1}, {"$sum": [{"$div": {"left": {"$val": 1.0}, "right": {"$sum": [{"$val": 60}, {"$knn": {"query": [0.1, 0.2], "key": "#embedding", "limit": 16, "return_rank": true}}]}}}]}]},"##
                + ##""group_by": {"keys": ["g"], "aggregate": {"$max_k": {"keys": ["n", "#score"], "k": 2}}},"##
                + ##""limit": {"offset": 5, "limit": 10}, "select": {"keys": ["#score", "title", "#document", "#id"]}}"##
        )
        #expect(rrf.ids == ["a", "b", "c"] && rrf.excludedIDs == ["b"])
        #expect(rrf.filter == .field("cat", .eq(.int(2))))
        #expect(rrf.rank?.knnTerms == [KnnTerm(query: .dense([0.1, 0.2]), limit: 16, returnRank: true)])
        #expect(rrf.groupBy == SearchGroupBy(keys: ["g"], order: .maxK, aggregateKeys: ["n", "#score"], k: 2))
        #expect(rrf.offset == 5 && rrf.limit == 10)
        #expect(rrf.sortedSelect == ["#document", "#score", "#id", "title"])

        let empty = try Self.payload(
            ##"{"filter": null, "rank": null, "group_by": {}, "limit": {"offset": 0}, "select": {"keys": []}}"##)
        #expect(empty.filter == nil && empty.rank == nil && empty.groupBy == nil && empty.limit == nil)
        let sparse = try Self.payload(
            ##"{"rank": {"$knn": {"query": {"#type": "sparse_vector", "indices": [1, 5], "values": [0.5, 1.0]}, "key": "sp", "default": 10}}}"##
        )
        #expect(
            sparse.rank?.knnTerms
                == [KnnTerm(query: .sparse(indices: [1, 5], values: [0.5, 1]), key: "sp", defaultValue: 10)])
        #expect(try Self.payload(##"{"filter": {"$or": []}}"##).matchesNothing)
    }

    @Test(arguments: [
        (##"{"rank": {"$foo": 1}}"##, SearchRequestError.Kind.deserialize, "searches[0].rank"),
        (##"{"rank": {"$knn": {"limit": 3}}}"##, .deserialize, "searches[0].rank.$knn"),
        (##"{"rank": {"$knn": {"query": "text"}}}"##, .deserialize, "searches[0].rank.$knn.query"),
        (##"{"limit": {"limit": -1}}"##, .deserialize, "searches[0].limit.limit"),
        (##"{"filter": {"cat": {"$regex": "x"}}}"##, .deserialize, "searches[0].filter"),
        (##"{"group_by": {"keys": ["g"]}, "rank": {"$val": 1}}"##, .invalid, "searches[0].group_by"),
        (
            ##"{"group_by": {"keys": ["g"], "aggregate": {"$min_k": {"keys": ["#score"], "k": 1}}}}"##, .invalid,
            "searches[0].__all__"
        ),
        (
            ##"{"group_by": {"keys": ["#score"], "aggregate": {"$min_k": {"keys": ["#score"], "k": 1}}}, "rank": {"$val": 1}}"##,
            .invalid, "searches[0].group_by"
        ),
        (
            ##"{"rank": {"$knn": {"query": {"indices": [5, 1], "values": [1, 1]}, "key": "sp"}}}"##, .invalid,
            "searches[0].rank.$knn.query"
        ),
        (##"{"filter": {"$or": [{"#id": {"$eq": "a"}}, {"cat": 1}]}}"##, .invalid, "searches[0].filter"),
    ])
    func malformedSearchesAreRefusedNamingWhere(text: String, kind: SearchRequestError.Kind, path: String) {
        do {
            _ = try Self.payload(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.kind == kind, "\(text): \(error)")
            #expect(error.path == path, "\(text): \(error)")
        }
    }
}
