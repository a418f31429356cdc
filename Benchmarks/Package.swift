// swift-tools-version:6.1
// Cairn's benchmarks: plain executables over the parent package, run in release by Benchmarks/run-*.sh next
// to the reference tools (pyarrow, hnswlib, chromadb) in the same run.
import PackageDescription

let package = Package(
    name: "CairnBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Cairn", path: "..")],
    targets: [
        .executableTarget(
            name: "ArrowBench",
            dependencies: [.product(name: "ArrowIPC", package: "Cairn")]),
    ],
    swiftLanguageModes: [.v6]
)
