import Foundation
// Reads NumPy `.npy` files (format 1.x/2.x, little-endian, C order): how the benchmark dataset is
// stored. Used by `cairn bench index` and Benchmarks/IndexBench.
import VectorIndex

public struct NumpyFile: Sendable {
    public enum ElementType: String, Sendable {
        case float32 = "<f4"
        case int32 = "<i4"
        case int64 = "<i8"
        case int8 = "|i1"
    }

    public let type: ElementType
    public let shape: [Int]
    public let payload: Data

    /// Refuses anything but the types above, C order, and payloads of the declared size.
    public init(contentsOf url: URL) throws(VectorIndexError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw VectorIndexError(.io, "cannot read \(url.path): \(error)")
        }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, bytes[0] == 0x93, String(decoding: bytes[1..<6], as: UTF8.self) == "NUMPY" else {
            throw VectorIndexError(.corrupt, "\(url.path) is not a .npy file")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw VectorIndexError(.corrupt, "\(url.path): short header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw VectorIndexError(.unsupportedVersion, "\(url.path): .npy format version \(major) is not supported")
        }
        guard data.count >= headerStart + headerLength else {
            throw VectorIndexError(.corrupt, "\(url.path): short header")
        }
        let header = String(decoding: data[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        func field(_ name: String) -> String? {
            guard let range = header.range(of: "'\(name)':") else { return nil }
            return String(header[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let descr = field("descr")?.split(separator: "'").first.map(String.init),
            let type = ElementType(rawValue: descr)
        else { throw VectorIndexError(.invalidArgument, "\(url.path): unsupported dtype in \(header)") }
        guard field("fortran_order")?.hasPrefix("False") == true else {
            throw VectorIndexError(.invalidArgument, "\(url.path): Fortran order is not supported")
        }
        guard let shapeText = field("shape"), let open = shapeText.firstIndex(of: "("),
            let close = shapeText.firstIndex(of: ")")
        else { throw VectorIndexError(.corrupt, "\(url.path): no shape in \(header)") }
        let shape = shapeText[shapeText.index(after: open)..<close].split(separator: ",")
            .compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let elementSize: Int
        switch type {
        case .float32, .int32: elementSize = 4
        case .int64: elementSize = 8
        case .int8: elementSize = 1
        }
        let expected = shape.reduce(1, *) * elementSize
        let start = headerStart + headerLength
        guard data.count - start == expected else {
            throw VectorIndexError(
                .corrupt, "\(url.path): \(data.count - start) payload bytes, shape needs \(expected)")
        }
        self.type = type
        self.shape = shape
        self.payload = data.subdata(in: start..<data.count)
    }

    public func floats() throws(VectorIndexError) -> [Float] {
        guard type == .float32 else { throw VectorIndexError(.invalidArgument, "expected float32, found \(type)") }
        return payload.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Integer payloads widened to Int.
    public func integers() throws(VectorIndexError) -> [Int] {
        switch type {
        case .int32: return payload.withUnsafeBytes { $0.bindMemory(to: Int32.self).map { Int($0) } }
        case .int64: return payload.withUnsafeBytes { $0.bindMemory(to: Int64.self).map { Int($0) } }
        case .int8: return payload.withUnsafeBytes { $0.bindMemory(to: Int8.self).map { Int($0) } }
        case .float32: throw VectorIndexError(.invalidArgument, "expected integers, found float32")
        }
    }
}
