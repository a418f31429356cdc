// `cairn serve`: the Chroma-compatible HTTP server over a local folder or an S3 bucket, for the official Chroma
// clients (`chromadb.HttpClient(host, port)`).
import ArgumentParser
import Cairn
import CairnServer
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve Chroma's /api/v2 HTTP API over a Cairn store.")

    @Option(help: "Folder holding the store (created if missing).")
    var path: String?

    @Option(help: "An S3 store instead: s3://bucket/prefix?endpoint=…&region=… (credentials from the environment).")
    var store: String?

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one; the chosen one is printed).")
    var port: Int = 8000

    @Option(
        help:
            "Require this token (Authorization: Bearer or X-Chroma-Token). Prefer $CAIRN_AUTH_TOKEN: arguments show in ps."
    )
    var authToken: String?

    @Option(help: "Largest request body in bytes.")
    var maxBodyBytes: Int = 40 * 1024 * 1024

    @Option(help: "Most records in one add/upsert/update.")
    var maxBatchSize: Int = Client.maxBatchSize

    @Option(help: "Requests handled at once; more get 429.")
    var maxConcurrentRequests: Int = 256

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        if path != nil && store != nil { throw ValidationError("give --path or --store, not both") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if maxBatchSize < 1 || maxBatchSize > Client.maxBatchSize {
            throw ValidationError("--max-batch-size must be between 1 and \(Client.maxBatchSize)")
        }
        if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024") }
    }

    func run() async throws {
        let url = store ?? path ?? "cairn-data"
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.authToken = authToken ?? ProcessInfo.processInfo.environment["CAIRN_AUTH_TOKEN"]
        options.maxBodyBytes = maxBodyBytes
        options.maxBatchSize = maxBatchSize
        options.maxConcurrentRequests = maxConcurrentRequests
        let client = try await Client.open(url)
        try await CairnServer.run(client: client, options: options, logLevel: logLevel)
    }
}
