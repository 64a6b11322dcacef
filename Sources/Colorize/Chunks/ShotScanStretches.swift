import Console
import Foundation
import Media
import Storage

/// The plan's pass shared by a team: the film cut into as many stretches of
/// time as there are ranks, each rank scanning its own from a seek, and rank
/// 0 putting the parts together into exactly the plan one `ShotScan.plan`
/// over the whole film makes, or doing that scan itself when it cannot be sure.
///
/// A stretch is the frames whose time lies in `[from, to)`. The detector's
/// decision for frame t reads the frames t−2 … t+1 (the scores either side of
/// t's, `SceneCutDetector.isCut`), so a rank decodes from a seek before
/// `from` and scores two frames before its stretch without keeping their
/// decisions (its detector then stands where a serial scan stands at the
/// stretch's first frame), and one frame past `to` for the last decision.
/// Those frames are the seams' evidence: a part carries its first frame and
/// the two before it (`head`) and its first frame past the end and the two
/// before it (`tail`), each as time and checksum of what the detector saw;
/// the parts fit when one's tail is the next one's head. The part before a
/// seam was decoded without a seek since the film's start or the seam before
/// it, so a fit shows the seek gave the serial decode's frames there, and the
/// frame numbers follow by counting. Frame times must increase strictly
/// (checked across every pair a rank decodes, the seams included), so a
/// stretch of time is a stretch of frames. Where any of it fails (a part's
/// times go back or repeat, a seam does not fit) rank 0 scans serially.
extension ShotScan {
    /// One rank's stretch of the film, in nanoseconds of presentation time:
    /// from the film's start when `from` is nil, to its end when `to` is.
    struct Stretch: Equatable {
        var from: Int64?
        var to: Int64?
    }

    /// `ranks` stretches of equal time over the film's stated duration; nil
    /// (scan serially) for one rank or a film that states no duration.
    static func stretches(of info: MediaInfo, ranks: Int) -> [Stretch]? {
        guard ranks > 1, let duration = info.duration else { return nil }
        let start = info.startMicroseconds * 1000
        let bounds = (1..<ranks).map { start + Int64((duration * Double($0) / Double(ranks) * 1e9).rounded()) }
        return (0..<ranks).map { Stretch(from: $0 == 0 ? nil : bounds[$0 - 1], to: $0 + 1 < ranks ? bounds[$0] : nil) }
    }

    /// A frame as a seam's evidence: its time and the checksum of the detector's view of it.
    struct Sample: Codable, Equatable {
        var nanoseconds: Int64
        /// `CutScan.digest`, in hexadecimal (JSON numbers are not sure to hold 64 bits).
        var digest: String
    }

    /// What a rank found in its stretch.
    struct Part: Codable, Equatable {
        /// Frames in the stretch.
        var frames = 0
        /// The first one's time (nil when there is none).
        var firstNanoseconds: Int64?
        /// The frames of the stretch (counted from its first) that start a shot, and their times.
        var cuts: [Int] = []
        var cutNanoseconds: [Int64] = []
        /// Up to two frames before `from` and the first at or after it.
        var head: [Sample] = []
        /// Up to two frames before `to` and the first at or after it.
        var tail: [Sample] = []
        /// Why this part cannot be put together with the others (its times do not increase).
        var failure: String?
        /// Where the rank's decode began, seconds after the container's start (nil: at the film's start).
        var seek: Double?
        /// ffmpeg's complaints while decoding (`FrameReader.complaints`).
        var complaints = 0
        var firstComplaint: String?
    }

    /// Scans `stretch` of the film at `path`, seeking to a second (or four
    /// frames) before it, then ten times as far, then from the film's start:
    /// a seek that gives fewer than two frames before the stretch (a gap in
    /// the picture, a file that seeks to its end or to nothing) is tried
    /// further back. `progress` gets each frame of the stretch once. An error
    /// in a later stretch's decode becomes the part's `failure`, not a throw:
    /// rank 0 then scans the film alone, and meets the error itself if the
    /// serial scan fails on it too (a throw here would end every rank).
    static func part(of path: String, info: MediaInfo, modelSize: Int, stretch: Stretch,
                     progress: (Int) -> Void) throws -> Part {
        guard let from = stretch.from else {
            return try scan(path, info: info, modelSize: modelSize, stretch: stretch, seek: nil, progress: progress)!
        }
        do {
            let offset = Double(from - info.startMicroseconds * 1000) / 1e9
            let margin = max(1, 4 / max(info.fps, 1e-3))
            for seek in [offset - margin, offset - 10 * margin] where seek > 0 {
                if let part = try scan(path, info: info, modelSize: modelSize, stretch: stretch, seek: seek, progress: progress) {
                    return part
                }
                Logger(label: "colorize").debug("\(path): seeking to \(String(format: "%.3f", seek)) s gave fewer than two frames before the stretch from \(String(format: "%.3f", offset)) s; seeking further back")
            }
            return try scan(path, info: info, modelSize: modelSize, stretch: stretch, seek: nil, progress: progress)!
        } catch let stop as StoppedBySignal {
            throw stop
        } catch {
            var failed = Part()
            failed.failure = "its decode failed: \(error)"
            return failed
        }
    }

