// `cairn inspect blockfile URL ROOT_ID`: a blockfile version's root (blocks, key ranges, counts, sizes) and,
// on request, its entries. URL names the segment: file:///data/tenant/t/database/d/collection/c/segment/s or
// s3://bucket/prefix/tenant/…/segment/s.
import ArgumentParser
import Bitmaps
import Blockfile
import Foundation
import ObjectStore

struct InspectBlockfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blockfile", abstract: "Print a blockfile version's root and, optionally, its entries.")

    @OptionGroup var connection: StoreConnectionOptions

    @Argument(help: "The segment holding the blockfile (a URL ending in segment/SEGMENT_ID).")
    var url: String

    @Argument(help: "The id of the root (the version) to print.")
    var rootID: String

    @Option(help: "Print the first N entries (0: none).")
    var entries = 0

    @Option(help: "Print entries with this prefix only.")
    var prefix: String?

    func run() async throws {
        try await runStoreCommand("inspect blockfile") {
            let (store, key) = try connection.open(url, folderIsStore: true)
            guard let segment = SegmentPath(parsing: key) else {
                throw CommandFailure("'\(url)' does not name a segment (…/segment/SEGMENT_ID)")
            }
            let location = BlockfileLocation(segment: segment)
            let cache = BlockCache(blockCapacity: 256 << 20)
            let rootData = try await store.get(segment.root(rootID)).data
            let root = try BlockfileRoot(decoding: rootData, rootID: rootID)
            printRoot(root, rootBytes: rootData.count)
            guard entries > 0 || prefix != nil else { return }
            switch root.valueType {
            case .string: try await dump(BlockfileReader<String>.self, store, location, cache)
            case .uint32: try await dump(BlockfileReader<UInt32>.self, store, location, cache)
            case .uint32List: try await dump(BlockfileReader<[UInt32]>.self, store, location, cache)
            case .float32List: try await dump(BlockfileReader<[Float]>.self, store, location, cache)
            case .roaringBitmap: try await dump(BlockfileReader<RoaringBitmap>.self, store, location, cache)
            case .dataRecord: try await dump(BlockfileReader<DataRecord>.self, store, location, cache)
            }
        }
    }

    private func printRoot(_ root: BlockfileRoot, rootBytes: Int) {
        print("blockfile \(root.blockfileID)  root \(root.rootID) (\(rootBytes) bytes)")
        print(
            "keys: \(root.keyType.rawValue)  values: \(root.valueType.rawValue)  entries: \(root.count)  blocks: \(root.blocks.count)  bytes: \(root.byteSize)  max block size: \(root.maxBlockSize)"
        )
        for (index, block) in root.blocks.enumerated() {
            let delta = block.deltaID.map { "  + delta \($0) (\(block.deltaByteSize) bytes)" } ?? ""
            print(
                "  [\(index)] \(block.blockID)  \(block.count) entries  \(block.byteSize) bytes\(delta)  \(block.firstKey) … \(block.lastKey)"
            )
        }
    }

    private func dump<Value>(
        _: BlockfileReader<Value>.Type, _ store: any ObjectStore, _ location: BlockfileLocation, _ cache: BlockCache
    ) async throws {
        let reader = try await BlockfileReader<Value>.open(
            store: store, location: location, rootID: rootID, cache: cache)
        let limit = entries > 0 ? entries : Int.max
        var shown = 0
        let scan = prefix.map { reader.scan(prefix: $0) } ?? reader.scan()
        for try await (key, value) in scan {
            guard shown < limit else { break }
            print("\(key) → \(value)")
            shown += 1
        }
    }
}
