// Runs the built `cairn` binary as a process, for end-to-end tests of the command-line tool: `$CAIRN_BIN`, else
// `cairn` in the build folder that holds the test bundle.
import Foundation
import Synchronization

public enum CairnBinary {
    public static let url: URL? = {
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

    /// Whether the binary was found; prints why tests skip when it was not.
    public static var isAvailable: Bool {
        if url != nil { return true }
        print("cairn binary tests skipped: no cairn binary (set CAIRN_BIN or build the cairn product)")
        return false
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
        /// stdout as text.
        public var output: String { String(decoding: stdout, as: UTF8.self) }
    }

    public struct NotFound: Error, CustomStringConvertible {
        public var description: String { "no cairn binary (set CAIRN_BIN or build the cairn product)" }
    }

    /// Runs `cairn arguments…` with `stdin`, waiting for it to exit.
    public static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws
        -> Result
    {
        guard let url else { throw NotFound() }
        let process = Process()
        process.executableURL = url
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
        let errorData = CollectedData()
        let reader = Thread { errorData.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { usleep(1000) }
        return Result(
            status: process.terminationStatus, stdout: stdout, stderr: String(decoding: errorData.value, as: UTF8.self))
    }
}

extension CairnBinary {
    /// Runs `cairn arguments…` and kills it with SIGKILL after `seconds` unless it exited first. Returns what it
    /// printed until then, and whether it was killed.
    public static func run(_ arguments: [String], killAfter seconds: Double) throws -> (result: Result, killed: Bool) {
        guard let url else { throw NotFound() }
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outputData = CollectedData()
        let errorData = CollectedData()
        let readers = [
            Thread { outputData.set(output.fileHandleForReading.readDataToEndOfFile()) },
            Thread { errorData.set(errors.fileHandleForReading.readDataToEndOfFile()) },
        ]
        for reader in readers { reader.start() }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(5_000) }
        let killed = process.isRunning
        if killed { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        while !outputData.isSet || !errorData.isSet { usleep(1000) }
        return (
            Result(
                status: process.terminationStatus, stdout: outputData.value,
                stderr: String(decoding: errorData.value, as: UTF8.self)),
            killed
        )
    }
}

/// Bytes handed over from a reader thread.
final class CollectedData: Sendable {
    private let state = Mutex<(Data, Bool)>((Data(), false))
    func set(_ data: Data) { state.withLock { $0 = (data, true) } }
    var isSet: Bool { state.withLock { $0.1 } }
    var value: Data { state.withLock { $0.0 } }
}