    /// One decode for `part`; nil when a `seek` gave fewer than two frames
    /// before the stretch (then nothing was reported to `progress`).
    private static func scan(_ path: String, info: MediaInfo, modelSize: Int, stretch: Stretch, seek: Double?,
                             progress: (Int) -> Void) throws -> Part? {
        let reader = try FrameReader(.file(path), width: info.width, height: info.height, timestamps: true, seek: seek)
        defer { reader.cancel() }
        let scan = CutScan(modelSize: modelSize)
        var part = Part(seek: seek)
        /// The last two frames decoded before the current one.
        var recent: [Sample] = []
        var previous: (ns: Int64, inStretch: Bool)?
        var decoded = 0
        var sawStart = stretch.from == nil, ended = true
        while let frame = reader.next() {
            if let signal = StopSignal.received { throw StoppedBySignal(signal) }
            guard let ns = try reader.timestamps!.nanoseconds(of: decoded) else {
                throw MediaError(path: path, reason: "ffmpeg gave no timestamp for a frame \(decoded + 1) frames after \(seek.map { "\($0) s" } ?? "the start")")
            }
            if let previous, ns <= previous.ns {
                part.failure = "frame times do not increase (\(previous.ns) ns, then \(ns) ns)"
                return part
            }
            let decision = scan.push(frame, width: reader.width, height: reader.height)
            let sample = Sample(nanoseconds: ns, digest: String(scan.digest, radix: 16))
            decoded += 1
            if decision == true, let previous, previous.inStretch {
                part.cuts.append(part.frames - 1)
                part.cutNanoseconds.append(previous.ns)
            }
            if !sawStart, ns >= stretch.from! {
                if seek != nil, recent.count < 2 { return nil }
                sawStart = true
                part.head = recent + [sample]
            }
            if let to = stretch.to, ns >= to {
                part.tail = recent + [sample]
                ended = false
                break
            }
            if sawStart {
                if part.frames == 0 { part.firstNanoseconds = ns }
                part.frames += 1
                progress(1)
            }
            recent = Array((recent + [sample]).suffix(2))
            previous = (ns, sawStart)
        }
        if let signal = StopSignal.received { throw StoppedBySignal(signal) }
        if ended {
            if !sawStart {
                if seek != nil, recent.count < 2 { return nil }
                part.head = recent
            }
            part.tail = recent
            if scan.finish() == true, let previous, previous.inStretch {
                part.cuts.append(part.frames - 1)
                part.cutNanoseconds.append(previous.ns)
            }
            do { try reader.finishOrThrow() } catch where seek != nil && part.frames == 0 { return nil }
            (part.complaints, part.firstComplaint) = reader.complaints()
        } else {
            (part.complaints, part.firstComplaint) = reader.complaintsBeforeCancel()
            reader.cancel()
        }
        return part
    }

    /// The plan of the film from every rank's part, in rank order: exactly
    /// the serial scan's, or why the parts cannot give it.
    static func merge(_ parts: [Part], chunkFrames: Int) -> Result<ChunkPlan, MergeFailure> {
        if let (r, part) = parts.enumerated().first(where: { $0.element.failure != nil }) {
            return .failure(MergeFailure(reason: "stretch \(r + 1): \(part.failure!)"))
        }
        for r in parts.indices.dropFirst() where parts[r - 1].tail != parts[r].head {
            return .failure(MergeFailure(reason: "stretches \(r) and \(r + 1) decoded different frames around their seam"
                                         + " (\(parts[r - 1].tail.map(\.nanoseconds)) ns against \(parts[r].head.map(\.nanoseconds)) ns)"))
        }
        var cuts: [Int] = []
        var starts: [Int: Int64] = [:]
        var frames = 0
        for part in parts {
            if frames == 0, let first = part.firstNanoseconds { starts[0] = first }
            for (cut, ns) in zip(part.cuts, part.cutNanoseconds) {
                cuts.append(frames + cut)
                starts[frames + cut] = ns
            }
            frames += part.frames
        }
        return .success(ChunkPlan(frames: frames, cuts: cuts, chunkFrames: chunkFrames) { starts[$0]! })
    }

    struct MergeFailure: Error { var reason: String }

    /// ffmpeg's complaints in all the parts, in one line (`FrameReader.complaintSummary`).
    static func complaintSummary(_ parts: [Part], decoding path: String) -> String? {
        FrameReader.complaintSummary(count: parts.reduce(0) { $0 + $1.complaints },
                                     first: parts.lazy.compactMap(\.firstComplaint).first, decoding: path)
    }
}
