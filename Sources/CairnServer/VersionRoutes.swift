// Cairn's extension routes for a collection's kept versions (decision 0021; docs/openapi.yaml, "Cairn
// extensions"): the list, a restore, and the `as_of` a read may name. The official client never sends them; a
// user reaches them with any HTTP client.
import Cairn
import Foundation
import Hummingbird

extension ChromaRoutes {
    /// `GET …/collections/{id}/versions` and `POST …/collections/{id}/restore`.
    func registerVersions(on router: Router<BasicRequestContext>) {
        router.get(RouterPath(Self.collectionPath + "/versions")) { _, context in
            let versions = try await self.collection(context).versions()
            return JSONResponse.make(JSONValue.array(versions.map(\.json)).jsonText)
        }
        router.post(RouterPath(Self.collectionPath + "/restore")) { request, context in
            let collection = try await self.collection(context)
            let body = try await self.body(request, context)
            guard let version = try body.int("version"), version > 0 else {
                throw ChromaError.invalid("Expected version to be a positive integer (a kept version's number)")
            }
            return JSONResponse.make(try await collection.restore(version: UInt64(version)).json.jsonText)
        }
    }

    /// A read's `as_of` body member: `{"version": N}` or `{"time": "2026-12-06T07:00:00Z"}` (nil: the current state).
    static func readPoint(_ body: RequestJSON) throws -> ReadPoint? {
        guard let members = try body.object("as_of") else { return nil }
        return try readPoint(version: members["version"].map(jsonText), time: members["time"].map(jsonText))
    }

    /// A count's `as_of_version` / `as_of_time` query parameters.
    static func readPoint(_ request: Request) throws -> ReadPoint? {
        try readPoint(
            version: request.uri.queryParameters.get("as_of_version"),
            time: request.uri.queryParameters.get("as_of_time"))
    }

    private static func jsonText(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return value.jsonText
    }

    private static func readPoint(version: String?, time: String?) throws -> ReadPoint? {
        switch (version, time) {
        case (nil, nil): return nil
        case (.some, .some): throw ChromaError.invalid("as_of names a version or a time, not both")
        case (let version?, nil):
            guard let number = UInt64(version), number > 0 else {
                throw ChromaError.invalid("Expected as_of version to be a positive integer, got \(version)")
            }
            return .version(number)
        case (nil, let time?):
            guard let date = ReadPoint.time(parsing: time) else {
                throw ChromaError.invalid(
                    "Expected as_of time to be an ISO 8601 time such as 2026-12-06T07:00:00Z, got \(time)")
            }
            return .time(date)
        }
    }
}
