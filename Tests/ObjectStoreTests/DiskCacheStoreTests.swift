// The disk cache in front of a remote store: immutable objects are served from disk once read or written, other
// keys always go to the remote store, the cache stays within its bytes (least recently used out), and survives a
// restart.
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite struct DiskCacheStoreTests {
    static let block = "tenant/t/database/d/collection/c/segment/s/block/b1"
    static let block2 = "tenant/t/database/d/collection/c/segment/s/block/b2"
    static let log = "tenant/t/database/d/collection/c/log/00000000000000000001"

    @Test func writtenOnceKeysFollowTheLayout() {
        #expect(ObjectPath.isWrittenOnce(Self.block))
        #expect(ObjectPath.isWrittenOnce("p/tenant/t/database/d/collection/c/segment/s/hnsw/i/index.bin"))
        #expect(ObjectPath.isWrittenOnce("tenant/t/database/d/collection/c/version/00000000000000000002.json"))
        #expect(!ObjectPath.isWrittenOnce(Self.log))
        #expect(!ObjectPath.isWrittenOnce("tenant/t/database/d/names/docs.json"))
        #expect(!ObjectPath.isWrittenOnce("tenant/t/tenant.json"))
        let path = ObjectPath().collection(tenant: "t", database: "d", collectionID: "c")
        #expect(path.kind(ofKey: Self.block) == .block)
        #expect(path.kind(ofKey: Self.log) == .log)
        #expect(path.kind(ofKey: path.version(3)) == .manifest)
        #expect(path.kind(ofKey: path.root(segmentID: "s", rootID: "r")) == .root)
        #expect(path.kind(ofKey: path.hnswFile(segmentID: "s", indexID: "i", file: "index.bin")) == .hnsw)
        #expect(path.kind(ofKey: path.base + "/notes.txt") == nil)
        #expect(path.kind(ofKey: "tenant/t/database/d/collection/other/log/00000000000000000001") == nil)
    }

    @Test func immutableObjectsAreServedFromDiskAndMutableOnesNever() async throws {
        try await TemporaryDirectory.with { folder in
            let remote = InMemoryStore()
            let cached = try await DiskCacheStore(
                remote, directory: folder, capacityBytes: 1 << 20, isImmutable: ObjectPath.isWrittenOnce)
            try await remote.put(Self.block, data: Data("block one".utf8))
            try await cached.put(Self.log, data: Data("log".utf8))
            #expect(cached.localFile(Self.block) == nil)
            #expect(try await cached.get(Self.block).data == Data("block one".utf8))
            // Gone from the remote store (behind the cache's back): still served, from disk.
            try await remote.delete(Self.block)
            #expect(try await cached.get(Self.block).data == Data("block one".utf8))
            #expect(cached.localFile(Self.block) != nil)
            #expect(try await cached.get(Self.block, range: .slice(offset: 2, length: 3)).data == Data("ock".utf8))
            // The log is not cached.
            try await remote.delete(Self.log)
            await #expect(throws: ObjectStoreError.self) { _ = try await cached.get(Self.log) }

            // A restarted node finds what the cache held.
            let again = try await DiskCacheStore(
                remote, directory: folder, capacityBytes: 1 << 20, isImmutable: ObjectPath.isWrittenOnce)
            #expect(try await again.get(Self.block).data == Data("block one".utf8))
            // A delete through the cache removes both copies.
            try await again.delete(Self.block)
            #expect(again.localFile(Self.block) == nil)
        }
    }

    @Test func theCacheStaysWithinItsBytesDroppingTheLeastRecentlyUsed() async throws {
        try await TemporaryDirectory.with { folder in
            let remote = InMemoryStore()
            let cached = try await DiskCacheStore(
                remote, directory: folder, capacityBytes: 1500, isImmutable: ObjectPath.isWrittenOnce)
            try await cached.put(Self.block, data: Data(repeating: 1, count: 1000))
            try await cached.put(Self.block2, data: Data(repeating: 2, count: 1000))
            #expect(cached.cachedBytes <= 1500)
            #expect(cached.localFile(Self.block) == nil && cached.localFile(Self.block2) != nil)
            #expect(try await cached.get(Self.block).data.count == 1000)  // from the remote store, cached again
            #expect(cached.localFile(Self.block) != nil && cached.localFile(Self.block2) == nil)
        }
    }
}
