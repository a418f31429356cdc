// One conformance suite for every ObjectStore (local folder, in-memory, S3): the behaviour the layers above
// rely on. Each check works under its own fresh key prefix and removes what it wrote.
import Foundation
import ObjectStore

/// A failed conformance expectation, naming the check and what differed.
public struct ConformanceFailure: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

public enum ObjectStoreConformance {
    /// The names of the checks, for parameterised tests: `@Test(arguments: ObjectStoreConformance.checkNames)`.
    public static let checkNames: [String] = checks.map(\.name)

    /// Runs the check called `name` against `store`, under a unique prefix below `prefix`.
    public static func run(_ name: String, on store: any ObjectStore, prefix: String = "conformance") async throws {
        guard let check = checks.first(where: { $0.name == name }) else {
            throw ConformanceFailure("no conformance check named \(name)")
        }
        let scope = "\(prefix)/\(name)-\(UUID().uuidString.prefix(8))/"
        do {
            try await check.body(store, scope)
        } catch {
            await cleanUp(store, scope)
            throw error
        }
        await cleanUp(store, scope)
    }

    private static func cleanUp(_ store: any ObjectStore, _ scope: String) async {
        guard let objects = try? await store.listAll(prefix: scope) else { return }
        await forEachConcurrently(objects, limit: 16) { try? await store.delete($0.key) }
    }

    typealias Check = (name: String, body: @Sendable (any ObjectStore, String) async throws -> Void)

    static let checks: [Check] = [
        ("roundTripSmallObjects", roundTripSmallObjects),
        ("roundTripMultipart40MiB", roundTripMultipart40MiB),
        ("ranges", ranges),
        ("listPagination1500Keys", listPagination),
        ("listDelimiter", listDelimiter),
        ("awkwardKeys", awkwardKeys),
        ("conditionalPuts", conditionalPuts),
        ("concurrentCreateHasOneWinner", concurrentCreateHasOneWinner),
        ("deletes", deletes),
        ("overwriteChangesETag", overwriteChangesETag),
        ("multipartAbortPublishesNothing", multipartAbortPublishesNothing),
    ]

    // MARK: Checks

    static func roundTripSmallObjects(_ store: any ObjectStore, _ scope: String) async throws {
        var random = SplitMix64(seed: 7)
        for size in [0, 1, 1 << 20] {
            let key = scope + "object-\(size)"
            let data = randomData(size, using: &random)
            let written = try await store.put(key, data: data)
            try expect(written.size == size, "put reported size \(written.size), wrote \(size)")
            let read = try await store.get(key)
            try expect(read.data == data, "get of \(size) bytes returned different bytes (\(read.data.count))")
            try expect(read.info.size == size, "get reported size \(read.info.size) for \(size) bytes")
            let head = try await store.head(key)
            try expect(head.size == size, "head reported size \(head.size) for \(size) bytes")
            try expect(head.etag == read.info.etag, "head ETag \(head.etag) differs from get ETag \(read.info.etag)")
        }
    }

    static func roundTripMultipart40MiB(_ store: any ObjectStore, _ scope: String) async throws {
        var random = SplitMix64(seed: 40)
        let data = randomData(40 << 20, using: &random)
        let key = scope + "large"
        let options = TransferOptions(partSize: 8 << 20, concurrency: 4)
        let info = try await store.putMultipart(key, data: data, options: options)
        try expect(info.size == data.count, "multipart object has size \(info.size), expected \(data.count)")
        let whole = try await store.get(key)
        try expect(whole.data == data, "multipart object read back differs")
        let parallel = try await store.getParallel(try await store.head(key), options: options)
        try expect(parallel.data == data, "parallel ranged read differs")
        let tail = try await store.get(key, range: .slice(offset: (40 << 20) - 3, length: 3))
        try expect(tail.data == data.suffix(3), "last 3 bytes differ")
    }

