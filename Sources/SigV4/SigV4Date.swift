// The `YYYYMMDD'T'HHMMSS'Z'` timestamp of a signature, formatted by hand: DateFormatter costs more than
// the whole rest of a signature.
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A signing instant in UTC, with the two forms SigV4 uses.
public struct SigV4Timestamp: Sendable, Hashable {
    /// `20150830T123600Z`
    public let amzDate: String
    /// `20150830`
    public var dateStamp: Substring { amzDate.prefix(8) }

    public init(_ date: Date) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        func digits(_ value: Int32, _ width: Int) {
            var divisor: Int32 = 1
            for _ in 1..<width { divisor *= 10 }
            var value = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                value %= divisor
                divisor /= 10
            }
        }
        digits(parts.tm_year + 1900, 4)
        digits(parts.tm_mon + 1, 2)
        digits(parts.tm_mday, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(parts.tm_hour, 2)
        digits(parts.tm_min, 2)
        digits(parts.tm_sec, 2)
        bytes.append(UInt8(ascii: "Z"))
        amzDate = String(decoding: bytes, as: UTF8.self)
    }

    /// Parses `20150830T123600Z`; `nil` if `text` is not in that form.
    public init?(amzDate text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
            let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        self.init(Date(timeIntervalSince1970: TimeInterval(seconds)))
        guard amzDate == text else { return nil }
    }
}
