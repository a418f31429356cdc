// The progress printer of the long commands: what it writes on a terminal and to a log, and how often, on an
// injected clock and terminal width (the binary under a real pseudo-terminal: Tests/python/check_progress.py).
import Cairn
import Synchronization
import Testing

@testable import cairn

/// A clock the test moves and the text the printer wrote.
final class PrinterHarness: Sendable {
    private let clock = Mutex(0.0)
    private let written = Mutex("")

    func printer(_ mode: ProgressPrinter.Mode, columns: Int = 200) -> ProgressPrinter {
        ProgressPrinter(
            mode: mode, now: { self.clock.withLock { $0 } }, columns: { columns },
            write: { text in self.written.withLock { $0 += text } })
    }

    func advance(_ seconds: Double) { clock.withLock { $0 += seconds } }

    /// What was written since the last call.
    func take() -> String {
        written.withLock { text in
            let taken = text
            text = ""
            return taken
        }
    }
}

@Suite struct ProgressPrinterTests {
    static func vectors(_ done: Int, of total: Int? = 1000) -> JobProgress {
        JobProgress("indexing articles", unit: "vectors", done: done, total: total)
    }

    @Test func aTerminalGetsOneStatusLineRedrawnAtMostTenTimesASecond() {
        let harness = PrinterHarness()
        let printer = harness.printer(.terminal)
        printer.update(Self.vectors(0))
        #expect(harness.take() == "\r\u{1B}[Kindexing articles: 0/1,000 vectors (0%)")
        harness.advance(0.05)
        printer.update(Self.vectors(100))
        #expect(harness.take() == "", "redrawn only after a tenth of a second")
        harness.advance(1.95)
        printer.update(Self.vectors(400))
        #expect(
            harness.take()
                == "\r\u{1B}[Kindexing articles: 400/1,000 vectors (40%), 200 vectors/s, 3.0 s left")
        harness.advance(3)
        printer.update(Self.vectors(1000))
        printer.finish()
        let end = harness.take()
        #expect(end.hasSuffix("indexing articles: 1,000/1,000 vectors (100%), 200 vectors/s\n"), "\(end)")
        #expect(!end.dropLast().contains("\n"), "no line but the final one is ended: \(end)")
        printer.update(Self.vectors(1000))
        printer.finish()
        #expect(harness.take() == "", "nothing after finish")
    }

    @Test func aNewPhaseIsDrawnAtOnceWithItsOwnRate() {
        let harness = PrinterHarness()
        let printer = harness.printer(.terminal)
        printer.update(JobProgress("reading the log of a", unit: "records", done: 5000))
        harness.advance(0.01)
        printer.update(Self.vectors(0))
        #expect(harness.take().hasSuffix("\r\u{1B}[Kindexing articles: 0/1,000 vectors (0%)"))
    }

    @Test func theStatusLineIsCutToTheTerminalWidth() {
        let harness = PrinterHarness()
        let printer = harness.printer(.terminal, columns: 30)
        printer.update(Self.vectors(0))
        let line = harness.take().dropFirst("\r\u{1B}[K".count)
        #expect(line == "indexing articles: 0/1,000 v…")
        #expect(line.count == 29, "one column short of the width: a full line may wrap")
    }

    @Test func linesPrintedMidJobDoNotShareTheStatusLine() {
        let harness = PrinterHarness()
        let printer = harness.printer(.terminal)
        printer.update(Self.vectors(10))
        _ = harness.take()
        printer.log("compacting articles")  // to stdout
        #expect(harness.take() == "\r\u{1B}[K\r\u{1B}[Kindexing articles: 10/1,000 vectors (1%)")
    }

    @Test func aFailedJobEndsTheStatusLineWithoutASummary() {
        let harness = PrinterHarness()
        let printer = harness.printer(.terminal)
        printer.update(Self.vectors(10))
        _ = harness.take()
        printer.stop()
        printer.finish()
        #expect(harness.take() == "\n")
    }

    @Test func withoutATerminalAPlainLineComesEveryIntervalAndASummaryAtTheEnd() {
        let harness = PrinterHarness()
        let printer = harness.printer(.lines(interval: 5))
        printer.update(Self.vectors(0))
        for _ in 0..<4 {
            harness.advance(1)
            printer.update(Self.vectors(100))
        }
        #expect(harness.take() == "", "no line before the interval")
        harness.advance(1)
        printer.update(Self.vectors(500))
        #expect(harness.take() == "indexing articles: 500/1,000 vectors (50%), 100 vectors/s, 5.0 s left\n")
        harness.advance(5)
        printer.update(Self.vectors(1000))
        printer.finish()
        #expect(
            harness.take()
                == "indexing articles: 1,000/1,000 vectors (100%), 100 vectors/s\n"
                + "indexing articles: 1,000/1,000 vectors (100%) in 10 s\n",
            "plain lines: no \\r, no escape sequences")
    }

    /// A short phase leaves no line at the default interval (the job's summary alone); with lines every step, a
    /// phase that showed one ends with its summary.
    @Test(arguments: [
        (5.0, "checking: 3/3 collections (100%) in 1.0 s\n"),
        (
            0.0,
            "reading the log of a: 1 record\nreading the log of a: 1 record in 0.5 s\n"
                + "checking: 0/3 collections (0%)\nchecking: 3/3 collections (100%), 3.0 collections/s\n"
                + "checking: 3/3 collections (100%) in 1.0 s\n"
        ),
    ])
    func aPhaseEndsWithASummaryWhenItShowedALine(interval: Double, expected: String) {
        let harness = PrinterHarness()
        let printer = harness.printer(.lines(interval: interval))
        printer.update(JobProgress("reading the log of a", unit: "records", done: 1))
        harness.advance(0.5)
        printer.update(JobProgress("checking", unit: "collections", done: 0, total: 3))
        harness.advance(1)
        printer.update(JobProgress("checking", unit: "collections", done: 3, total: 3))
        printer.finish()
        #expect(harness.take() == expected)
    }

    @Test func quietPrintsNothingAndGivesJobsNoReporter() {
        let harness = PrinterHarness()
        let printer = harness.printer(.off)
        #expect(printer.reporter == nil)
        printer.update(Self.vectors(10))
        printer.finish()
        #expect(harness.take() == "")
    }

    @Test func bytesShowTheirRateAndTheTimeLeft() {
        let line = ProgressPrinter.line(
            JobProgress("uploading f.bin", unit: "parts", done: 2, total: 8, bytes: 16 << 20, bytesTotal: 64 << 20),
            elapsed: 2)
        #expect(line == "uploading f.bin: 2/8 parts (25%), 16.0 MiB of 64.0 MiB, 8.0 MiB/s, 6.0 s left")
        let open = ProgressPrinter.line(
            JobProgress("warming", unit: "objects", done: 1234, bytes: 5 << 30), elapsed: 0.05)
        #expect(open == "warming: 1,234 objects, 5.0 GiB", "no rate in the first tenth of a second")
    }

    @Test func numbersAndDurations() {
        #expect(ProgressPrinter.count(1_234_567) == "1,234,567")
        #expect(ProgressPrinter.count(999) == "999")
        #expect(ProgressPrinter.percent(999, of: 1000) == "99%", "never 100% before the end")
        #expect(ProgressPrinter.percent(1000, of: 1000) == "100%")
        #expect(ProgressPrinter.rate(2.345) == "2.3")
        #expect(ProgressPrinter.rate(12_345.6) == "12,346")
        #expect(ProgressPrinter.duration(0.42) == "0.4 s")
        #expect(ProgressPrinter.duration(42) == "42 s")
        #expect(ProgressPrinter.duration(185) == "3 m 05 s")
        #expect(ProgressPrinter.duration(7620) == "2 h 07 m")
    }
}
