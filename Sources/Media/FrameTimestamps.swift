import Foundation

/// The presentation timestamp of every frame a `FrameReader` decodes, so an
/// encoder can give each coloured frame the time of its original: a film of
/// variable frame rate stays in step with its sound.
///
/// ffmpeg pipes raw frames without their times, so the reader's ffmpeg writes
/// a second output beside them: the same frames, wrapped without a copy
/// (`wrapped_avframe`), through the `framecrc` muxer onto its stderr, one line
/// a frame ("0, dts, pts, duration, size, crc"), flushed at once, in the input
/// stream's own time base (`-enc_time_base -1`, named in its "#tb 0:" line).
/// `StderrCollector` hands those lines here and keeps the rest as ffmpeg's
/// complaints.
public final class FrameTimestamps: @unchecked Sendable {
    private let condition = NSCondition()
    /// The time base's numerator and denominator, once its line has come.
    private var base: (Int, Int)?
    /// Timestamps from frame `first` on; the ones read are dropped now and then.
    private var pts: [Int64] = []
    private var first = 0
    private var ended = false

    public init() {}

    /// Takes `line` if it is one of framecrc's; false for any other line.
    func take(_ line: Substring) -> Bool {
        if line.hasPrefix("#") {
            // "#tb 0: 1/15360"; the other header lines say nothing needed here.
            if line.hasPrefix("#tb 0: ") {
                let parts = line.dropFirst(7).split(separator: "/").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                if parts.count == 2, parts[0] > 0, parts[1] > 0 {
                    condition.lock()
                    base = (parts[0], parts[1])
                    condition.unlock()
                }
            }
            return line.hasPrefix("#tb ") || line.hasPrefix("#format") || line.hasPrefix("#software")
                || line.hasPrefix("#media_type") || line.hasPrefix("#codec_id") || line.hasPrefix("#dimensions") || line.hasPrefix("#sar")
        }
        guard line.hasPrefix("0,") else { return false }
        let fields = line.split(separator: ",", maxSplits: 3)
        guard fields.count >= 3, let value = Int64(fields[2].trimmingCharacters(in: .whitespaces)) else { return false }
        condition.lock()
        pts.append(value)
        condition.broadcast()
        condition.unlock()
        return true
    }

    /// ffmpeg has closed its stderr: no more timestamps will come.
    func end() {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// Frame `index`'s presentation time in nanoseconds, waiting for its line if
    /// need be; nil when ffmpeg ended without giving it. Frames are asked for in
    /// order: those before `index` are forgotten.
    public func nanoseconds(of index: Int) throws -> Int64? {
        condition.lock()
        defer { condition.unlock() }
        while (index - first >= pts.count || base == nil) && !ended { condition.wait() }
        guard index >= first, index - first < pts.count, let (num, den) = base else { return nil }
        let value = pts[index - first]
        if index - first > 4096 {
            pts.removeFirst(index - first)
            first = index
        }
        guard let ns = Self.nanoseconds(value, num, den) else { throw MediaError("frame \(index + 1)'s timestamp (\(value) × \(num)/\(den) s) is out of range") }
        return ns
    }

    /// `value × num / den` seconds in whole nanoseconds, rounded; in doubles,
    /// off by under a microsecond over days, far less than any time base's tick.
    /// Nil when that is beyond Int64's ±292 years (a damaged or hostile file's
    /// timestamp, or a frame rate far below one frame a second): the one
    /// conversion from ticks to nanoseconds, for a video's timestamps and for
    /// images at `--fps` alike.
    public static func nanoseconds(_ value: Int64, _ num: Int, _ den: Int) -> Int64? {
        let ns = (Double(value) * Double(num) * 1e9 / Double(den)).rounded()
        guard abs(ns) < 9.2e18 else { return nil }
        return Int64(ns)
    }
}
