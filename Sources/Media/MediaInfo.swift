import Foundation

/// What libavformat says about an input (what ffprobe would print): its first
/// video stream and whether there is audio to carry over. Prep and colorize
/// read inputs through it.
public struct MediaInfo: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Sample (pixel) aspect ratio, reduced; 1:1 when unknown.
    public var sarNumerator = 1
    public var sarDenominator = 1
    /// The stream's frame rate as ffprobe gives it ("25/1", "30000/1001"), passed
    /// back to an encoder unchanged so an output's rate is exactly the input's
    /// ("25/1" when the stream states none).
    public var frameRate: String
    /// Average frame rate (the stated rate, or 25, when the stream gives none); stored with prep's sequences.
    public var fps: Double
    /// Frames, if the container says or duration × fps allows (for ETAs only).
    public var estimatedFrames: Int?
    /// Frames the container states (nb_frames), when it states them: fewer
    /// decoded frames mean a truncated or damaged file.
    public var claimedFrames: Int?
    public var codec: String
    public var format: String
    /// The first audio stream's codec, nil when there is none.
    public var audioCodec: String?

    /// Sample aspect ratio "N:D", as ffmpeg's `setsar` takes it.
    public var sampleAspectRatio: String { "\(sarNumerator):\(sarDenominator)" }

    /// Probes `path` (in-process, through `FormatProbe`); every failure is a
    /// `MediaError` whose `reason` is one line.
    public static func probe(_ path: String) throws -> MediaInfo {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw MediaError(path: path, reason: "cannot read file")
        }
        if (attributes[.size] as? Int ?? 0) == 0 { throw MediaError(path: path, reason: "empty file") }
        return try MediaInfo(report: try FormatProbe.report(path), path: path)
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// What is known of an input decoded without probing (a photo that
    /// `StillDecoder` reads whole): only how many frames it is to make.
    public static func unprobed(frames: Int) -> MediaInfo {
        var info = MediaInfo(width: 0, height: 0, frameRate: "0/1", fps: 0, codec: "?", format: "?")
        info.estimatedFrames = frames
        return info
    }
}

extension MediaInfo {
    /// The first video stream of what libavformat reported about `path`;
    /// values out of range are dropped, never trusted.
    init(report: ProbeReport, path: String) throws {
        guard let video = report.streams.first(where: { $0.kind == .video }), video.width > 0, video.height > 0
        else { throw MediaError(path: path, reason: "no video stream") }
        // ffmpeg renders plain text files as "tty" video; that is not footage.
        if report.format == "tty" { throw MediaError(path: path, reason: "a text file, not a video") }
        // A rate with a zero or negative part (0/0 = unknown) is no rate.
        let rate = [video.frameRate, video.averageFrameRate].first { $0.positiveValue != nil }
        let fps = video.averageFrameRate.positiveValue ?? rate?.positiveValue ?? 25
        self.init(width: video.width, height: video.height,
                  frameRate: rate.map { "\($0.numerator)/\($0.denominator)" } ?? "25/1", fps: fps,
                  codec: video.codec, format: report.format,
                  audioCodec: report.streams.first { $0.kind == .audio }?.codec)
        if video.sampleAspectRatio.positiveValue != nil {
            let (n, d) = (video.sampleAspectRatio.numerator, video.sampleAspectRatio.denominator)
            let g = Self.gcd(n, d)
            (sarNumerator, sarDenominator) = (n / g, d / g)
        }
        if video.frames > 0 {
            estimatedFrames = video.frames
            claimedFrames = video.frames
        } else if let d = video.duration ?? report.duration {
            // A container's duration can be anything (inf, 1e300): only a sane estimate is kept.
            let estimate = (d * fps).rounded()
            if estimate.isFinite, estimate >= 0, estimate < 1e15 { estimatedFrames = Int(estimate) }
        }
    }
}
