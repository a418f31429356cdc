import Cairn
import Foundation
import Testing

// Cairn's version routes over HTTP (decision 0021): the list, reads as of a version (`as_of` in get and query
// bodies, `as_of_version`/`as_of_time` on count), and a restore; bad `as_of` values get a 400 naming them.
@Suite struct ServerVersionRoutesTests {
    @Test func versionsAreListedReadAndRestoredOverHTTP() async throws {
        try await ServerHarness.withClient { api, client in
            let id = try await api.createCollection("history")
            let add = try await api.post(
                API.collection(id, "add"), #"{"ids":["a","b"],"embeddings":[[1,0],[0,1]],"documents":["x","y"]}"#)
            #expect(add.status == .created, "\(add.text)")
            try await client.getCollection("history").compact()
            let deleted = try await api.post(API.collection(id, "delete"), #"{"ids":["a"]}"#)
            #expect(deleted.status == .ok)
            try await client.getCollection("history").compact()

            let listed = try await api.get(API.collection(id, "versions"))
            #expect(listed.status == .ok, "\(listed.text)")
            guard case .array(let versions) = listed.json, versions.count >= 3 else {
                Issue.record("versions: \(listed.text)")
                return
            }
            #expect(versions.last?["current"] == .bool(true) && versions.last?["record_count"] == .int(1))
            guard case .int(let withBoth)? = versions[versions.count - 2]["version"],
                case .string(let createdAt)? = versions[versions.count - 2]["created_at"]
            else {
                Issue.record("versions: \(listed.text)")
                return
            }
            #expect(versions[versions.count - 2]["record_count"] == .int(2))

            let old = try await api.post(
                API.collection(id, "get"), #"{"include":["documents"],"as_of":{"version":\#(withBoth)}}"#)
            #expect(old.json["ids"] == ["a", "b"], "\(old.text)")
            let now = try await api.post(API.collection(id, "get"), #"{"include":["documents"]}"#)
            #expect(now.json["ids"] == ["b"], "\(now.text)")
            let near = try await api.post(
                API.collection(id, "query"),
                #"{"query_embeddings":[[1,0]],"n_results":1,"as_of":{"time":"\#(createdAt)"}}"#)
            #expect(near.json["ids"] == [["a"]], "\(near.text) \(listed.text) \(createdAt)")
            let nearVersion = try await api.post(
                API.collection(id, "query"),
                #"{"query_embeddings":[[1,0]],"n_results":1,"as_of":{"version":\#(withBoth)}}"#)
            #expect(nearVersion.json["ids"] == [["a"]], "\(nearVersion.text) \(listed.text)")
            #expect(try await api.get(API.collection(id, "count") + "?as_of_version=\(withBoth)").json == .int(2))
            #expect(try await api.get(API.collection(id, "count")).json == .int(1))

            let missing = try await api.get(API.collection(id, "count") + "?as_of_version=999")
            #expect(missing.status == .notFound && missing.message.contains("does not keep version 999"))
            let malformed = try await api.post(API.collection(id, "get"), #"{"as_of":{"time":"yesterday"}}"#)
            #expect(malformed.status == .badRequest && malformed.message.contains("ISO 8601"), "\(malformed.text)")

            let restored = try await api.post(API.collection(id, "restore"), #"{"version":\#(withBoth)}"#)
            #expect(restored.status == .ok && restored.json["current"] == .bool(true), "\(restored.text)")
            #expect(try await api.post(API.collection(id, "get"), "{}").json["ids"] == ["a", "b"])
        }
    }
}
