// The key layout of docs/architecture.md ("Object layout"), owned by ObjectPath.
import ObjectStore
import Testing

@Suite struct ObjectPathTests {
    let collection = ObjectPath(prefix: "/data/cairn/").collection(tenant: "t", database: "db", collectionID: "c1")

    @Test func keysFollowTheDesignLayout() {
        #expect(collection.log(offset: 42) == "data/cairn/tenant/t/database/db/collection/c1/log/00000000000000000042")
        #expect(
            collection.version(7) == "data/cairn/tenant/t/database/db/collection/c1/version/00000000000000000007.json")
        #expect(
            collection.block(segmentID: "s", blockID: "b")
                == "data/cairn/tenant/t/database/db/collection/c1/segment/s/block/b")
        #expect(
            collection.root(segmentID: "s", rootID: "r")
                == "data/cairn/tenant/t/database/db/collection/c1/segment/s/root/r")
        #expect(
            collection.hnswFile(segmentID: "s", indexID: "i", file: "header.bin")
                == "data/cairn/tenant/t/database/db/collection/c1/segment/s/hnsw/i/header.bin")
        #expect(
            ObjectPath().collection(tenant: "t", database: "d", collectionID: "c").root
                == "tenant/t/database/d/collection/c/")
    }

    @Test func logAndVersionKeysParseBackAndSortNumerically() {
        let offsets: [UInt64] = [0, 9, 10, 99, 100, 12345, UInt64.max]
        let keys = offsets.map { collection.log(offset: $0) }
        #expect(keys.map { collection.logOffset(ofKey: $0) } == offsets)
        #expect(keys == keys.sorted(), "byte order of keys must be numeric order")
        #expect(collection.versionNumber(ofKey: collection.version(31)) == 31)
        #expect(collection.logOffset(ofKey: collection.logPrefix + "12") == nil)
        #expect(collection.versionNumber(ofKey: collection.logPrefix + "00000000000000000001") == nil)
    }

    @Test func segmentPathsParseFromUserInput() {
        let segment = collection.segment("seg-1")
        #expect(SegmentPath(parsing: segment.base) == segment)
        #expect(SegmentPath(parsing: segment.root) == segment)
        #expect(segment.segmentID == "seg-1")
        #expect(segment.block("b") == collection.block(segmentID: "seg-1", blockID: "b"))
        #expect(SegmentPath(parsing: "tenant/t/database/d") == nil)
        #expect(SegmentPath(parsing: "x/segment/") == nil)
    }

    @Test func storeURLsParse() throws {
        #expect(try StoreLocation(parsing: "file:///tmp/x%20y") == .file(path: "/tmp/x y"))
        #expect(
            try StoreLocation(parsing: "s3://bucket/pre/fix?endpoint=http://127.0.0.1:9000&region=eu-west-1")
                == .s3(
                    bucket: "bucket", key: "pre/fix",
                    options: ["endpoint": "http://127.0.0.1:9000", "region": "eu-west-1"]))
        #expect(try StoreLocation(parsing: "s3://bucket") == .s3(bucket: "bucket", key: "", options: [:]))
        for bad in ["http://x", "file://relative", "s3:///key", "bucket/key"] {
            #expect(throws: ObjectStoreError.self) { try StoreLocation(parsing: bad) }
        }
    }
}
