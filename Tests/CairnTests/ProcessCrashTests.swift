// Crash safety with real processes (`make crashtest`; also part of `make test`): `cairn crashtest write` ingests
// deterministic batches, compacting and collecting garbage as it goes, and is killed with SIGKILL at random
// moments (deterministic seeds), then restarted after its last acknowledged batch. At the end every acknowledged
// batch must be there exactly once, nothing deleted may come back, queries must be right, and the whole store
// must pass `cairn check`. Once on a local folder, once on the local S3 server.
import Foundation
import StorageTesting
import Testing

@Suite(.serialized) struct ProcessCrashTests {
    static let kills = 20

    @Test func killNineDuringIngestCompactionAndGCOnAFolder() async throws {
        guard CairnBinary.isAvailable else { return }
        try await TemporaryDirectory.with { folder in
            try Self.crashLoop(url: folder.appendingPathComponent("store").path, extra: [], seed: 41)
        }
    }

    @Test func killNineDuringIngestCompactionAndGCOnS3() async throws {
        guard CairnBinary.isAvailable, S3TestEnvironment.isAvailable,
            let url = S3TestEnvironment.url(appending: "crashtest-\(UUID().uuidString.lowercased())")
        else { return }
        try await TemporaryDirectory.with { folder in
            // The node's catalog is a local file that survives the kills, as on a real node.
            let catalog = folder.appendingPathComponent("catalog.sqlite3").path
            try Self.crashLoop(url: url, extra: ["--catalog", catalog], seed: 42)
        }
    }

    static func crashLoop(url: String, extra: [String], seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var acked = 0
        var kills = 0
        var busy: [String: Int] = [:]  // what the worker was doing when killed
        var runs = 0
        while kills < Self.kills {
            runs += 1
            #expect(runs < Self.kills * 4, "the worker keeps exiting without being killed")
            if runs >= Self.kills * 4 { return }
            let delay = Double.random(in: 0.3...1.6, using: &rng)
            let arguments =
                ["crashtest", "write", url, "--seed", "\(seed)", "--from", "\(acked + 1)", "--through", "1000000"]
                + extra
            let (result, killed) = try CairnBinary.run(arguments, killAfter: delay)
            let lines = result.output.split(separator: "\n").map(String.init)
            let lastAck = lines.compactMap { $0.hasPrefix("acked ") ? Int($0.dropFirst(6)) : nil }.last
            if let lastAck {
                #expect(lastAck >= acked, "acknowledgements went backwards")
                acked = max(acked, lastAck)
            }
            guard killed else {
                #expect(Bool(false), "the worker exited by itself (\(result.status)): \(result.stderr)")
                continue
            }
            kills += 1
            let doing = lines.last.map { $0.hasPrefix("acked") ? "writing" : String($0.split(separator: " ")[0]) }
            busy[doing ?? "starting", default: 0] += 1
        }
        // One last run that finishes, then the verdict.
        let through = acked + 3
        let final = try CairnBinary.run(
            ["crashtest", "write", url, "--seed", "\(seed)", "--from", "\(acked + 1)", "--through", "\(through)"]
                + extra)
        #expect(final.status == 0, "final run: \(final.stderr)")
        let verify = try CairnBinary.run(
            ["crashtest", "verify", url, "--seed", "\(seed)", "--through", "\(through)"] + extra)
        #expect(verify.status == 0, "\(verify.output)\(verify.stderr)")
        let check = try CairnBinary.run(["check", url] + extra)
        #expect(check.status == 0, "\(url) \(check.output)")
        print(
            "process crash test \(url.hasPrefix("s3://") ? "s3" : "folder"): \(kills) kills (\(busy.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))), "
                + "\(through) batches; \(verify.output.split(separator: "\n").first ?? "")")
    }
}
