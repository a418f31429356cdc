import Foundation
import Testing

// Cross-check of our FlatBuffers with the reference implementation: Debian's `flatc` decodes the metadata we
// write against the official Arrow .fbs files (Fixtures/arrow/fbs, Apache-2.0, vendored unmodified), and
// encodes JSON messages that our verifying reader must decode. Skipped when flatc is not installed.
@testable import ArrowIPC

private let flatcPath = ["/usr/bin/flatc", "/usr/local/bin/flatc"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

@Suite(
    "FlatBuffers cross-checked with flatc", .enabled(if: flatcPath != nil, "flatc (flatbuffers-compiler) not installed")
)
struct FlatcCrossCheckTests {
    let fbs = Fixtures.directory.appendingPathComponent("fbs")

    func run(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(flatcPath))
        p.arguments = ["--no-warnings"] + args
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "flatc \(args)")
    }

    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("flatc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// flatc's JSON view of `bytes` read as the root type of `schema`.
    func decode(_ bytes: [UInt8], schema: String) throws -> [String: Any] {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = dir.appendingPathComponent("m.bin")
        try Data(bytes).write(to: bin)
        try run([
            "--json", "--strict-json", "--defaults-json", "--raw-binary", "-o", dir.path,
            fbs.appendingPathComponent(schema).path, "--", bin.path,
        ])
        let json = try Data(contentsOf: dir.appendingPathComponent("m.json"))
        return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    }

    @Test("flatc reads our schema message: every field, type and metadata pair")
    func schemaMessage() throws {
        let m = try decode(MetadataEncoder.schemaMessage(SampleBatches.schema), schema: "Message.fbs")
        #expect(m["version"] as? String == "V5")
        #expect(m["header_type"] as? String == "Schema")
        let header = try #require(m["header"] as? [String: Any])
        let fields = try #require(header["fields"] as? [[String: Any]])
        #expect(fields.map { $0["name"] as? String } == SampleBatches.schema.fields.map(\.name))
        let types = fields.map { $0["type_type"] as? String ?? "?" }
        #expect(
            types == [
                "Utf8", "Binary", "LargeUtf8", "LargeBinary", "Bool", "Int", "Int", "Int", "Int", "FloatingPoint",
                "FloatingPoint", "FixedSizeList", "List", "List", "Struct_",
            ])
        let u64 = try #require(fields[8]["type"] as? [String: Any])
        #expect(u64["bitWidth"] as? Int == 64 && u64["is_signed"] as? Bool == false)
        #expect((fields[9]["type"] as? [String: Any])?["precision"] as? String == "SINGLE")
        #expect((fields[10]["type"] as? [String: Any])?["precision"] as? String == "DOUBLE")
        #expect((fields[11]["type"] as? [String: Any])?["listSize"] as? Int == 3)
        let embChildren = try #require(fields[11]["children"] as? [[String: Any]])
        #expect(embChildren.first?["type_type"] as? String == "FloatingPoint")
        #expect((fields[14]["children"] as? [Any])?.count == 3)
        #expect(fields[0]["nullable"] as? Bool == false)
        let kv = try #require(fields[0]["custom_metadata"] as? [[String: Any]])
        #expect(kv.first?["key"] as? String == "role" && kv.first?["value"] as? String == "sort-key")
        let schemaKV = try #require(header["custom_metadata"] as? [[String: Any]])
        #expect(Set(schemaKV.compactMap { $0["key"] as? String }) == ["cairn.block", "ünïcode"])
    }

    @Test("flatc reads our record batch message and footer")
    func batchAndFooter() throws {
        let layout = RecordBatchLayout(
            length: 5, nodes: [(5, 1), (5, 0)], buffers: [(0, 1), (64, 20), (128, 40)], compressed: true)
        let m = try decode(MetadataEncoder.recordBatchMessage(layout, bodyLength: 192), schema: "Message.fbs")
        #expect(m["header_type"] as? String == "RecordBatch")
        #expect(m["bodyLength"] as? Int == 192)
        let rb = try #require(m["header"] as? [String: Any])
        #expect(rb["length"] as? Int == 5)
        let nodes = try #require(rb["nodes"] as? [[String: Any]])
        #expect(nodes.map { $0["null_count"] as? Int } == [1, 0])
        let buffers = try #require(rb["buffers"] as? [[String: Any]])
        #expect(buffers.map { $0["offset"] as? Int } == [0, 64, 128])
        #expect(buffers.map { $0["length"] as? Int } == [1, 20, 40])
        #expect((rb["compression"] as? [String: Any])?["codec"] as? String == "ZSTD")

        let footer = try decode(
            MetadataEncoder.footer(SampleBatches.schema, blocks: [(8, 200, 1024), (1232, 184, 64)]), schema: "File.fbs")
        #expect(footer["version"] as? String == "V5")
        let blocks = try #require(footer["recordBatches"] as? [[String: Any]])
        #expect(blocks.map { $0["offset"] as? Int } == [8, 1232])
        #expect(blocks.map { $0["metaDataLength"] as? Int } == [200, 184])
        #expect(blocks.map { $0["bodyLength"] as? Int } == [1024, 64])
        #expect(((footer["schema"] as? [String: Any])?["fields"] as? [Any])?.count == 15)
    }

    @Test("our reader decodes a message flatc built from JSON")
    func readFlatcOutput() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = """
            {"version": "V5", "header_type": "Schema", "header": {"fields": [
              {"name": "key", "nullable": false, "type_type": "Utf8", "type": {},
               "custom_metadata": [{"key": "k", "value": "v"}]},
              {"name": "v", "nullable": true, "type_type": "FixedSizeList", "type": {"listSize": 8},
               "children": [{"name": "item", "nullable": true, "type_type": "FloatingPoint",
                             "type": {"precision": "SINGLE"}}]},
              {"name": "n", "nullable": true, "type_type": "Int", "type": {"bitWidth": 64, "is_signed": false}}],
              "custom_metadata": [{"key": "x", "value": "y"}]}}
            """
        let jsonURL = dir.appendingPathComponent("m.json")
        try Data(json.utf8).write(to: jsonURL)
        try run(["-b", "-o", dir.path, fbs.appendingPathComponent("Message.fbs").path, jsonURL.path])
        let bytes = [UInt8](try Data(contentsOf: dir.appendingPathComponent("m.bin")))
        let decoded = bytes.withUnsafeBytes { raw in
            Result { () throws(ArrowError) -> DecodedMessage in
                var d = MetadataDecoder(raw, limits: .default)
                return try d.message().0
            }
        }
        guard case .schema(let s) = try decoded.get() else {
            Issue.record("not a schema")
            return
        }
        #expect(
            s
                == ArrowSchema(
                    [
                        ArrowField("key", .utf8, nullable: false, metadata: ["k": "v"]),
                        ArrowField("v", .embedding(dimension: 8)), ArrowField("n", .uint64),
                    ], metadata: ["x": "y"]))
    }
}
