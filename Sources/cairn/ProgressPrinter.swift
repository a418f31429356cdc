// Progress of the long commands (compact, gc, check, warm, catalog rebuild, store put/get of large objects, demo)
// on stderr, so stdout keeps the commands' results unchanged. On a terminal one status line is redrawn in place at
// most ten times a second; otherwise a plain line is printed every CAIRN_PROGRESS_INTERVAL seconds (5) and one
// summary line as each phase ends. The library only reports values (`JobProgress`): all text and all throttling
// are here, so a job's hot paths pay nothing for them.
import ArgumentParser
import Cairn
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `--quiet`, shared by every command that shows progress.
struct ProgressOptions: ParsableArguments {
    @Flag(
        help: """
            Print no progress. Progress goes to stderr: a status line redrawn in place on a terminal, otherwise a \
            line every CAIRN_PROGRESS_INTERVAL seconds (default 5) and a summary line per phase.
            """)
    var quiet = false

    /// The printer for this run of a command: silent with --quiet.
    func printer() -> ProgressPrinter {
        quiet ? ProgressPrinter(mode: .off) : ProgressPrinter.forStandardError()
    }
}

final class ProgressPrinter: Sendable {
    enum Mode: Sendable, Equatable {
        /// Redraw one status line (stderr is a terminal).
        case terminal
        /// A plain line every `interval` seconds, and a summary line as each phase ends.
        case lines(interval: Double)
        case off
    }

    /// Seconds between two redraws of the status line.
    static let redrawInterval = 0.1
    /// Seconds between two plain lines unless CAIRN_PROGRESS_INTERVAL says otherwise.
    static let defaultLineInterval = 5.0

    let mode: Mode
    /// Seconds on a monotonic clock.
    private let now: @Sendable () -> Double
    /// The terminal's width in columns (the status line is cut to fit: a wrapped line cannot be redrawn).
    private let columns: @Sendable () -> Int
    /// Writes progress text (stderr).
    private let write: @Sendable (String) -> Void
    private let state = Mutex(State())

    private struct State {
        /// The phase being shown, its last value, and when it started and was last drawn or printed.
        var current: JobProgress?
        var phaseStart = 0.0
        var lastOutput = -Double.infinity
        /// A status line is on the terminal (it must be cleared before anything else is written).
        var lineShown = false
        /// A plain line of the current phase was printed: its end gets a summary line too.
        var linePrinted = false
        var finished = false
    }

    init(
        mode: Mode, now: @escaping @Sendable () -> Double = ProgressPrinter.monotonicSeconds,
        columns: @escaping @Sendable () -> Int = ProgressPrinter.terminalColumns,
        write: @escaping @Sendable (String) -> Void = ProgressPrinter.writeStandardError
    ) {
        self.mode = mode
        self.now = now
        self.columns = columns
        self.write = write
    }

    /// A terminal status line when stderr is a terminal, plain lines otherwise.
    static func forStandardError() -> ProgressPrinter {
        if isatty(STDERR_FILENO) == 1 { return ProgressPrinter(mode: .terminal) }
        let setting = ProcessInfo.processInfo.environment["CAIRN_PROGRESS_INTERVAL"].flatMap(Double.init)
        return ProgressPrinter(mode: .lines(interval: max(0, setting ?? defaultLineInterval)))
    }

    /// What to hand a job: nil with --quiet, so the job does not even build its progress values.
    var reporter: ProgressReporter? {
        guard mode != .off else { return nil }
        return { @Sendable [self] progress in update(progress) }
    }

    /// Takes a job's latest progress; shows it when the throttle allows (always for a phase's first value on a
    /// terminal).
    func update(_ progress: JobProgress) {
        guard mode != .off else { return }
        let time = now()
        state.withLock { state in
            guard !state.finished else { return }
            var newPhase = false
            if let current = state.current, current.phase != progress.phase || current.unit != progress.unit {
                // A phase the reader saw in progress, or one that took a while, ends with a summary line.
                if case .lines(let interval) = mode, state.linePrinted || time - state.phaseStart >= interval {
                    write(Self.summary(current, elapsed: time - state.phaseStart) + "\n")
                }
                newPhase = true
            }
            if state.current == nil || newPhase {
                state.phaseStart = time
                state.lastOutput = time
                state.linePrinted = false
            }
            state.current = progress
            switch mode {
            case .terminal:
                guard newPhase || !state.lineShown || time - state.lastOutput >= Self.redrawInterval else { return }
                draw(&state, at: time)
            case .lines(let interval):
                guard time - state.lastOutput >= interval else { return }
                state.lastOutput = time
                state.linePrinted = true
                write(Self.line(progress, elapsed: time - state.phaseStart) + "\n")
            case .off:
                return
            }
        }
    }

