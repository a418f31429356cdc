// `cairn demo`: the main job on the embedded local store. For now it exercises the storage layer end to end
// on a local folder — the layout Cairn uses, atomic and conditional writes, ranged reads, listing — and
// grows into the full vector-database demo as the layers above land.
import ArgumentParser
import Foundation
import ObjectStore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the demo on a local folder (started fresh each run).")

    @Option(help: "Folder for the demo's data; it is emptied first.")
    var path: String = "demo-data"

    func run() async throws {
        let root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
        try? FileManager.default.removeItem(at: root)
        let store = try LocalFileStore(root: root)
        let layout = ObjectPath(prefix: "").collection(
            tenant: "default_tenant", database: "default_database",
            collectionID: "demo")
        print("Cairn demo — local store at \(root.path)")

        print("1. Appending 100 log fragments with conditional puts (no two writers can own an offset)…")
        let start = ContinuousClock.now
        for offset in 1...100 {
            let record = "{\"offset\":\(offset),\"op\":\"add\",\"id\":\"doc-\(offset)\"}"
            try await store.put(layout.log(offset: UInt64(offset)), data: Data(record.utf8), condition: .ifNoneMatch)
        }
        print("   done in \(ContinuousClock.now - start)")

        print("2. A second writer tries to take offset 42:")
        do {
            try await store.put(layout.log(offset: 42), data: Data("intruder".utf8), condition: .ifNoneMatch)
            print("   !! the conditional put succeeded: this is a bug")
            throw ExitCode.failure
        } catch let error as ObjectStoreError {
            print("   refused as it must be: \(error)")
        }

        print("3. Reading back, whole and by range:")
        let fragment = try await store.get(layout.log(offset: 42))
        print("   log/42 = \(String(decoding: fragment.data, as: UTF8.self)) (ETag \(fragment.info.etag))")
        let head = try await store.get(layout.log(offset: 42), range: .slice(offset: 0, length: 12))
        print("   first 12 bytes: \(String(decoding: head.data, as: UTF8.self))")

        print("4. Publishing a version manifest with compare-and-swap semantics (ifNoneMatch):")
        let manifest = Data("{\"version\":1,\"log_offset\":100}".utf8)
        try await store.put(layout.version(1), data: manifest, condition: .ifNoneMatch)
        print("   \(layout.version(1))")

        print("5. Listing the collection, 25 keys a page:")
        var continuation: String?
        var pages = 0
        var total = 0
        repeat {
            let page = try await store.list(prefix: layout.root, continuation: continuation, maxKeys: 25)
            pages += 1
            total += page.objects.count
            continuation = page.continuation
        } while continuation != nil
        print("   \(total) objects in \(pages) pages")

        print("6. Deleting log fragments below offset 50 (what compaction will do):")
        for offset in 1..<50 { try await store.delete(layout.log(offset: UInt64(offset))) }
        let remaining = try await store.listAll(prefix: layout.logPrefix)
        print("   \(remaining.count) fragments left, first is \(remaining.first?.key ?? "none")")
        guard remaining.count == 51 else {
            print("   !! expected 51 fragments")
            throw ExitCode.failure
        }
        print("Demo finished: every object is a plain file under \(root.path)/")
    }
}
