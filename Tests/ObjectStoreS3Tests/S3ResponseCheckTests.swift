// S3Store against a deliberately broken HTTP server (a small Python stub on loopback): short bodies,
// wrong Content-Range, 5xx and unreadable XML must become typed errors, never data.
import Foundation
import ObjectStore
import SigV4
import Testing

@testable import ObjectStoreS3

/// Fixtures/s3/stub_server.py: answers by the key's name; prints its port, then serves until killed.
private let stubServerScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/s3/stub_server.py")

final class StubServer: Sendable {
    let process: Process
    let port: Int

    init() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", stubServerScript.path]
        let output = Pipe()
        process.standardOutput = output
        // The stub must not hold the test runner's output open, or the runner waits for it.
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw ObjectStoreError(.io, message: "the stub server did not start")
        }
        self.process = process
        self.port = port
    }

    /// SIGKILL: the child may have inherited an ignored SIGTERM.
    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func store() -> S3Store {
        S3Store(
            configuration: S3Configuration(
                bucket: "stub", region: "us-east-1",
                endpoint: S3Endpoint(scheme: "http", host: "127.0.0.1", port: port),
                credentials: SigV4Credentials(accessKeyID: "AKID", secretAccessKey: "SECRET")))
    }
}

@Suite("S3Store response checks")
struct S3ResponseCheckTests {
    @Test func shortBodyIsTruncatedNotData() async throws {
        let server = try StubServer()
        let error = await #expect(throws: ObjectStoreError.self) { _ = try await server.store().get("short") }
        #expect(error?.code == .truncated)
        #expect(error?.isRetryable == true)
    }

    @Test func rangeMismatchesAreRefused() async throws {
        let server = try StubServer()
        let store = server.store()
        let wrong = await #expect(throws: ObjectStoreError.self) {
            _ = try await store.get("wrong-range", range: .slice(offset: 50, length: 10))
        }
        #expect(wrong?.code == .invalidResponse)
        let short = await #expect(throws: ObjectStoreError.self) {
            _ = try await store.get("range-count", range: .slice(offset: 50, length: 50))
        }
        #expect(short?.code == .truncated)
    }

    @Test func serverErrorsAreTyped() async throws {
        let server = try StubServer()
        let store = server.store()
        let serverError = await #expect(throws: ObjectStoreError.self) { _ = try await store.get("error500") }
        #expect(
            serverError?.code == .transient && serverError?.s3Code == "InternalError" && serverError?.requestID == "R1")
        let slow = await #expect(throws: ObjectStoreError.self) { _ = try await store.get("slowdown") }
        #expect(slow?.code == .throttled && slow?.httpStatus == 503)
        let list = await #expect(throws: ObjectStoreError.self) {
            _ = try await store.list(prefix: "p", delimiter: nil, continuation: nil, maxKeys: 10)
        }
        #expect(list?.code == .invalidResponse)
    }

    /// A cancelled task does not wait for its transfer: libcurl's progress callback aborts it.
    @Test(.timeLimit(.minutes(1))) func cancellationAbortsATransfer() async throws {
        let server = try StubServer()
        let store = server.store()
        let task = Task { try await store.get("trickle") }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    @Test func refusedConnectionIsTransient() async throws {
        let store = S3Store(
            configuration: S3Configuration(
                bucket: "b", region: "us-east-1", endpoint: S3Endpoint(scheme: "http", host: "127.0.0.1", port: 1),
                credentials: SigV4Credentials(accessKeyID: "AKID", secretAccessKey: "SECRET")))
        let error = await #expect(throws: ObjectStoreError.self) { _ = try await store.head("k") }
        #expect(error?.code == .transient)
        #expect(error?.description.contains("SECRET") == false)
    }
}