    static func ranges(_ store: any ObjectStore, _ scope: String) async throws {
        let data = Data((0..<1000).map { UInt8($0 % 251) })
        let key = scope + "ranged"
        try await store.put(key, data: data)
        let cases: [(ByteRange, Range<Int>)] = [
            (.slice(offset: 0, length: 1), 0..<1),
            (.slice(offset: 999, length: 1), 999..<1000),
            (.slice(offset: 100, length: 200), 100..<300),
            (.slice(offset: 900, length: 500), 900..<1000),  // past the end: clamped
            (.from(offset: 998), 998..<1000),
            (.suffix(length: 10), 990..<1000),
            (.suffix(length: 5000), 0..<1000),
        ]
        for (range, expected) in cases {
            let part = try await store.get(key, range: range)
            try expect(part.data == data.subdata(in: expected), "range \(range) returned the wrong bytes")
            try expect(part.range == expected, "range \(range) reported \(part.range), expected \(expected)")
            try expect(part.info.size == 1000, "range \(range) reported object size \(part.info.size)")
        }
        for range in [ByteRange.slice(offset: 1000, length: 1), .from(offset: 5000)] {
            try await expectError(.invalidRange, "range \(range) beyond the end") {
                _ = try await store.get(key, range: range)
            }
        }
    }

    static func listPagination(_ store: any ObjectStore, _ scope: String) async throws {
        let keys = (0..<1500).map { scope + "keys/k\(String(format: "%05d", ($0 * 7919) % 1500))" }
        await forEachConcurrently(keys, limit: 16) { key in _ = try? await store.put(key, data: Data(key.utf8)) }
        try await store.put(scope + "keysx", data: Data())  // shares the prefix "keys" but not "keys/"
        var seen: [String] = []
        var continuation: String?
        var pages = 0
        repeat {
            let page = try await store.list(prefix: scope + "keys/", continuation: continuation, maxKeys: 400)
            try expect(page.objects.count <= 400, "a page held \(page.objects.count) keys, asked for at most 400")
            seen += page.objects.map(\.key)
            continuation = page.continuation
            pages += 1
        } while continuation != nil && pages < 100
        let expected = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        try expect(
            seen == expected, "listing returned \(seen.count) keys (\(pages) pages), expected 1500 in byte order")
        let all = try await store.listAll(prefix: scope + "keys")
        try expect(all.count == 1501, "listing prefix 'keys' found \(all.count) objects, expected 1501")
        let sizes = Set(all.prefix(1500).map(\.size))
        try expect(sizes == [Data(keys[0].utf8).count], "listed sizes \(sizes) are wrong")
    }

    static func listDelimiter(_ store: any ObjectStore, _ scope: String) async throws {
        for key in ["a/1", "a/2", "b/c/3", "d", "e/"].map({ scope + $0 }) where !key.hasSuffix("/") {
            try await store.put(key, data: Data("x".utf8))
        }
        let page = try await store.list(prefix: scope, delimiter: "/", continuation: nil, maxKeys: 1000)
        try expect(page.objects.map(\.key) == [scope + "d"], "objects at the top: \(page.objects.map(\.key))")
        try expect(page.commonPrefixes == [scope + "a/", scope + "b/"], "common prefixes: \(page.commonPrefixes)")
        var paged: [String] = []
        var continuation: String?
        repeat {
            let page = try await store.list(prefix: scope, delimiter: "/", continuation: continuation, maxKeys: 1)
            paged += page.commonPrefixes + page.objects.map(\.key)
            continuation = page.continuation
        } while continuation != nil && paged.count < 10
        try expect(paged == [scope + "a/", scope + "b/", scope + "d"], "delimited pages of one: \(paged)")
    }

    static func awkwardKeys(_ store: any ObjectStore, _ scope: String) async throws {
        let names = [
            "with space", "unicode-ሴ-é-😀", "plus+equals=tilde~percent%25", "percent%", "a/b/c/deep",
            "reserved!'()*,;:@$&", "UPPER-lower_123.dot", "caf\u{E9}", "cafe\u{301}",
        ]
        for name in names {
            let key = scope + name
            try await store.put(key, data: Data(name.utf8))
            let read = try await store.get(key)
            try expect(read.data == Data(name.utf8), "key '\(name)' read back different bytes")
        }
        let listed = try await store.listAll(prefix: scope).map(\.key)
        let expected = names.map { scope + $0 }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        try expect(listed == expected, "awkward keys listed as \(listed)")
    }

