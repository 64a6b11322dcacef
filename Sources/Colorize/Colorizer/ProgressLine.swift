import Foundation

/// The progress line on stderr: frames done, frames per second, ETA.
/// Rewritten in place on a terminal (at most twice a second); a plain line
/// every few seconds when stderr is a file or pipe, so logs stay readable.
public final class ProgressLine {
    let label: String
    let total: Int?
    let start = Date()
    private var lastPrint = Date.distantPast
    private let interactive = isatty(2) != 0
    private var lastDone = -1

    public init(label: String, total: Int?) {
        self.label = label
        self.total = total
    }

    public func update(_ done: Int) {
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= (interactive ? 0.5 : 5) else { return }
        lastPrint = now
        lastDone = done
        emit(text(done, now: now), final: false)
    }

    public func finish(_ done: Int) {
        // A log already has this exact line from the last update; a terminal needs the newline.
        if !interactive && done == lastDone { return }
        emit(text(done, now: Date()), final: true)
    }

    public var elapsed: Double { Date().timeIntervalSince(start) }

    func text(_ done: Int, now: Date) -> String {
        let seconds = max(now.timeIntervalSince(start), 1e-9)
        let rate = Double(done) / seconds
        var line = "\(label): \(done)"
        if let total, total > 0 { line += "/\(total)" }
        line += " frames, " + String(format: "%.1f", rate) + " frames/s"
        if let total, total > done, rate > 0 {
            line += ", ETA " + Self.duration(Double(total - done) / rate)
        } else {
            line += ", " + Self.duration(seconds) + " elapsed"
        }
        return line
    }

    static func duration(_ s: Double) -> String {
        // The total comes from the container (ffprobe); a bogus one must not trap Int(s).
        guard s.isFinite, s >= 0, s < 1e15 else { return "?" }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
            : String(format: "%d:%02d", t / 60, t % 60)
    }

    private func emit(_ line: String, final: Bool) {
        let out = interactive ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n"
        FileHandle.standardError.write(Data(out.utf8))
    }
}