    /// Ends the progress output of a job that completed: the final status line stays on the terminal; plain
    /// output gets a summary line. Nothing when no progress was reported. Later calls do nothing.
    func finish() {
        let time = now()
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            guard let current = state.current else { return }
            switch mode {
            case .terminal:
                draw(&state, at: time)
                write("\n")
                state.lineShown = false
            case .lines:
                write(Self.summary(current, elapsed: time - state.phaseStart) + "\n")
            case .off:
                return
            }
        }
    }

    /// Ends the progress output of a job that failed: the status line is ended, no summary. Later calls do nothing.
    func stop() {
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            if state.lineShown { write("\n") }
            state.lineShown = false
        }
    }

    /// Prints `text` on stdout in the middle of a job: the status line is cleared first and drawn again after, so
    /// the two never share a line. stdout gets exactly what `print` would write.
    func log(_ text: String) {
        let time = now()
        state.withLock { state in
            let redraw = state.lineShown
            if redraw {
                write("\r\u{1B}[K")
                state.lineShown = false
            }
            print(text)
            fflush(nil)  // stdout is buffered when it is not a terminal: out before the status line comes back
            if redraw { draw(&state, at: time) }
        }
    }

    private func draw(_ state: inout State, at time: Double) {
        guard let current = state.current else { return }
        let text = Self.line(current, elapsed: time - state.phaseStart)
        // One column short of the width: a line that fills it would wrap on some terminals.
        let width = max(20, columns() - 1)
        let shown = text.count > width ? String(text.prefix(width - 1)) + "…" : text
        write("\r\u{1B}[K" + shown)
        state.lineShown = true
        state.lastOutput = time
    }

    // MARK: Text

    /// "indexing articles: 4,000/10,000 vectors (40%), 2,000 vectors/s, 3 s left"
    static func line(_ progress: JobProgress, elapsed: Double) -> String {
        var parts: [String] = []
        parts.append(amount(progress))
        if let bytes = progress.bytes {
            parts.append(
                progress.bytesTotal.map { "\(Bytes.format(bytes)) of \(Bytes.format($0))" } ?? Bytes.format(bytes))
        }
        if elapsed >= redrawInterval {
            // Bytes per second say more than parts or objects per second (they differ in size) when measured.
            let perSecond = Double(progress.done) / elapsed
            if let bytes = progress.bytes {
                if bytes > 0 { parts.append(Bytes.format(Int(Double(bytes) / elapsed)) + "/s") }
            } else if progress.done > 0 {
                parts.append("\(rate(perSecond)) \(progress.unit)/s")
            }
            // Time left from whichever measure has a total: bytes when known (parts differ in size), else units.
            var left: Double?
            if let bytes = progress.bytes, let total = progress.bytesTotal, bytes > 0 {
                left = Double(max(0, total - bytes)) / (Double(bytes) / elapsed)
            } else if let total = progress.total, progress.done > 0 {
                left = Double(max(0, total - progress.done)) / perSecond
            }
            if let left, left > 0 { parts.append(duration(left) + " left") }
        }
        return "\(progress.phase): " + parts.joined(separator: ", ")
    }

    /// "indexing articles: 10,000/10,000 vectors (100%) in 4.2 s"
    static func summary(_ progress: JobProgress, elapsed: Double) -> String {
        var text = "\(progress.phase): " + amount(progress)
        if let bytes = progress.bytes { text += ", " + Bytes.format(bytes) }
        return text + " in " + duration(elapsed)
    }

    /// "4,000/10,000 vectors (40%)", or "4,000 vectors" without a total; "1 vector" (units are plural nouns).
    static func amount(_ progress: JobProgress) -> String {
        let singular = (progress.total ?? progress.done) == 1 && progress.unit.hasSuffix("s")
        let unit = singular ? String(progress.unit.dropLast()) : progress.unit
        guard let total = progress.total else { return "\(count(progress.done)) \(unit)" }
        return "\(count(progress.done))/\(count(total)) \(unit)"
            + (total > 0 ? " (\(percent(progress.done, of: total)))" : "")
    }

    /// 1234567 → "1,234,567".
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (position, digit) in digits.enumerated() {
            if position > 0, (digits.count - position) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// Whole percent, never 100% before the job is done.
    static func percent(_ done: Int, of total: Int) -> String {
        let value = Int(Double(done) / Double(total) * 100)
        return "\(done < total ? min(value, 99) : min(value, 100))%"
    }

    static func rate(_ perSecond: Double) -> String {
        perSecond < 10 ? String(format: "%.1f", perSecond) : count(Int(perSecond.rounded()))
    }

    /// "0.4 s", "42 s", "3 m 05 s", "2 h 07 m".
    static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return String(format: "%.1f s", max(0, seconds)) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole) s" }
        if whole < 3600 { return "\(whole / 60) m " + String(format: "%02d", whole % 60) + " s" }
        return "\(whole / 3600) h " + String(format: "%02d", whole % 3600 / 60) + " m"
    }

    // MARK: The process's terminal

    static func monotonicSeconds() -> Double {
        let now = ContinuousClock.now - ProgressPrinter.origin
        return Double(now.components.seconds) + Double(now.components.attoseconds) / 1e18
    }
    private static let origin = ContinuousClock.now

    /// stderr's width, else $COLUMNS, else 80.
    static func terminalColumns() -> Int {
        var size = winsize()
        if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init) ?? 80
    }

    static func writeStandardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