    static func conditionalPuts(_ store: any ObjectStore, _ scope: String) async throws {
        let key = scope + "conditional"
        let first = try await store.put(key, data: Data("one".utf8), condition: .ifNoneMatch)
        try await expectError(.preconditionFailed, "ifNoneMatch on an existing key") {
            try await store.put(key, data: Data("two".utf8), condition: .ifNoneMatch)
        }
        try expect(try await store.get(key).data == Data("one".utf8), "a failed ifNoneMatch changed the object")
        let second = try await store.put(key, data: Data("three".utf8), condition: .ifMatch(etag: first.etag))
        try expect(second.etag != first.etag, "ifMatch put kept the ETag \(first.etag)")
        try await expectError(.preconditionFailed, "ifMatch with a stale ETag") {
            try await store.put(key, data: Data("four".utf8), condition: .ifMatch(etag: first.etag))
        }
        try expect(try await store.get(key).data == Data("three".utf8), "a failed ifMatch changed the object")
    }

    static func concurrentCreateHasOneWinner(_ store: any ObjectStore, _ scope: String) async throws {
        let key = scope + "race"
        let winners = try await withThrowingTaskGroup(of: Int?.self) { group in
            for writer in 0..<12 {
                group.addTask {
                    do {
                        try await store.put(key, data: Data("writer \(writer)".utf8), condition: .ifNoneMatch)
                        return writer
                    } catch let error as ObjectStoreError where error.code == .preconditionFailed {
                        return nil
                    }
                }
            }
            var winners: [Int] = []
            for try await winner in group { if let winner { winners.append(winner) } }
            return winners
        }
        try expect(winners.count == 1, "\(winners.count) writers won an ifNoneMatch race, expected exactly one")
        let stored = try await store.get(key).data
        try expect(stored == Data("writer \(winners[0])".utf8), "the stored object is not the winner's")
    }

    static func deletes(_ store: any ObjectStore, _ scope: String) async throws {
        try await store.delete(scope + "never-existed")
        try await expectError(.notFound, "get of a missing key") { _ = try await store.get(scope + "never-existed") }
        try await expectError(.notFound, "head of a missing key") { _ = try await store.head(scope + "never-existed") }
        let key = scope + "dir/deleted"
        try await store.put(key, data: Data("x".utf8))
        try await store.delete(key)
        try await expectError(.notFound, "get after delete") { _ = try await store.get(key) }
        try expect(try await store.listAll(prefix: scope).isEmpty, "a deleted key is still listed")
        try await store.put(key, data: Data("y".utf8))  // the key's folder can be used again
        try expect(try await store.get(key).data == Data("y".utf8), "re-created key reads wrong")
    }

    static func overwriteChangesETag(_ store: any ObjectStore, _ scope: String) async throws {
        let key = scope + "overwrite"
        let first = try await store.put(key, data: Data("first".utf8))
        let again = try await store.head(key)
        try expect(first.etag == again.etag, "ETag changed without a write: \(first.etag) then \(again.etag)")
        let second = try await store.put(key, data: Data("second!".utf8))
        try expect(second.etag != first.etag, "overwrite kept the ETag")
        try expect(try await store.get(key).data == Data("second!".utf8), "overwrite not visible")
    }

    static func multipartAbortPublishesNothing(_ store: any ObjectStore, _ scope: String) async throws {
        let key = scope + "aborted"
        let upload = try await store.createMultipartUpload(key)
        _ = try await store.uploadPart(key, uploadID: upload, partNumber: 1, data: Data(count: 1024))
        try await store.abortMultipartUpload(key, uploadID: upload)
        try await expectError(.notFound, "get of an aborted multipart upload") { _ = try await store.get(key) }
    }

    // MARK: Helpers

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(message()) }
    }

    static func expectError(
        _ code: ObjectStoreError.Code, _ what: String, _ body: () async throws -> Void
    ) async throws {
        do {
            try await body()
        } catch let error as ObjectStoreError {
            try expect(error.code == code, "\(what): expected \(code), got \(error)")
            return
        }
        throw ConformanceFailure("\(what): expected \(code), but it succeeded")
    }

    static func randomData(_ count: Int, using random: inout SplitMix64) -> Data {
        var data = Data(count: count)
        data.withUnsafeMutableBytes { buffer in
            var i = 0
            while i < buffer.count {
                var word = random.next()
                for _ in 0..<min(8, buffer.count - i) {
                    buffer[i] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    i += 1
                }
            }
        }
        return data
    }

    /// Runs `body` over `items`, at most `limit` at a time.
    public static func forEachConcurrently<T: Sendable>(
        _ items: [T], limit: Int, _ body: @escaping @Sendable (T) async -> Void
    ) async {
        await withBoundedParallelism(count: items.count, limit: limit) {
            await body(items[$0])
        } consume: { _, _ in
        }
    }
}
