// Paths to the repository's test fixtures (`Fixtures/`), found from this source file's location so that tests run
// from any working directory. Everything a test reads lives inside the repository.
import Foundation

public enum Fixtures {
    /// The repository's root folder.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // StorageTesting
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()

    /// `Fixtures/<path>` in the repository.
    public static func url(_ path: String) -> URL {
        repositoryRoot.appendingPathComponent("Fixtures").appendingPathComponent(path)
    }
}
