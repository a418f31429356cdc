import Foundation
import StorageTesting
import Testing

/// Reads a fixture produced by `Fixtures/bm25/generate.py`.
func fixtureText(_ name: String) throws -> String {
    try String(contentsOf: Fixtures.url("bm25").appendingPathComponent(name), encoding: .utf8)
}

/// The lines of a fixture, without the trailing empty line.
func fixtureLines(_ name: String) throws -> [Substring] {
    try fixtureText(name).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
}

/// Parses hexadecimal code point ranges such as `41-5A 5F`.
func parseRanges<S: StringProtocol>(_ fields: [S]) -> [ClosedRange<UInt32>] {
    fields.compactMap { field in
        let bounds = field.split(separator: "-").compactMap { UInt32($0, radix: 16) }
        guard let first = bounds.first, let last = bounds.last else { return nil }
        return first...last
    }
}
