// Chroma's Search API route (Chroma Cloud's; open-source Chroma refuses it): `POST …/collections/{id}/search` with
// `{"searches": [...], "read_level": ...}`, answered per search in Chroma's response shape (docs/search.md).
import Cairn
import Hummingbird

extension ChromaRoutes {
    func registerSearch(on router: Router<BasicRequestContext>) {
        router.post(RouterPath(Self.collectionPath + "/search")) { request, context in
            let collection = try await self.collection(context)
            let body = try await self.body(request, context)
            let payloads = try Self.searchPayloads(body)
            return JSONResponse.make(ResponseJSON.search(try await collection.search(payloads)))
        }
    }

    /// The searches of a request body, with Chroma's 422 (not readable) and 400 (refused) answers.
    static func searchPayloads(_ body: RequestJSON) throws -> [SearchPayload] {
        func deserialize(_ message: String) -> ChromaError {
            ChromaError(
                .unprocessableContent, "ChromaError",
                "Failed to deserialize the JSON body into the target type: \(message)")
        }
        if let level = body["read_level"] {
            // Every level reads the whole log here: index_only only allows staleness, it never requires it.
            let levels = ["index_and_wal", "index_only", "index_and_bounded_wal"]
            guard case .string(let name) = level, levels.contains(name) else {
                throw deserialize(
                    "read_level: unknown variant `\(level.jsonText)`, expected one of `index_and_wal`, `index_only`, "
                        + "`index_and_bounded_wal`")
            }
        }
        guard let searches = body["searches"] else { throw deserialize("missing field `searches`") }
        guard case .array(let elements) = searches else { throw deserialize("searches: expected a sequence") }
        var payloads: [SearchPayload] = []
        for (index, element) in elements.enumerated() {
            do {
                payloads.append(try SearchPayload(json: element, index: index))
            } catch {
                switch error.kind {
                case .deserialize: throw deserialize("\(error.path): \(error.message)")
                case .invalid: throw ChromaError.invalid("Validation error: \(error.path): \(error.message)")
                }
            }
        }
        return payloads
    }
}

extension ResponseJSON {
    /// Chroma's `SearchResponse`: each field a list with one entry per search; a field not selected is null.
    static func search(_ results: [SearchResult]) -> String {
        var w = JSONWriter()
        w.raw("{")
        w.key("ids")
        w.list(results) { w, result in w.list(result.ids) { w, id in w.string(id) } }
        w.key("documents")
        w.list(results) { w, result in
            w.optional(result.documents) { w, documents in w.list(documents) { w, d in w.optionalString(d) } }
        }
        w.key("embeddings")
        w.list(results) { w, result in
            w.optional(result.embeddings) { w, embeddings in w.list(embeddings) { w, e in w.embedding(e) } }
        }
        w.key("metadatas")
        w.list(results) { w, result in
            w.optional(result.metadatas) { w, metadatas in w.list(metadatas) { w, m in w.metadata(m) } }
        }
        w.key("scores")
        w.list(results) { w, result in
            w.optional(result.scores) { w, scores in w.floats(scores) }
        }
        w.key("select")
        w.list(results) { w, result in w.list(result.select) { w, key in w.string(key) } }
        w.raw("}")
        return w.out
    }
}
