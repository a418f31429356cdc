// Scratch folders for tests: made fresh, removed afterwards.
import Foundation

public enum TemporaryDirectory {
    /// Creates a new empty folder under the system temp folder.
    public static func make(_ label: String = "cairn-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `body` with a new folder that is removed when it returns or throws.
    public static func with<T>(_ label: String = "cairn-test", _ body: (URL) async throws -> T) async throws -> T {
        let url = try make(label)
        defer { try? FileManager.default.removeItem(at: url) }
        return try await body(url)
    }
}
