// `cairn store put|get|ls|rm`: object-store access in the shape of `aws s3 cp/ls/rm`, for
// `file:///dir/key` and `s3://bucket/key` (endpoint, region and credentials from flags or AWS_* variables).
import ArgumentParser
import Foundation
import ObjectStore
import ObjectStoreS3

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Copy, list and remove objects.",
        discussion: """
            URLs are file:///dir/key (the folder is the store, the last component the key) or s3://bucket/key. \
            For S3, the endpoint, region and credentials come from the flags or from AWS_ENDPOINT_URL_S3 / \
            AWS_ENDPOINT_URL, AWS_REGION / AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and \
            AWS_SESSION_TOKEN; addressing is path-style when an endpoint is given.
            """,
        subcommands: [StorePut.self, StoreGet.self, StoreList.self, StoreRemove.self])
}

/// Flags shared by every `cairn store` command.
struct StoreConnectionOptions: ParsableArguments {
    @Option(help: "S3 endpoint, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL).")
    var endpoint: String?

    @Option(help: "S3 region (default: AWS_REGION or AWS_DEFAULT_REGION, else us-east-1).")
    var region: String?

    @Flag(help: "Path-style S3 URLs (http://host/bucket/key); the default when an endpoint is given.")
    var pathStyle = false

    @Flag(help: "Virtual-hosted S3 URLs (https://bucket.host/key); the default on AWS.")
    var virtualHosted = false

    var overrides: StoreFactory.Overrides {
        StoreFactory.Overrides(
            endpoint: endpoint, region: region,
            addressing: pathStyle ? .path : (virtualHosted ? .virtualHosted : nil))
    }

    func validate() throws {
        if pathStyle && virtualHosted { throw ValidationError("choose --path-style or --virtual-hosted, not both") }
    }

    /// The store a URL names and the key (or key prefix) inside it. For `file://`, the last path component is
    /// the key and its folder the store, unless `folderIsStore` and the path is an existing folder.
    /// A `file://` store's folder is created for `put` (`createFolder`) and must exist otherwise.
    func open(_ url: String, folderIsStore: Bool = false, createFolder: Bool = false) throws
        -> (store: any ObjectStore, key: String)
    {
        switch try StoreLocation(parsing: url) {
        case .s3(let bucket, let key, let options):
            // Transient failures (5xx, resets, throttling) are retried with backoff; access errors are not.
            return (
                RetryingStore(try StoreFactory.s3Store(bucket: bucket, options: options, overrides: overrides)), key
            )
        case .file(let path):
            let fileManager = FileManager.default
            var isDirectory: ObjCBool = false
            if folderIsStore, fileManager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                let (root, keyPrefix) = Self.enclosingStore(of: URL(fileURLWithPath: path, isDirectory: true))
                return (try LocalFileStore(root: root), keyPrefix)
            }
            let file = URL(fileURLWithPath: path)
            let name = path.hasSuffix("/") ? "" : file.lastPathComponent
            let folder = path.hasSuffix("/") ? file : file.deletingLastPathComponent()
            if createFolder {
                try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
            } else if !fileManager.fileExists(atPath: folder.path, isDirectory: &isDirectory) || !isDirectory.boolValue
            {
                throw ObjectStoreError(.notFound, key: name, message: "no store folder at \(folder.path)")
            }
            // Inside an existing store (a folder holding `.cairn/`), keys are relative to that store's root.
            let (root, keyPrefix) = Self.enclosingStore(of: folder)
            return (try LocalFileStore(root: root), keyPrefix + name)
        }
    }

    /// The nearest folder at or above `folder` that is already a store, and the key prefix of `folder`
    /// inside it; `folder` itself when none is.
    static func enclosingStore(of folder: URL) -> (root: URL, keyPrefix: String) {
        var candidate = folder.standardizedFileURL
        var components: [String] = []
        while candidate.path != "/" {
            var isDirectory: ObjCBool = false
            let marker = candidate.appendingPathComponent(".cairn").path
            if FileManager.default.fileExists(atPath: marker, isDirectory: &isDirectory), isDirectory.boolValue {
                return (candidate, components.reversed().map { $0 + "/" }.joined())
            }
            components.append(candidate.lastPathComponent)
            candidate = candidate.deletingLastPathComponent()
        }
        return (folder, "")
    }
}

/// Runs a command body, turning any failure into one line on stderr and exit status 1 (never a stack
/// trace; errors of the storage layer never hold secrets).
func runStoreCommand(_ name: String, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        let text: String
        if let error = error as? ObjectStoreError {
            text = error.description
        } else if let error = error as? CocoaError {
            text = error.localizedDescription
        } else {
            text = String(describing: error)
        }
        let line = "cairn store \(name): " + text.split(whereSeparator: \.isNewline).joined(separator: " ") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
        throw ExitCode.failure
    }
}

