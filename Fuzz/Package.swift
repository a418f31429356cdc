// swift-tools-version:6.1
// libFuzzer target for the Arrow IPC readers (longer runs than the deterministic fuzz test in ArrowIPCTests).
// Build and run (see docs/format.md):
//   swift build --package-path Fuzz --scratch-path Fuzz/.build -Xswiftc -sanitize=fuzzer,address \
//       -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld --product ArrowFuzz
//   Fuzz/.build/debug/ArrowFuzz -max_total_time=600 -max_len=65536 /tmp/arrowfuzz-corpus  (seeded with Fixtures/arrow)
import PackageDescription

let package = Package(
    name: "CairnFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Cairn", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "ArrowFuzz",
            dependencies: ["CFuzzDriver", .product(name: "ArrowIPC", package: "Cairn")]),
    ],
    swiftLanguageModes: [.v6]
)
