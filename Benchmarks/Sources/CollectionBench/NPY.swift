// Reads the standard dataset's `.npy` cache (NumPy format v1/v2: magic, header dict, raw little-endian data), so the
// benchmark uses exactly the bytes chroma_bench.py feeds chromadb.
import Foundation

struct NPYArray {
    let shape: [Int]
    let dtype: String
    let data: Data

    static func load(_ path: String) throws -> NPYArray {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
        guard data.count >= 10, data.prefix(6) == Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) else {
            throw BenchError("\(path) is not a .npy file")
        }
        let major = data[data.startIndex + 6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(data[data.startIndex + 8]) | Int(data[data.startIndex + 9]) << 8
            headerStart = 10
        case 2, 3:
            headerLength = (0..<4).reduce(0) { $0 | Int(data[data.startIndex + 8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw BenchError("\(path): unknown .npy version \(major)")
        }
        let headerBytes = data.subdata(
            in: (data.startIndex + headerStart)..<(data.startIndex + headerStart + headerLength))
        guard let header = String(data: headerBytes, encoding: .ascii) else { throw BenchError("\(path): bad header") }
        guard !header.contains("'fortran_order': True") else { throw BenchError("\(path): Fortran order") }
        guard let descr = header.firstMatch(of: /'descr':\s*'([^']+)'/)?.1,
            let shapeText = header.firstMatch(of: /'shape':\s*\(([^)]*)\)/)?.1
        else { throw BenchError("\(path): header without descr/shape: \(header)") }
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return NPYArray(
            shape: shape, dtype: String(descr),
            data: data.subdata(in: (data.startIndex + headerStart + headerLength)..<data.endIndex))
    }

    var count: Int { shape.reduce(1, *) }

    func floats() throws -> [Float] {
        guard dtype == "<f4" else { throw BenchError("expected <f4, got \(dtype)") }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self).prefix(count)) }
    }

    /// Integers of any little-endian width, widened.
    func ints() throws -> [Int] {
        switch dtype {
        case "<i8": return data.withUnsafeBytes { $0.bindMemory(to: Int64.self).prefix(count).map { Int($0) } }
        case "<i4": return data.withUnsafeBytes { $0.bindMemory(to: Int32.self).prefix(count).map { Int($0) } }
        case "|i1", "<i1": return data.withUnsafeBytes { $0.bindMemory(to: Int8.self).prefix(count).map { Int($0) } }
        default: throw BenchError("unsupported integer dtype \(dtype)")
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
