// Values of any column as JSON (for `cairn inspect arrow --json` and for comparing with pyarrow's
// `to_pylist()` in tests). Conventions: binary as lowercase hex, lists as arrays, structs as objects.

public indirect enum ArrowJSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([ArrowJSONValue])
    /// Keys in field order.
    case object([(String, ArrowJSONValue)])

    public static func == (a: ArrowJSONValue, b: ArrowJSONValue) -> Bool { a.serialized() == b.serialized() }
    public func hash(into h: inout Hasher) { h.combine(serialized()) }

    /// Compact JSON text.
    public func serialized() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .double(let d):
            if d.isFinite {
                out += "\(d)"
            } else {
                out += d.isNaN ? "\"NaN\"" : (d < 0 ? "\"-Infinity\"" : "\"Infinity\"")
            }
        case .string(let s): Self.quote(s, into: &out)
        case .array(let xs):
            out += "["
            for (i, x) in xs.enumerated() {
                if i > 0 { out += "," }
                x.write(to: &out)
            }
            out += "]"
        case .object(let kvs):
            out += "{"
            for (i, (k, v)) in kvs.enumerated() {
                if i > 0 { out += "," }
                Self.quote(k, into: &out)
                out += ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}

extension ArrowArray {
    /// Value i as JSON.
    public func jsonValue(at i: Int) -> ArrowJSONValue {
        if isNull(i) { return .null }
        switch type {
        case .bool: return .bool(BoolArray(array: self)[i])
        case .int32: return .int(Int64(PrimitiveArray<Int32>(array: self)[i]))
        case .int64: return .int(PrimitiveArray<Int64>(array: self)[i])
        case .uint32: return .uint(UInt64(PrimitiveArray<UInt32>(array: self)[i]))
        case .uint64: return .uint(PrimitiveArray<UInt64>(array: self)[i])
        case .float32: return .double(Double(PrimitiveArray<Float>(array: self)[i]))
        case .float64: return .double(PrimitiveArray<Double>(array: self)[i])
        case .utf8, .largeUtf8: return .string(StringArray(array: self)[i])
        case .binary, .largeBinary:
            let bytes = BinaryArray(array: self)[i]
            let digits = Array("0123456789abcdef".utf8)
            var hex = [UInt8]()
            hex.reserveCapacity(bytes.count * 2)
            for b in bytes {
                hex.append(digits[Int(b >> 4)])
                hex.append(digits[Int(b & 15)])
            }
            return .string(String(decoding: hex, as: UTF8.self))
        case .fixedSizeList(_, let size):
            let child = children[0]
            return .array((0..<size).map { child.jsonValue(at: i * size + $0) })
        case .list:
            let r = ListRange(self, i)
            return .array(r.map { children[0].jsonValue(at: $0) })
        case .structure(let fields):
            return .object(zip(fields, children).map { ($0.name, $1.jsonValue(at: i)) })
        }
    }
}

/// Positions of list i's values in its child (list offsets are validated when the array is loaded).
private func ListRange(_ a: ArrowArray, _ i: Int) -> Range<Int> {
    let p = a.buffers[0].pointer
    return Int(
        p.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))..<Int(
            p.loadUnaligned(fromByteOffset: (i + 1) * 4, as: Int32.self))
}
