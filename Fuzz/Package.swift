// swift-tools-version:6.1
// libFuzzer target for the Arrow IPC readers (longer runs than the deterministic fuzz test in ArrowIPCTests).
// Build and run (see docs/format.md):
//   swift build --package-path Fuzz --scratch-path Fuzz/.build -Xswiftc -sanitize=fuzzer,address \
//       -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld --product ArrowFuzz
//   Fuzz/.build/debug/ArrowFuzz -max_total_time=600 -max_len=65536 /tmp/arrowfuzz-corpus  (seeded with Fixtures/arrow)
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which depends on where the repository is checked out.
let cairn = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "CairnFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "ArrowFuzz",
            dependencies: ["CFuzzDriver", .product(name: "ArrowIPC", package: cairn)]),
    ],
    swiftLanguageModes: [.v6]
)
