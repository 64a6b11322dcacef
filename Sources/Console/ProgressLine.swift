import Foundation

/// The program's one progress line: how far a long job is, how fast it goes
/// and when it will end. Rewritten in place on a terminal (at most twice a
/// second); on a file or pipe a plain line every `fileInterval` seconds (or
/// none when that is nil), so logs stay readable. Hidden below `info`
/// (`--log-level quiet`).
public final class ProgressLine: @unchecked Sendable {
    let label: String
    let total: Int?
    let unit: String
    let fileInterval: Double?
    let start = Date()
    private let lock = NSLock()
    private var lastShown = Date.distantPast
    private var lastText: String?
    private let enabled: Bool

    /// - Parameters:
    ///   - label: what runs ("colorize", "eval", "prep", "train").
    ///   - total: the count `update` counts towards, when known.
    ///   - unit: what is counted ("frames").
    ///   - fileInterval: seconds between lines when stderr is not a terminal; nil: no lines there.
    public init(label: String, total: Int? = nil, unit: String = "frames", fileInterval: Double? = 5,
                enabled: Bool = true) {
        self.label = label
        self.total = total
        self.unit = unit
        self.fileInterval = fileInterval
        self.enabled = enabled && Console.level <= .info
    }

    /// Shows `done` of `total` with its rate and ETA (rate-limited).
    public func update(_ done: Int) { show(text(done, now: Date())) }

    /// Shows the last count on a line of its own.
    public func finish(_ done: Int) { show(text(done, now: Date()), final: true) }

    /// Shows `text` as the progress line: at most every half second on a
    /// terminal or `fileInterval` on a file, unless `force` or `final`.
    public func show(_ text: String, force: Bool = false, final: Bool = false) {
        guard enabled else { return }
        let now = Date()
        lock.lock()
        defer { lock.unlock() }
        if !Console.isTerminal {
            // A log already has this exact line from the last update.
            if final && text == lastText { return }
            guard let fileInterval, force || final || now.timeIntervalSince(lastShown) >= fileInterval else { return }
        } else if !force && !final && now.timeIntervalSince(lastShown) < 0.5 {
            return
        }
        lastShown = now
        lastText = text
        Console.writeProgress(label + ": " + text, final: final)
    }


    func text(_ done: Int, now: Date) -> String {
        let seconds = max(now.timeIntervalSince(start), 1e-9)
        let rate = Double(done) / seconds
        var line = "\(done)"
        if let total, total > 0 { line += "/\(total)" }
        line += " \(unit), " + String(format: "%.1f", rate) + " \(unit)/s"
        if let total, total > done, rate > 0 {
            line += ", ETA " + Self.duration(Double(total - done) / rate)
        } else {
            line += ", " + Self.duration(seconds) + " elapsed"
        }
        return line
    }

    /// "42s", "3m05s", "1h02m": the one way the program writes a duration.
    public static func duration(_ s: Double) -> String {
        // Past ~30 million years an ETA means nothing, and Int(s) would trap beyond Int.max
        // (a total from a container's header, or a remaining-step count, can be bogus).
        guard s.isFinite, s >= 0, s < 1e15 else { return "?" }
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }
}
