// The numbers `/metrics` serves in Prometheus' text format: request counts and latency histograms per route, written
// by the server itself, and whatever the layers below report through swift-metrics (object-store operations, cache
// hits, compaction) once `bootstrap()` made this the process's metrics factory.
import CoreMetrics
import Foundation
import Synchronization

public final class ServerMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram buckets.
    static let buckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct Series: Hashable {
        var name: String
        var labels: [(String, String)]
        static func == (a: Series, b: Series) -> Bool {
            a.name == b.name && a.labels.elementsEqual(b.labels, by: { $0 == $1 })
        }
        func hash(into hasher: inout Hasher) {
            hasher.combine(name)
            for (k, v) in labels {
                hasher.combine(k)
                hasher.combine(v)
            }
        }
        var text: String { ServerMetrics.render(labels) }
    }

    struct Histogram {
        var counts = [UInt64](repeating: 0, count: ServerMetrics.buckets.count)
        var count: UInt64 = 0
        var sum: Double = 0
        mutating func record(_ seconds: Double) {
            count += 1
            sum += seconds
            for (i, bound) in ServerMetrics.buckets.enumerated() where seconds <= bound { counts[i] += 1 }
        }
    }

    struct State {
        var counters: [Series: Double] = [:]
        var gauges: [Series: Double] = [:]
        var histograms: [Series: Histogram] = [:]
    }

    let state = Mutex(State())

    public init() {}

    // MARK: Recording

    func recordRequest(route: String, method: String, status: Int, nanoseconds: UInt64) {
        let counter = Series(
            name: "cairn_http_requests_total",
            labels: [("method", method), ("route", route), ("status", String(status))])
        let timer = Series(name: "cairn_http_request_duration_seconds", labels: [("method", method), ("route", route)])
        state.withLock {
            $0.counters[counter, default: 0] += 1
            $0.histograms[timer, default: Histogram()].record(Double(nanoseconds) / 1e9)
        }
    }

    func add(_ series: Series, _ amount: Double) { state.withLock { $0.counters[series, default: 0] += amount } }
    func set(_ series: Series, _ value: Double) { state.withLock { $0.gauges[series] = value } }
    func observe(_ series: Series, seconds: Double) {
        state.withLock { $0.histograms[series, default: Histogram()].record(seconds) }
    }

    // MARK: Prometheus text format

    /// The text Prometheus scrapes. Each series' labels are rendered once per scrape (sorting compares the
    /// rendered text), and label values are escaped only when they hold a character that needs it.
    public func prometheusText() -> String {
        let snapshot = state.withLock { $0 }
        var out = ""
        out.reserveCapacity(
            64 * (snapshot.counters.count + snapshot.gauges.count)
                + 96 * (Self.buckets.count + 3) * snapshot.histograms.count)
        var typed = Set<String>()
        func type(_ name: String, _ kind: String) {
            if typed.insert(name).inserted { out += "# TYPE \(name) \(kind)\n" }
        }
        func rendered<Value>(_ values: [Series: Value]) -> [(name: String, labels: String, value: Value)] {
            values.map { (name: $0.key.name, labels: $0.key.text, value: $0.value) }
                .sorted { $0.name != $1.name ? $0.name < $1.name : $0.labels < $1.labels }
        }
        for series in rendered(snapshot.counters) {
            type(series.name, "counter")
            out += "\(series.name)\(series.labels) \(Self.number(series.value))\n"
        }
        for series in rendered(snapshot.gauges) {
            type(series.name, "gauge")
            out += "\(series.name)\(series.labels) \(Self.number(series.value))\n"
        }
        for series in rendered(snapshot.histograms) {
            type(series.name, "histogram")
            // The bucket's labels: the series' own, then `le`.
            let open = series.labels.isEmpty ? "{" : String(series.labels.dropLast()) + ","
            let histogram = series.value
            for (i, bound) in Self.bucketText.enumerated() {
                out += "\(series.name)_bucket\(open)le=\"\(bound)\"} \(histogram.counts[i])\n"
            }
            out += "\(series.name)_bucket\(open)le=\"+Inf\"} \(histogram.count)\n"
            out += "\(series.name)_sum\(series.labels) \(Self.number(histogram.sum))\n"
            out += "\(series.name)_count\(series.labels) \(histogram.count)\n"
        }
        return out
    }

    /// The bucket bounds as `le` values.
    static let bucketText = buckets.map { number($0) }

    static func render(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { key, value in "\(key)=\"\(escape(value))\"" }.joined(separator: ",") + "}"
    }

    /// A label value as the text format wants it: backslash, double quote and newline escaped.
    static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == 10 }) else {
            return value
        }
        var out = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A Prometheus metric or label name from a swift-metrics label ("blockfile.cache.hits" → "blockfile_cache_hits").
    static func sanitize(_ name: String) -> String {
        var out = ""
        for (i, scalar) in name.unicodeScalars.enumerated() {
            let ok =
                (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_"
                || (i > 0 && scalar >= "0" && scalar <= "9")
            out.unicodeScalars.append(ok ? scalar : "_")
        }
        return out
    }

    /// The series of a swift-metrics label: sanitized, with the unit suffix Prometheus expects (`_total` for
    /// counters, `_seconds` for timers) added unless the label already ends with it.
    static func series(_ label: String, _ dimensions: [(String, String)], suffix: String = "") -> Series {
        let name = sanitize(label)
        return Series(
            name: name.hasSuffix(suffix) ? name : name + suffix,
            labels: dimensions.map { (sanitize($0.0), $0.1) }.sorted { $0.0 < $1.0 })
    }
}

// MARK: swift-metrics backend

extension ServerMetrics: MetricsFactory {
    /// Makes this the process's metrics backend (once per process: `cairn serve` calls it; tests do not).
    public func bootstrap() {
        MetricsSystem.bootstrap(self)
    }

    // Counters and gauges are shown from the moment they are made (at 0), so every documented series is on
    // /metrics from startup, not only after its first event: a dashboard or alert can rely on its name.
    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let series = Self.series(label, dimensions, suffix: "_total")
        add(series, 0)
        return Handler(metrics: self, series: series)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        let series = Self.series(label, dimensions)
        if !aggregate { state.withLock { if $0.gauges[series] == nil { $0.gauges[series] = 0 } } }
        return Handler(metrics: self, series: series, aggregate: aggregate)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handler(metrics: self, series: Self.series(label, dimensions, suffix: "_seconds"))
    }

    public func destroyCounter(_ handler: any CounterHandler) {}
    public func destroyRecorder(_ handler: any RecorderHandler) {}
    public func destroyTimer(_ handler: any TimerHandler) {}

    final class Handler: CounterHandler, RecorderHandler, TimerHandler, Sendable {
        let metrics: ServerMetrics
        let series: Series
        let aggregate: Bool

        init(metrics: ServerMetrics, series: Series, aggregate: Bool = false) {
            self.metrics = metrics
            self.series = series
            self.aggregate = aggregate
        }

        func increment(by amount: Int64) { metrics.add(series, Double(amount)) }
        func reset() { metrics.set(series, 0) }
        func record(_ value: Int64) { record(Double(value)) }
        func record(_ value: Double) {
            if aggregate { metrics.observe(series, seconds: value) } else { metrics.set(series, value) }
        }
        func recordNanoseconds(_ duration: Int64) { metrics.observe(series, seconds: Double(duration) / 1e9) }
    }
}
