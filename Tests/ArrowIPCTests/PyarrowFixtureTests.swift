// Files written by pyarrow (Fixtures/arrow, made by generate.py) are read here and every value compared with
// what pyarrow itself reported in expected.json: schema, metadata, nulls, unicode, compression, both formats.
import ArrowIPC
import Foundation
import Testing

@Suite("Reading pyarrow's files")
struct PyarrowFixtureTests {
    static let names = (try? Fixtures.all()) ?? []

    func open(_ name: String) throws -> (ArrowSchema, [RecordBatch]) {
        if name.hasSuffix(".arrows") {
            let r = try ArrowStreamReader(data: try Fixtures.data(name))
            return (r.schema, r.batches)
        }
        let r = try ArrowFileReader(path: Fixtures.path(name))
        return (r.schema, try r.recordBatches())
    }

    @Test("the fixture set covers every format variant")
    func coverage() throws {
        #expect(Self.names.count >= 10)
        #expect(Self.names.contains("nested_zstd.arrow"))
        #expect(Self.names.contains("nested.arrows"))
    }

    @Test("every value of every fixture equals pyarrow's", arguments: names)
    func values(name: String) throws {
        let expected = try #require(try Fixtures.expected()[name] as? [String: Any])
        let (schema, batches) = try open(name)
        let fields = try #require(expected["fields"] as? [[String: Any]])
        #expect(schema.fields.count == fields.count)
        for (f, e) in zip(schema.fields, fields) {
            #expect(f.name == e["name"] as? String)
            #expect(f.type.description == e["type"] as? String)
            #expect(f.nullable == e["nullable"] as? Bool)
            #expect(f.metadata == e["metadata"] as? [String: String])
        }
        #expect(schema.metadata == expected["metadata"] as? [String: String])
        let eb = try #require(expected["batches"] as? [[String: [Any]]])
        #expect(batches.count == eb.count)
        for (batch, e) in zip(batches, eb) {
            for (i, f) in schema.fields.enumerated() {
                let column = batch.columns[i]
                let want = try #require(e[f.name])
                #expect(column.length == want.count, "\(name) \(f.name)")
                for row in 0..<min(column.length, want.count) {
                    let got = column.jsonValue(at: row)
                    #expect(
                        jsonMatches(got, want[row]), "\(name) \(f.name)[\(row)]: \(got.serialized()) vs \(want[row])")
                }
            }
        }
    }

    @Test("typed views read pyarrow's nested file in place")
    func typedViews() throws {
        let r = try ArrowFileReader(path: Fixtures.path("nested.arrow"))
        let b = try r.recordBatch(at: 0)
        let keys = try b.strings("key")
        #expect(keys.count == 12)
        #expect(keys[0] == "k0000" && keys[11] == "k0011")
        #expect(keys.lowerBound(of: "k0005") == 5)
        #expect(keys.lowerBound(of: "k00055") == 6)
        #expect(keys.lowerBound(of: "") == 0)
        #expect(keys.lowerBound(of: "z") == 12)
        let emb = try b.float32Vectors("embedding")
        #expect(emb.dimension == 4)
        #expect(emb[2] == [2, 2.25, 2.5, 2.75])
        #expect(emb.value(at: 3) == nil)
        let ids = try b.lists("ids", of: UInt32.self)
        #expect(ids[1] == [1])
        #expect(ids.value(at: 2) == nil)
        #expect(ids[5] == [5, 6])
        let meta = try b.structure("meta")
        let a = try #require(meta.child(named: "a")).primitives(Int32.self)
        #expect(a[7] == 7)
        #expect(meta[4] == false)
        #expect(r.metadata["cairn.format"] == "block")
        #expect(r.schema.fields[0].metadata["role"] == "sort-key")
        #expect(r.schema.fields[0].nullable == false)
    }

    @Test("a file's storage is the mapped file: columns point into it, not into copies")
    func zeroCopy() throws {
        let r = try ArrowFileReader(path: Fixtures.path("primitives.arrow"))
        let b = try r.recordBatch(at: 0)
        let dense = try b.primitives("dense", as: UInt32.self)
        let base = UInt(bitPattern: r.storage.bytes.baseAddress)
        dense.withUnsafeBufferPointer { p in
            let addr = UInt(bitPattern: p.baseAddress)
            #expect(addr >= base && addr < base + UInt(r.storage.count))
        }
        #expect(Array(dense) == Array(0..<10))
    }
}
