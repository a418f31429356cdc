// What the local-folder store promises beyond the conformance suite: durability across reopen, atomic
// conditional puts between independent store instances (separate descriptors, as separate processes have),
// no partial objects, and clear errors for keys a file system cannot hold.
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct LocalFileStoreTests {
    @Test func objectsSurviveReopen() async throws {
        try await TemporaryDirectory.with { dir in
            let info = try await LocalFileStore(root: dir).put("a/b/c", data: Data("durable".utf8))
            let reopened = try LocalFileStore(root: dir)
            let read = try await reopened.get("a/b/c")
            #expect(read.data == Data("durable".utf8))
            #expect(read.info.etag == info.etag, "an ETag must be stable across reopen")
        }
    }

    @Test func conditionalCreateIsAtomicAcrossStoreInstances() async throws {
        try await TemporaryDirectory.with { dir in
            for round in 0..<20 {
                let stores = try (0..<8).map { _ in try LocalFileStore(root: dir) }
                let key = "race/\(round)"
                let wins = await withTaskGroup(of: Bool.self) { group in
                    for (i, store) in stores.enumerated() {
                        group.addTask {
                            (try? await store.put(key, data: Data("w\(i)".utf8), condition: .ifNoneMatch)) != nil
                        }
                    }
                    return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(wins == 1, "round \(round): \(wins) winners")
            }
        }
    }

    @Test func ifMatchUpdatesSerialiseAcrossStoreInstances() async throws {
        // 8 writers each do read-modify-write with ifMatch, retrying on conflict: no increment may be lost.
        try await TemporaryDirectory.with { dir in
            try await LocalFileStore(root: dir).put("counter", data: Data("0".utf8))
            let perWriter = 10
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    let store = try LocalFileStore(root: dir)
                    group.addTask {
                        var done = 0
                        while done < perWriter {
                            let current = try await store.get("counter")
                            let value = Int(String(decoding: current.data, as: UTF8.self)) ?? -1
                            do {
                                try await store.put(
                                    "counter", data: Data("\(value + 1)".utf8),
                                    condition: .ifMatch(etag: current.info.etag))
                                done += 1
                            } catch let error as ObjectStoreError where error.code == .preconditionFailed {
                                continue
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let final = try await LocalFileStore(root: dir).get("counter")
            #expect(String(decoding: final.data, as: UTF8.self) == "80")
        }
    }

    @Test func tempFilesAreNeverListedOrVisible() async throws {
        try await TemporaryDirectory.with { dir in
            let store = try LocalFileStore(root: dir)
            // What a crash mid-write leaves behind: a temp file in the store's internal folder.
            let leftover = dir.appendingPathComponent(".cairn/tmp/leftover")
            try Data("partial".utf8).write(to: leftover)
            try await store.put("visible", data: Data("x".utf8))
            let keys = try await store.listAll(prefix: "").map(\.key)
            #expect(keys == ["visible"])
            await #expect(throws: ObjectStoreError.self) { try await store.get(".cairn/tmp/leftover") }
        }
    }

    @Test func staleTempFilesAreRemovedOnOpen() async throws {
        try await TemporaryDirectory.with { dir in
            _ = try LocalFileStore(root: dir)
            let stale = dir.appendingPathComponent(".cairn/tmp/stale")
            let fresh = dir.appendingPathComponent(".cairn/tmp/fresh")
            try Data("x".utf8).write(to: stale)
            try Data("x".utf8).write(to: fresh)
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: stale.path)
            _ = try LocalFileStore(root: dir)
            #expect(!FileManager.default.fileExists(atPath: stale.path))
            #expect(FileManager.default.fileExists(atPath: fresh.path), "a live writer's temp file must survive")
        }
    }

    @Test(arguments: ["", "/leading", "trailing/", "double//slash", "dot/./x", "dotdot/../x", ".cairn/tmp/x"])
    func keysAFileSystemCannotHoldAreRejected(_ key: String) async throws {
        try await TemporaryDirectory.with { dir in
            let store = try LocalFileStore(root: dir)
            await #expect {
                try await store.put(key, data: Data("x".utf8))
            } throws: { error in
                (error as? ObjectStoreError)?.code == .invalidArgument
            }
            #expect(try await store.listAll(prefix: "").isEmpty, "a rejected put must write nothing")
        }
    }

    @Test func aKeyBelowAnObjectIsRejectedClearly() async throws {
        try await TemporaryDirectory.with { dir in
            let store = try LocalFileStore(root: dir)
            try await store.put("file", data: Data("x".utf8))
            await #expect {
                try await store.put("file/child", data: Data("y".utf8))
            } throws: { error in
                (error as? ObjectStoreError)?.code == .invalidArgument
            }
            #expect(try await store.get("file").data == Data("x".utf8))
        }
    }

    @Test func deletingTheLastObjectRemovesEmptyFolders() async throws {
        try await TemporaryDirectory.with { dir in
            let store = try LocalFileStore(root: dir)
            try await store.put("x/y/z", data: Data())
            try await store.delete("x/y/z")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x").path))
        }
    }
}
