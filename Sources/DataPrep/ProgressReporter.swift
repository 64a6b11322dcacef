import Foundation

/// The progress line on a terminal (rewritten in place), plain log lines otherwise.
final class ProgressReporter: @unchecked Sendable {
    let isTerminal: Bool
    private let stats: PrepStats
    private let lock = NSLock()
    private var stopped = false
    private var lineShown = false
    private var thread: Thread?

    init(stats: PrepStats, enabled: Bool) {
        self.stats = stats
        isTerminal = enabled && isatty(2) != 0
    }

    func start() {
        guard isTerminal else { return }
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                lock.lock()
                if stopped { lock.unlock(); return }
                draw()
                lock.unlock()
            }
        }
        self.thread = thread
        thread.start()
    }

    private func draw() {
        let s = stats.snapshot()
        let rate = s.elapsed > 0 ? Double(s.frames) / s.elapsed : 0
        var line = "prep: files \(s.inputsDone)/\(s.inputsTotal)  frames \(s.frames)  \(Int(rate)) frames/s"
        if rate > 0, s.estimated > s.frames {
            line += "  ETA \(Self.duration(Double(s.estimated - s.frames) / rate))"
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        lineShown = true
    }

    /// Prints a message on its own line (clearing the progress line first).
    func log(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        let prefix = lineShown ? "\r\u{1B}[K" : ""
        FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
        if isTerminal && !stopped { draw() }
    }

    func stop() {
        lock.lock()
        stopped = true
        if lineShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        lock.unlock()
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }
}