struct StorePut: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put", abstract: "Upload FILE (- for stdin) to URL (a key, or a prefix ending in /).",
        discussion: """
            Files larger than one part (8 MiB) go up as a multipart upload, parts in parallel, with progress on \
            stderr (--quiet: none).
            """)

    @Argument(help: "The file to upload, or - for stdin.") var file: String
    @Argument(help: "file:///dir/key or s3://bucket/key") var url: String
    @OptionGroup var connection: StoreConnectionOptions
    @OptionGroup var progress: ProgressOptions

    func run() async throws {
        try await runStoreCommand("put") {
            let printer = progress.printer()
            defer { printer.stop() }
            var (store, key) = try connection.open(url, createFolder: true)
            if key.isEmpty || key.hasSuffix("/") {
                guard file != "-" else {
                    throw ObjectStoreError(.invalidArgument, message: "URL '\(url)' names no key to upload stdin to")
                }
                key += URL(fileURLWithPath: file).lastPathComponent
            }
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                do {
                    data = try Data(contentsOf: URL(fileURLWithPath: file), options: .mappedIfSafe)
                } catch {
                    throw ObjectStoreError(.io, message: "cannot read '\(file)': \(error.localizedDescription)")
                }
            }
            // Like `aws s3 cp`: a multipart upload past one part (S3 takes at most 5 GiB in one PUT).
            let info =
                data.count > TransferOptions.default.partSize
                ? try await store.putMultipart(key, data: data, reporter: printer.reporter)
                : try await store.put(key, data: data)
            printer.finish()
            print("upload: \(file) to \(url) (\(info.size) bytes, ETag \(info.etag))")
        }
    }
}

struct StoreGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Download URL to FILE (- for stdout).",
        discussion: """
            Objects larger than one part (8 MiB) come down as parallel ranged reads, with progress on stderr \
            (--quiet: none).
            """)

    @Argument(help: "file:///dir/key or s3://bucket/key") var url: String
    @Argument(help: "The file to write, or - for stdout.") var file: String
    @OptionGroup var connection: StoreConnectionOptions
    @OptionGroup var progress: ProgressOptions

    func run() async throws {
        try await runStoreCommand("get") {
            let printer = progress.printer()
            defer { printer.stop() }
            let (store, key) = try connection.open(url)
            guard !key.isEmpty else {
                throw ObjectStoreError(.invalidArgument, message: "URL '\(url)' names no key")
            }
            // The size first: a large object is read in parallel ranges, with progress.
            let info = try await store.head(key)
            let object =
                info.size > TransferOptions.default.partSize
                ? try await store.getParallel(info, reporter: printer.reporter) : try await store.get(key)
            try object.checkComplete()
            printer.finish()
            if file == "-" {
                FileHandle.standardOutput.write(object.data)
            } else {
                do {
                    try object.data.write(to: URL(fileURLWithPath: file), options: .atomic)
                } catch {
                    throw ObjectStoreError(.io, message: "cannot write '\(file)': \(error.localizedDescription)")
                }
                print("download: \(url) to \(file) (\(object.data.count) bytes)")
            }
        }
    }
}

struct StoreList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List the objects under URL (folders first as PRE, like aws s3 ls).")

    @Argument(help: "file:///dir[/prefix] or s3://bucket[/prefix]") var url: String
    @Flag(help: "List every object under the prefix instead of one level.") var recursive = false
    @OptionGroup var connection: StoreConnectionOptions

    func run() async throws {
        try await runStoreCommand("ls") {
            let (store, prefix) = try connection.open(url, folderIsStore: true)
            var continuation: String?
            repeat {
                let page = try await store.list(
                    prefix: prefix, delimiter: recursive ? nil : "/", continuation: continuation, maxKeys: 1000)
                for common in page.commonPrefixes {
                    print(String(repeating: " ", count: 30) + "PRE " + common)
                }
                for object in page.objects {
                    let size = String(object.size)
                    print(
                        Self.format(object.lastModified) + " " + String(repeating: " ", count: max(0, 10 - size.count))
                            + size + " " + object.key)
                }
                continuation = page.continuation
            } while continuation != nil
        }
    }

    static func format(_ date: Date?) -> String {
        guard let date else { return String(repeating: " ", count: 19) }
        let parts = Calendar(identifier: .gregorian).dateComponents(
            in: TimeZone(secondsFromGMT: 0) ?? .current, from: date)
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return
            "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
    }
}

struct StoreRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete the object at URL.")

    @Argument(help: "file:///dir/key or s3://bucket/key") var url: String
    @OptionGroup var connection: StoreConnectionOptions

    func run() async throws {
        try await runStoreCommand("rm") {
            let (store, key) = try connection.open(url)
            guard !key.isEmpty, !key.hasSuffix("/") else {
                throw ObjectStoreError(.invalidArgument, message: "URL '\(url)' names no key")
            }
            try await store.delete(key)
            print("delete: \(url)")
        }
    }
}
