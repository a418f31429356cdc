// Writing JSONValue as compact JSON text with sorted object keys, so that equal values encode to equal bytes, and
// as Python's repr, which Chroma's validation messages print ("got {'$gt': 'a'}").

extension JSONValue {
    /// Compact JSON text: no whitespace, object keys in code-point order, floats with a '.' or an exponent so they
    /// read back as floats. Non-finite floats (which JSON cannot express) are written as `null`; metadata validation
    /// refuses them before they get here.
    public var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .double(let value): JSONValue.writeDouble(value, to: &out)
        case .string(let value): JSONValue.writeString(value, to: &out)
        case .array(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(key, to: &out)
                out += ":"
                members[key]?.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeDouble(_ value: Double, to out: inout String) {
        guard value.isFinite else {
            out += "null"
            return
        }
        // Swift's description is the shortest text that reads back to the same Double ("1.0", "1e-05", "5e+20").
        out += value.description
    }

    static func writeString(_ value: String, to out: inout String) {
        out += "\""
        var needsEscape = false
        for byte in value.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscape = true
            break
        }
        if !needsEscape {
            out += value
            out += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// The value as Python prints it (`repr`), used in validation messages so they read like Chroma's:
    /// `True`, `None`, `'text'`, `1.0`, `[1, 2]`, `{'a': 1}` (keys sorted).
    public var pythonRepr: String {
        switch self {
        case .null: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .double(let value): return JSONValue.pythonFloat(value)
        case .string(let value): return JSONValue.pythonString(value)
        case .array(let elements): return "[" + elements.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .object(let members):
            return "{"
                + members.keys.sorted().map { JSONValue.pythonString($0) + ": " + (members[$0]?.pythonRepr ?? "None") }
                .joined(separator: ", ") + "}"
        }
    }

    /// The Python type name of the value, as Chroma's messages print it ("which is a dict").
    public var pythonTypeName: String {
        switch self {
        case .null: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        }
    }

    static func pythonFloat(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description
    }

    static func pythonString(_ value: String) -> String {
        let quote: Character = value.contains("'") && !value.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where Character(scalar) == quote: out += "\\" + String(quote)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append(quote)
        return out
    }
}
