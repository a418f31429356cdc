// swift-tools-version:6.1
// Cairn's benchmarks: plain executables over the parent package (by path), kept out of `swift test`.
// `make bench` runs every Benchmarks/run-*.sh, each beside its reference tool in the same run.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which depends on where the repository is checked out.
let cairn = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let package = Package(
    name: "CairnBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "ArrowBench",
            dependencies: [.product(name: "ArrowIPC", package: cairn)]),
        .executableTarget(
            name: "BlockfileBench",
            dependencies: [
                .product(name: "Blockfile", package: cairn), .product(name: "ObjectStore", package: cairn),
                .product(name: "ObjectStoreS3", package: cairn), .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .executableTarget(
            name: "CollectionBench",
            dependencies: [.product(name: "Cairn", package: cairn), .product(name: "Segments", package: cairn)]),
        .executableTarget(
            name: "IndexBench",
            dependencies: [
                .product(name: "VectorIndex", package: cairn), .product(name: "IndexBenchmarking", package: cairn),
                .product(name: "ObjectStore", package: cairn), .product(name: "ObjectStoreS3", package: cairn),
            ]),
        .executableTarget(
            name: "SegmentsBench",
            dependencies: [
                .product(name: "Segments", package: cairn), .product(name: "Bitmaps", package: cairn),
                .product(name: "Blockfile", package: cairn), .product(name: "ObjectStore", package: cairn),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .executableTarget(
            name: "S3Bench",
            dependencies: [
                .product(name: "ObjectStore", package: cairn),
                .product(name: "ObjectStoreS3", package: cairn),
                .product(name: "SigV4", package: cairn),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
