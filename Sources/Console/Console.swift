import Foundation
@_exported import Logging

/// What the program says on stderr: log messages (through swift-log, one
/// handler, `ConsoleLogHandler`) and at most one progress line (`ProgressLine`).
/// Both write through here, so a message never lands in the middle of a
/// progress line on a terminal.
public enum Console {
    /// Installs the stderr handler for every `Logger` with `level` as the
    /// threshold. Call once, first thing (swift-log allows one bootstrap per process).
    public static func bootstrap(level: Logger.Level) {
        state.withLock { $0.level = level }
        LoggingSystem.bootstrap { label in ConsoleLogHandler(label: label) }
    }

    /// The threshold set at bootstrap (`.info` when nothing was bootstrapped, as in tests).
    public static var level: Logger.Level { state.withLock { $0.level } }

    /// This process's rank and the job's size: shown in every message when the job
    /// has more than one rank.
    public static func setRank(_ rank: Int, of size: Int) {
        state.withLock { $0.rank = size > 1 ? "rank \(rank)/\(size)" : nil }
    }

    static var rankLabel: String? { state.withLock { $0.rank } }

    /// Whether stderr is a terminal (progress lines are rewritten in place there).
    public static let isTerminal = isatty(2) != 0

    // MARK: - Writing

    struct State {
        var level = Logger.Level.info
        var rank: String?
        /// A progress line is on screen without its newline (terminal only).
        var lineShown = false
    }

    static let state = LockedState(State())

    /// Writes a whole line, first clearing a progress line that is on screen.
    static func writeLine(_ text: String) {
        state.withLock { s in
            let clear = s.lineShown ? "\r\u{1B}[K" : ""
            s.lineShown = false
            FileHandle.standardError.write(Data((clear + text + "\n").utf8))
        }
    }

    /// Writes `Error: message` as one line in a single write(2), as ArgumentParser
    /// words it. ArgumentParser writes through C's unbuffered stderr, which glibc
    /// sends as "E" and then the rest: under mpirun, the launcher's own notice
    /// about a rank that already exited could land between the two.
    public static func writeError(_ message: String) {
        writeLine("Error: " + message)
    }

    /// Rewrites the progress line in place (terminal), or writes it as a line.
    static func writeProgress(_ text: String, final: Bool) {
        guard isTerminal else { return writeLine(text) }
        state.withLock { s in
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text + (final ? "\n" : "")).utf8))
            s.lineShown = !final
        }
    }
}

/// A value behind a lock, for the few process-wide settings.
final class LockedState<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
