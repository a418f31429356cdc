// `cairn inspect arrow FILE`: the schema, metadata and first rows of any Arrow IPC file or stream (Cairn's
// or pyarrow's), as text or one JSON object. Unreadable input is one line on stderr and exit code 1.
import ArgumentParser
import ArrowIPC
import Foundation

struct InspectArrowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arrow", abstract: "Print the schema, metadata and first rows of an Arrow IPC file or stream.")

    @Argument(help: "An Arrow IPC file (.arrow) or stream (.arrows).")
    var file: String?

    @Flag(help: "Print one JSON object: schema, metadata, batches, num_rows, rows.")
    var json = false

    @Option(help: "How many rows to print.")
    var rows = 10

    @Option(help: .hidden)
    var writeSample: String?

    func run() throws {
        if let dir = writeSample {
            try runTool { () throws(ArrowError) in try ArrowSample.writeAll(to: dir) }
            return
        }
        guard let file else { throw ValidationError("give a FILE to inspect") }
        let out = try runTool { () throws(ArrowError) -> String in try render(file) }
        print(out)
    }

    /// Turns an `ArrowError` into the one-line message and exit code 1.
    private func runTool<R>(_ body: () throws(ArrowError) -> R) throws -> R {
        do {
            return try body()
        } catch {
            FileHandle.standardError.write(Data("cairn: \(file ?? "-"): \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    private func render(_ path: String) throws(ArrowError) -> String {
        let contents = try ArrowIPCContents(storage: ByteStorage(mappingFileAt: path))
        var numRows = 0
        var shown: [[(String, ArrowJSONValue)]] = []
        for i in 0..<contents.batchCount {
            let b = try contents.recordBatch(at: i)
            numRows += b.count
            var r = 0
            while shown.count < rows && r < b.count {
                shown.append(zip(b.schema.fields, b.columns).map { ($0.name, $1.jsonValue(at: r)) })
                r += 1
            }
        }
        let schema = contents.schema
        if json {
            let fields = ArrowJSONValue.array(
                schema.fields.map { f in
                    var kv: [(String, ArrowJSONValue)] = [
                        ("name", .string(f.name)), ("type", .string(f.type.description)),
                        ("nullable", .bool(f.nullable)),
                    ]
                    if !f.metadata.isEmpty { kv.append(("metadata", Self.object(f.metadata))) }
                    return .object(kv)
                })
            let object = ArrowJSONValue.object([
                ("format", .string(contents.format.rawValue)),
                ("schema", fields),
                ("metadata", Self.object(schema.metadata)),
                ("batches", .int(Int64(contents.batchCount))),
                ("num_rows", .int(Int64(numRows))),
                ("rows", .array(shown.map { .object($0) })),
            ])
            return object.serialized()
        }
        var lines = ["format: Arrow IPC \(contents.format.rawValue)", "schema:"]
        for f in schema.fields {
            var line = "  \(f.name): \(f.type)\(f.nullable ? "" : " not null")"
            if !f.metadata.isEmpty { line += "  " + Self.object(f.metadata).serialized() }
            lines.append(line)
        }
        if !schema.metadata.isEmpty { lines.append("metadata: " + Self.object(schema.metadata).serialized()) }
        lines.append("batches: \(contents.batchCount)")
        lines.append("num_rows: \(numRows)")
        lines.append("first \(shown.count) rows:")
        for row in shown { lines.append("  " + ArrowJSONValue.object(row).serialized()) }
        return lines.joined(separator: "\n")
    }

    private static func object(_ m: [String: String]) -> ArrowJSONValue {
        .object(m.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }
}
