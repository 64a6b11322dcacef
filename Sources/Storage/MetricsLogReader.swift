import Foundation

/// The one reader of RUN/metrics.jsonl, for `vcolor report` (`RunHistory`)
/// and `vcolor tensorboard` (`RunExport`), so both take the same lines as
/// events and skip the same ones:
///
/// - a line that is not one whole JSON object (cut short by a crash, or run
///   into the next attempt's first line) or has no string `event` and
///   number `step` is unreadable: skipped and counted, for the tool to say so;
/// - an event name this version does not know (a newer vcolor's) is handed
///   on as nil, for the tool to pass over, and is not counted: the line is
///   readable, only not shown.
///
/// Where a resumed run logged a step again, the newer line wins; that is the
/// tools' to apply (a curve drops its points from that step on, an export
/// its events), since only they know what they keep.
extension MetricsLog {
    /// RUN/metrics.jsonl mapped into memory (a long run's log is hundreds of
    /// megabytes and is read once), or nil when it cannot be read.
    public static func contents(ofRun run: String) -> Data? {
        try? Data(contentsOf: URL(fileURLWithPath: (run as NSString).appendingPathComponent(fileName)), options: .alwaysMapped)
    }

    /// Hands every readable event of `bytes` (a metrics.jsonl) to `body`, in
    /// order: its event (nil for an unknown name), its step and its line.
    /// `body` returns false when the event lacks what the tool needs; such
    /// lines count as unreadable too. Returns the number of unreadable lines.
    public static func read(_ bytes: UnsafeBufferPointer<UInt8>,
                            _ body: (_ event: Event?, _ step: Double, _ line: JSONLineScanner) -> Bool) -> Int {
        func readable(_ line: JSONLineScanner) -> Bool {
            guard line.isWholeObject, let name = line.string(.event), let step = line.number(.step) else { return false }
            return body(Event(rawValue: name), step, line)
        }
        var unreadable = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            if end > start, !readable(JSONLineScanner(UnsafeBufferPointer(rebasing: bytes[start..<end]))) { unreadable += 1 }
            start = end + 1
        }
        return unreadable
    }
}
