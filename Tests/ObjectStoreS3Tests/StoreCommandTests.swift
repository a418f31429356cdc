// `cairn store put|get|ls|rm` end to end: the built `cairn` binary (CAIRN_BIN, or next to the test bundle)
// run as a process against a local folder and against the local S3 server.
import Foundation
import ObjectStore
import StorageTesting
import Synchronization
import Testing

enum CairnBinary {
    /// `$CAIRN_BIN`, else `cairn` in the build folder that holds this test bundle.
    static let url: URL? = {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["CAIRN_BIN"], fileManager.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL { candidates.append(executable) }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]))
        candidates.append(Bundle.main.bundleURL)
        for candidate in candidates {
            var folder = candidate.deletingLastPathComponent()
            for _ in 0..<4 {
                let binary = folder.appendingPathComponent("cairn")
                if fileManager.isExecutableFile(atPath: binary.path) { return binary }
                folder = folder.deletingLastPathComponent()
            }
        }
        return nil
    }()

    static var isAvailable: Bool {
        if url != nil { return true }
        print("cairn store tests skipped: no cairn binary (set CAIRN_BIN or build the cairn product)")
        return false
    }

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    /// Runs `cairn arguments…` with `stdin`, waiting for it to exit.
    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws -> Result {
        guard let binary = CairnBinary.url else {
            throw ObjectStoreError(.invalidArgument, message: "no cairn binary")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so a full pipe never blocks the child.
        let errorData = Mutex_Data()
        let reader = Thread { errorData.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return Result(
            status: process.terminationStatus, stdout: stdout, stderr: String(decoding: errorData.value, as: UTF8.self))
    }
}

final class Mutex_Data: Sendable {
    private let state = Mutex<(Data, Bool)>((Data(), false))
    func set(_ data: Data) { state.withLock { $0 = (data, true) } }
    var isSet: Bool { state.withLock { $0.1 } }
    var value: Data { state.withLock { $0.0 } }
}

@Suite(.enabled(if: CairnBinary.isAvailable, "needs the built cairn binary"))
struct StoreCommandTests {
    /// put (file and stdin), ls, get (file and stdout), rm, and a missing key, against one base URL.
    static func roundTrip(base: String, environment: [String: String]? = nil) throws {
        let dir = try TemporaryDirectory.make("cairn-cli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let payload = S3TestSupport.randomData(300_000, seed: 3)
        let source = dir.appendingPathComponent("source.bin")
        try payload.write(to: source)

        let put = try CairnBinary.run(
            ["store", "put", source.path, base + "data/source.bin"], environment: environment)
        #expect(put.status == 0, "put: \(put.stderr)")
        let piped = try CairnBinary.run(
            ["store", "put", "-", base + "data/from stdin+1.txt"], stdin: Data("from stdin".utf8),
            environment: environment)
        #expect(piped.status == 0, "put -: \(piped.stderr)")

        let list = try CairnBinary.run(["store", "ls", "--recursive", base + "data/"], environment: environment)
        #expect(list.status == 0, "ls: \(list.stderr)")
        let listing = String(decoding: list.stdout, as: UTF8.self)
        #expect(listing.contains("source.bin") && listing.contains("300000"), "ls printed: \(listing)")
        #expect(listing.contains("from stdin+1.txt"), "ls printed: \(listing)")

        let target = dir.appendingPathComponent("copy.bin")
        let get = try CairnBinary.run(
            ["store", "get", base + "data/source.bin", target.path], environment: environment)
        #expect(get.status == 0, "get: \(get.stderr)")
        #expect(try Data(contentsOf: target) == payload)
        let toStdout = try CairnBinary.run(
            ["store", "get", base + "data/from stdin+1.txt", "-"], environment: environment)
        #expect(toStdout.status == 0)
        #expect(toStdout.stdout == Data("from stdin".utf8))

        for key in ["data/source.bin", "data/from stdin+1.txt"] {
            let remove = try CairnBinary.run(["store", "rm", base + key], environment: environment)
            #expect(remove.status == 0, "rm: \(remove.stderr)")
        }
        let missing = try CairnBinary.run(["store", "get", base + "data/source.bin", "-"], environment: environment)
        #expect(missing.status != 0)
        #expect(missing.stdout.isEmpty)
        let lines = missing.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line on stderr: \(missing.stderr)")
        #expect(missing.stderr.contains("not_found"))
    }

    @Test func localFolderRoundTrip() throws {
        let root = try TemporaryDirectory.make("cairn-cli-store")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.roundTrip(base: "file://" + root.path + "/")
    }

    /// Inside an existing store folder, keys are relative to the store's root: one store, not one per folder.
    @Test func localKeysAreRelativeToTheEnclosingStore() throws {
        let root = try TemporaryDirectory.make("cairn-cli-store")
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try LocalFileStore(root: root)
        let put = try CairnBinary.run(["store", "put", "-", "file://\(root.path)/a/b/c.txt"], stdin: Data("c".utf8))
        #expect(put.status == 0, "put: \(put.stderr)")
        let list = try CairnBinary.run(["store", "ls", "--recursive", "file://\(root.path)"])
        #expect(String(decoding: list.stdout, as: UTF8.self).contains(" a/b/c.txt"))
        #expect(!String(decoding: list.stdout, as: UTF8.self).contains(".cairn"))
        #expect(!FileManager.default.fileExists(atPath: root.path + "/a/b/.cairn"))
    }

    @Test(.enabled(if: S3TestEnvironment.isAvailable, "needs the local S3 server"))
    func s3RoundTrip() throws {
        let env = ProcessInfo.processInfo.environment
        let bucket = try #require(env["S3_BUCKET"])
        let scope = try S3TestSupport.scope("cli")
        try Self.roundTrip(base: "s3://\(bucket)/\(scope)")
    }

    @Test(.enabled(if: S3TestEnvironment.isAvailable, "needs the local S3 server"))
    func s3ErrorsAreOneLineWithoutSecrets() throws {
        var env = ProcessInfo.processInfo.environment
        let bucket = try #require(env["S3_BUCKET"])
        let wrongSecret = "wrong-secret-\(UUID().uuidString)"
        env["AWS_SECRET_ACCESS_KEY"] = wrongSecret
        let result = try CairnBinary.run(["store", "ls", "s3://\(bucket)/"], environment: env)
        #expect(result.status != 0)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("access_denied"))
        #expect(!result.stderr.contains(wrongSecret))
        #expect(!result.stderr.contains("Signature="))

        env.removeValue(forKey: "AWS_ACCESS_KEY_ID")
        let noCredentials = try CairnBinary.run(["store", "ls", "s3://\(bucket)/"], environment: env)
        #expect(noCredentials.status != 0)
        #expect(noCredentials.stderr.contains("AWS_ACCESS_KEY_ID"))
        #expect(!noCredentials.stderr.contains(wrongSecret))
    }
}
