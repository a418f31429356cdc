// swift-tools-version:6.1
// Cairn's benchmarks: plain executables over the parent package, run by `make bench` (Benchmarks/run-*.sh),
// each beside the reference tool it is compared with.
import PackageDescription

let package = Package(
    name: "CairnBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Cairn", path: "..")],
    targets: [
        .executableTarget(
            name: "IndexBench",
            dependencies: [.product(name: "VectorIndex", package: "Cairn")]),
    ],
    swiftLanguageModes: [.v6]
)
