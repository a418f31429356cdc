// swift-tools-version:6.1
// Cairn: an object-storage-backed vector database. The module map is in docs/architecture.md:
// C shims at the bottom, then signing and storage, the columnar format, indexes, and the tools on top.
import PackageDescription

let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ObjectStore", targets: ["ObjectStore"]),
        .library(name: "ObjectStoreS3", targets: ["ObjectStoreS3"]),
        .library(name: "SigV4", targets: ["SigV4"]),
        .library(name: "ArrowIPC", targets: ["ArrowIPC"]),
        .library(name: "VectorIndex", targets: ["VectorIndex"]),
        .library(name: "IndexBenchmarking", targets: ["IndexBenchmarking"]),
        .library(name: "Blockfile", targets: ["Blockfile"]),
        .library(name: "Bitmaps", targets: ["Bitmaps"]),
        .library(name: "Log", targets: ["Log"]),
        .library(name: "CairnJSON", targets: ["CairnJSON"]),
        .library(name: "CairnModel", targets: ["CairnModel"]),
        .library(name: "TextAnalysis", targets: ["TextAnalysis"]),
        .library(name: "Segments", targets: ["Segments"]),
        .library(name: "Spann", targets: ["Spann"]),
        .library(name: "Catalog", targets: ["Catalog"]),
        .library(name: "Compaction", targets: ["Compaction"]),
        .library(name: "Cairn", targets: ["Cairn"]),
        .library(name: "StorageTesting", targets: ["StorageTesting"]),
        .executable(name: "cairn", targets: ["cairn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // MARK: C and C++ shims over Debian's libraries
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CZstd", pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]),
        // libroaring-dev ships no pkg-config file: the module map links "roaring" itself.
        .systemLibrary(name: "CRoaring", providers: [.apt(["libroaring-dev"])]),
        .target(
            name: "CHNSW",
            linkerSettings: [.linkedLibrary("m")]),

        // MARK: Signing and object storage
        .target(
            name: "SigV4",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "ObjectStore",
            dependencies: [.product(name: "Metrics", package: "swift-metrics")]),
        .target(
            name: "ObjectStoreS3",
            dependencies: ["CCurl", "SigV4", "ObjectStore"]),

        // MARK: Columnar format and indexes
        .target(name: "ArrowIPC", dependencies: ["CZstd"]),
        .target(
            name: "VectorIndex",
            dependencies: ["CHNSW", "CRoaring", "ObjectStore", .product(name: "Metrics", package: "swift-metrics")]),
        // The index benchmark (`cairn bench index`, Benchmarks/IndexBench): HNSW beside hnswlib, kept out of VectorIndex.
        .target(name: "IndexBenchmarking", dependencies: ["VectorIndex", "CHNSW", "CRoaring", "ObjectStore"]),
        .target(name: "Bitmaps", dependencies: ["CRoaring"]),
        .target(name: "Log", dependencies: ["ArrowIPC", "ObjectStore"]),
        .target(
            name: "Blockfile",
            dependencies: [
                "ArrowIPC", "Bitmaps", "ObjectStore", .product(name: "Metrics", package: "swift-metrics"),
            ]),

        // The SPANN vector index (decision 0029): centroids in memory, posting lists in blockfiles on the store.
        .target(name: "Spann", dependencies: ["Blockfile", "VectorIndex", "ObjectStore"]),

        // MARK: Collections: segments over blockfiles and HNSW, the catalog, and the embedded API
        .target(name: "CairnJSON"),
        // Chroma's BM25 sparse embedding computed server-side: its tokenizer, Porter2 stemmer and MurmurHash3.
        .target(name: "TextAnalysis"),
        // What users write and read: metadata, filters, configuration and schema, and their validation.
        .target(name: "CairnModel", dependencies: ["CairnJSON", "VectorIndex"]),
        .target(
            name: "Segments",
            dependencies: [
                "CairnModel", "CairnJSON", "Blockfile", "Bitmaps", "VectorIndex", "Spann", "Log", "ArrowIPC",
                "ObjectStore",
            ]),
        .target(
            name: "Catalog",
            dependencies: ["CairnModel", "CairnJSON", "ObjectStore", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "Compaction",
            dependencies: ["Segments", "Catalog", "Log", "Blockfile", "Bitmaps", "VectorIndex", "Spann", "ObjectStore"]),
        .target(
            name: "Cairn",
            dependencies: [
                "CairnModel", "Segments", "Catalog", "Compaction", "Log", "Blockfile", "Bitmaps", "VectorIndex", "Spann",
                "ObjectStore",
                "ObjectStoreS3", "TextAnalysis", .product(name: "Metrics", package: "swift-metrics"),
            ]),

        // MARK: The Chroma-compatible HTTP server (`cairn serve`)
        .target(
            name: "CairnServer",
            dependencies: [
                "Cairn", "CairnModel", "Catalog", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),

        // MARK: Test support shared by every test target
        .target(
            name: "StorageTesting",
            dependencies: ["ObjectStore"]),

        // MARK: The command-line tool
        .executableTarget(
            name: "cairn",
            dependencies: [
                "ObjectStore", "ObjectStoreS3", "ArrowIPC", "VectorIndex", "IndexBenchmarking", "Bitmaps", "Blockfile", "Cairn", "Catalog",
                "CairnServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // MARK: Tests
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"]),
        .testTarget(
            name: "ObjectStoreTests",
            dependencies: [
                "ObjectStore", "StorageTesting", .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
        .testTarget(
            name: "ObjectStoreS3Tests",
            dependencies: ["ObjectStoreS3", "ObjectStore", "StorageTesting", "SigV4"]),
        .testTarget(name: "ArrowIPCTests", dependencies: ["ArrowIPC", "StorageTesting"]),
        .testTarget(name: "BitmapsTests", dependencies: ["Bitmaps", "StorageTesting"]),
        .testTarget(name: "LogTests", dependencies: ["Log", "ObjectStore", "StorageTesting"]),
        .testTarget(
            name: "BlockfileTests",
            dependencies: [
                "Blockfile", "ObjectStore", "StorageTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
        .testTarget(name: "CairnJSONTests", dependencies: ["CairnJSON", "StorageTesting"]),
        .testTarget(name: "CairnModelTests", dependencies: ["CairnModel", "StorageTesting"]),
        .testTarget(name: "TextAnalysisTests", dependencies: ["TextAnalysis", "StorageTesting"]),
        .testTarget(
            name: "CompactionTests",
            dependencies: ["Compaction", "Catalog", "Segments", "Log", "Blockfile", "ObjectStore", "VectorIndex", "StorageTesting"]),
        .testTarget(name: "SpannTests", dependencies: ["Spann", "Blockfile", "VectorIndex", "ObjectStore", "StorageTesting"]),
        .testTarget(name: "SegmentsTests", dependencies: ["Segments", "Blockfile", "ObjectStore", "StorageTesting"]),
        .testTarget(
            name: "CatalogTests",
            dependencies: [
                "Catalog", "Segments", "ObjectStore", "ObjectStoreS3", "StorageTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "CairnTests", dependencies: ["Cairn", "Compaction", "Blockfile", "ObjectStore", "StorageTesting"]),
        // The command-line tool's own logic (the progress printer), tested through its module.
        .testTarget(name: "CairnCLITests", dependencies: ["cairn", "Cairn"]),
        .testTarget(
            name: "CairnServerTests",
            dependencies: [
                "CairnServer", "Cairn", "Catalog", "ObjectStore", "StorageTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        .testTarget(
            name: "VectorIndexTests",
            dependencies: [
                "VectorIndex", "ObjectStore", "StorageTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
