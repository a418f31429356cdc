// Chroma's response shapes written as JSON text: the collection model, get and query results. Written by hand
// rather than through JSONValue trees because results can hold many embeddings; floats use Swift's shortest
// round-trip form, so a float32 reads back bit for bit.
import Cairn
import Catalog

struct JSONWriter {
    var out = ""

    mutating func raw(_ text: String) { out += text }
    mutating func string(_ text: String) { JSONValue.writeString(text, to: &out) }
    mutating func key(_ name: String) {
        if let last = out.last, last != "{" && last != "[" { out += "," }
        string(name)
        out += ":"
    }
    mutating func value(_ json: JSONValue) { json.write(to: &out) }

    mutating func float(_ value: Float) {
        if value.isFinite { out += value.description } else { out += "null" }
    }

    mutating func floats(_ values: [Float]) {
        out += "["
        for (i, value) in values.enumerated() {
            if i > 0 { out += "," }
            float(value)
        }
        out += "]"
    }

    mutating func list<T>(_ items: [T], _ each: (inout JSONWriter, T) -> Void) {
        out += "["
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            each(&self, item)
        }
        out += "]"
    }

    mutating func metadata(_ metadata: Metadata?) {
        guard let metadata else {
            out += "null"
            return
        }
        out += metadata.jsonText
    }

    mutating func optionalString(_ text: String?) {
        if let text { string(text) } else { out += "null" }
    }

    mutating func embedding(_ embedding: [Float]?) {
        if let embedding { floats(embedding) } else { out += "null" }
    }

    /// `value` written by `write`, or null.
    mutating func optional<T>(_ value: T?, _ write: (inout JSONWriter, T) -> Void) {
        if let value { write(&self, value) } else { out += "null" }
    }
}

enum ResponseJSON {
    /// Chroma's Collection model (`chromadb.types.Collection.from_json`).
    static func collection(_ collection: Collection, dimension: Int?) -> String {
        var w = JSONWriter()
        Self.collection(collection, dimension: dimension, into: &w)
        return w.out
    }

    static func collection(_ collection: Collection, dimension: Int?, into w: inout JSONWriter) {
        w.raw("{")
        w.key("id")
        w.string(collection.id)
        w.key("name")
        w.string(collection.name)
        w.key("configuration_json")
        w.value(.object(collection.configuration.chromaJSON))
        w.key("schema")
        w.value(collection.configuration.schema)
        w.key("metadata")
        w.metadata(collection.metadata)
        w.key("dimension")
        w.raw(dimension.map(String.init) ?? "null")
        w.key("tenant")
        w.string(collection.tenant)
        w.key("database")
        w.string(collection.database)
        w.key("log_position")
        w.raw("0")
        w.key("version")
        w.raw("0")
        w.raw("}")
    }

    static func database(_ record: DatabaseRecord) -> String {
        var w = JSONWriter()
        database(record, into: &w)
        return w.out
    }

    static func database(_ record: DatabaseRecord, into w: inout JSONWriter) {
        w.raw("{")
        w.key("id")
        w.string(record.id)
        w.key("name")
        w.string(record.name)
        w.key("tenant")
        w.string(record.tenant)
        w.raw("}")
    }

    static func includeList(_ fields: [IncludeField], into w: inout JSONWriter) {
        w.list(fields) { w, field in w.string(field.rawValue) }
    }

    static func get(_ result: GetResult) -> String {
        var w = JSONWriter()
        w.raw("{")
        w.key("ids")
        w.list(result.ids) { w, id in w.string(id) }
        w.key("embeddings")
        w.optional(result.embeddings) { w, embeddings in w.list(embeddings) { w, e in w.embedding(e) } }
        w.key("documents")
        w.optional(result.documents) { w, documents in w.list(documents) { w, d in w.optionalString(d) } }
        w.key("uris")
        w.optional(result.uris) { w, uris in w.list(uris) { w, uri in w.optionalString(uri) } }
        w.key("metadatas")
        w.optional(result.metadatas) { w, metadatas in w.list(metadatas) { w, m in w.metadata(m) } }
        w.key("include")
        includeList(result.include, into: &w)
        w.raw("}")
        return w.out
    }

    static func query(_ result: QueryResult) -> String {
        var w = JSONWriter()
        w.raw("{")
        w.key("ids")
        w.list(result.ids) { w, row in w.list(row) { w, id in w.string(id) } }
        w.key("embeddings")
        w.optional(result.embeddings) { w, embeddings in
            w.list(embeddings) { w, row in w.list(row) { w, e in w.embedding(e) } }
        }
        w.key("documents")
        w.optional(result.documents) { w, documents in
            w.list(documents) { w, row in w.list(row) { w, d in w.optionalString(d) } }
        }
        w.key("uris")
        w.optional(result.uris) { w, uris in w.list(uris) { w, row in w.list(row) { w, uri in w.optionalString(uri) } }
        }
        w.key("metadatas")
        w.optional(result.metadatas) { w, metadatas in
            w.list(metadatas) { w, row in w.list(row) { w, m in w.metadata(m) } }
        }
        w.key("distances")
        w.optional(result.distances) { w, distances in w.list(distances) { w, row in w.floats(row) } }
        w.key("include")
        includeList(result.include, into: &w)
        w.raw("}")
        return w.out
    }
}
