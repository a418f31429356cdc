// Paths to the repository's test fixtures (`Fixtures/`) and to the shared kit beside the repository
// (`../shared/`), found from this source file's location so that tests run from any working directory.
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

    /// `../shared/<path>` beside the repository (the shared kit: SigV4 vectors, benchmark scripts).
    public static func shared(_ path: String) -> URL {
        repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared").appendingPathComponent(path)
    }
}
