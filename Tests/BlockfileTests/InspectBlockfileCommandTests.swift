// `cairn inspect blockfile` end to end on a local store: the root's blocks and the entries.
import Blockfile
import Foundation
import ObjectStore
import StorageTesting
import Testing

@Suite(.enabled(if: CairnBinary.isAvailable, "needs the built cairn binary"))
struct InspectBlockfileCommandTests {
    @Test func printsTheRootAndEntries() async throws {
        try await TemporaryDirectory.with { dir in
            let store = try LocalFileStore(root: dir)
            let segment = ObjectPath().collection(tenant: "t", database: "d", collectionID: "c").segment("s1")
            let writer = OrderedBlockfileWriter<String>(
                store: store, location: BlockfileLocation(segment: segment), keyType: .uint32,
                cache: BlockCache(blockCapacity: 1 << 20), maxBlockSize: 4096)
            for i in 0..<500 { try await writer.append(BlockfileKey("doc", UInt32(i)), "text \(i)") }
            let reader = try await writer.commit()
            let url = "file://" + dir.appendingPathComponent(segment.base).path
            let result = try CairnBinary.run(["inspect", "blockfile", url, reader.root.rootID, "--entries", "3"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.output.contains("entries: 500"), "\(result.output)")
            #expect(result.output.contains("blocks: \(reader.root.blocks.count)"))
            #expect(result.output.contains(reader.root.blocks[0].blockID))
            #expect(result.output.contains("(\"doc\", 2) → text 2"), "\(result.output)")

            let missing = try CairnBinary.run(["inspect", "blockfile", url, "no-such-root"])
            #expect(missing.status != 0)
            #expect(missing.stderr.split(separator: "\n").count == 1, "one line: \(missing.stderr)")
        }
    }
}
