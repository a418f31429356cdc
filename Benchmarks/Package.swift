// swift-tools-version:6.1
// Cairn's benchmarks: plain executables over the parent package, run in release by Benchmarks/run-*.sh next
// to the reference tools (pyarrow, hnswlib, chromadb) in the same run.
import PackageDescription

let package = Package(
    name: "CairnBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Cairn", path: ".."),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "ArrowBench",
            dependencies: [.product(name: "ArrowIPC", package: "Cairn")]),
        .executableTarget(
            name: "BlockfileBench",
            dependencies: [
                .product(name: "Blockfile", package: "Cairn"), .product(name: "ObjectStore", package: "Cairn"),
                .product(name: "ObjectStoreS3", package: "Cairn"), .product(name: "GRDB", package: "GRDB.swift"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
