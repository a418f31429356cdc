// `cairn inspect bitmap FILE`: print a Roaring bitmap in the portable format (as metadata indexes store them).
// `--write-samples DIR` writes sample bitmaps for the pyroaring interoperability check.
import ArgumentParser
import Bitmaps
import Foundation

struct InspectBitmapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bitmap", abstract: "Print a Roaring bitmap (portable format).")

    @Argument(help: "A file holding one bitmap in the portable Roaring format.")
    var file: String?

    @Option(help: "Print at most this many members.")
    var limit = 50

    @Option(help: "Write sample bitmaps and samples.json into this folder (for interoperability checks).")
    var writeSamples: String?

    func run() throws {
        if let folder = writeSamples {
            try writeSampleBitmaps(into: URL(fileURLWithPath: folder, isDirectory: true))
            return
        }
        guard let file else { throw ValidationError("name a bitmap file, or pass --write-samples DIR") }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw CommandFailure("cannot read \(file): \(error.localizedDescription)")
        }
        let bitmap: RoaringBitmap
        do {
            bitmap = try RoaringBitmap(serialized: bytes)
        } catch {
            throw CommandFailure("\(file): \(error)")
        }
        print(
            "members: \(bitmap.count)  bytes: \(bytes.count)  min: \(bitmap.min.map(String.init) ?? "-")  max: \(bitmap.max.map(String.init) ?? "-")"
        )
        let shown = bitmap.array.prefix(limit).map(String.init).joined(separator: " ")
        print(shown + (bitmap.count > limit ? " …" : ""))
    }

    private func writeSampleBitmaps(into folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var samples: [String: [UInt32]] = [
            "empty": [],
            "small": [0, 7, 65535, 65536, 1 << 20, UInt32.max],
            "dense": Array(stride(from: 0, to: 70_000, by: 3)).map { UInt32($0) },
            "runs": Array(5000..<60_000).map { UInt32($0) },
        ]
        var state: UInt64 = 42
        samples["random"] = (0..<3000).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt32(truncatingIfNeeded: state >> 32)
        }
        var manifest: [String: [UInt32]] = [:]
        for (name, values) in samples {
            let bitmap = RoaringBitmap(values)
            try bitmap.serialized().write(to: folder.appendingPathComponent(name + ".bin"))
            manifest[name] = bitmap.array
        }
        try JSONEncoder().encode(manifest).write(to: folder.appendingPathComponent("samples.json"))
        print("wrote \(samples.count) bitmaps to \(folder.path)")
    }
}

/// A command failure: printed as one line on stderr, exit code 1, never a stack trace.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
