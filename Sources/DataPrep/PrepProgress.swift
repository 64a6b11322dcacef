import Console
import Foundation

/// What prep shows while it runs: on a terminal the shared progress line
/// (redrawn every half second from `PrepStats`, so it moves while a long
/// video decodes); elsewhere one log line per finished input. Notes
/// (skipped inputs, damaged files) are warnings either way.
final class PrepProgress: @unchecked Sendable {
    static let logger = Logger(label: "prep")
    private let stats: PrepStats
    private let line: ProgressLine
    private let lock = NSLock()
    private var stopped = false

    init(stats: PrepStats, enabled: Bool) {
        self.stats = stats
        line = ProgressLine(label: "prep", fileInterval: nil, enabled: enabled)
    }

    func start() {
        guard Console.isTerminal else { return }
        Thread.detachNewThread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                lock.lock()
                defer { lock.unlock() }
                if stopped { return }
                line.show(text(stats.snapshot()))
            }
        }
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    /// A skipped input or a damaged file that was kept.
    func note(_ message: String) { Self.logger.warning("\(message)") }

    /// One input written; a log line when there is no progress line to show it
    /// (for photos, one in a hundred: a folder of stills holds thousands).
    func inputDone(_ s: DatasetIndex.Source) {
        guard !Console.isTerminal else { return }
        let snapshot = stats.snapshot()
        if s.kind == PrepInput.Kind.still.rawValue, snapshot.inputsDone % 100 != 0, snapshot.inputsDone != snapshot.inputsTotal {
            Self.logger.debug("[\(snapshot.inputsDone)/\(snapshot.inputsTotal)] \(s.name): \(s.frames) frames, \(s.sequences) clips (\(s.split))")
            return
        }
        Self.logger.info("[\(snapshot.inputsDone)/\(snapshot.inputsTotal)] \(s.name): \(s.frames) frames, \(s.sequences) sequences, \(s.cuts) cuts, \(s.droppedShort) short dropped (\(s.split))")
    }

    func text(_ s: (inputsDone: Int, inputsTotal: Int, frames: Int, estimated: Int, elapsed: Double)) -> String {
        let rate = s.elapsed > 0 ? Double(s.frames) / s.elapsed : 0
        var text = "files \(s.inputsDone)/\(s.inputsTotal)  frames \(s.frames)  \(Int(rate)) frames/s"
        if rate > 0, s.estimated > s.frames {
            text += "  ETA \(ProgressLine.duration(Double(s.estimated - s.frames) / rate))"
        }
        return text
    }
}
