import Foundation

/// What libavformat says about an input (what ffprobe would print): its first
/// video stream and what else there is to carry over (audio, subtitles).
/// Prep and colorize read inputs through it.
public struct MediaInfo: Equatable, Sendable {
    /// The picture's size as shown, which is the size ffmpeg decodes it to: a
    /// display matrix's quarter turn (a phone held upright) swaps the stored
    /// width and height, and ffmpeg's decoder applies the turn (`rotation`).
    public var width: Int
    public var height: Int
    /// Sample (pixel) aspect ratio as shown (swapped with width and height), reduced; 1:1 when unknown.
    public var sarNumerator = 1
    public var sarDenominator = 1
    /// The stream's frame rate as ffprobe gives it ("25/1", "30000/1001"; "25/1"
    /// when the stream states none). An encoder is given each frame's own
    /// timestamp instead (`FrameTimestamps`): a variable rate has no one rate.
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
    /// The video stream's time base ("1/15360"): its timestamps count these.
    public var timeBase = "1/25"
    /// Degrees (clockwise, 0..<360) the decoder turns the stored picture to
    /// show it, from the stream's display matrix; 0 without one.
    public var rotation = 0.0
    /// The subtitle streams, in file order.
    public var subtitles: [Subtitle] = []
    /// The container's start in microseconds, from which ffmpeg's `-ss`
    /// counts (`FrameReader`'s `seek`); 0 when it states none.
    public var startMicroseconds: Int64 = 0
    /// Seconds the video lasts, as the stream (else the container) states
    /// it; nil when neither does. For dividing a film into stretches of time
    /// (colorize's plan pass on several ranks), never for counting frames.
    public var duration: Double?

    public struct Subtitle: Equatable, Sendable {
        /// The stream's number in the file (`-map 0:N`).
        public var index: Int
        public var codec: String
        /// Text (SubRip, ASS, mov_text…) rather than pictures (DVD, PGS), so it can be converted.
        public var isText: Bool
        public init(index: Int, codec: String, isText: Bool) {
            (self.index, self.codec, self.isText) = (index, codec, isText)
        }
    }

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
        if video.timeBase.positiveValue != nil { timeBase = "\(video.timeBase.numerator)/\(video.timeBase.denominator)" }
        startMicroseconds = report.startMicroseconds
        subtitles = report.streams.filter { $0.kind == .subtitle }.map { Subtitle(index: $0.index, codec: $0.codec, isText: $0.isText) }
        if let turn = video.rotation {
            rotation = turn
            // As ffmpeg 5.1's decoder: within a degree of a quarter turn it transposes
            // the picture (and its pixel aspect); other angles keep the frame's size.
            if abs(turn - 90) < 1 || abs(turn - 270) < 1 {
                (width, height) = (height, width)
                (sarNumerator, sarDenominator) = (sarDenominator, sarNumerator)
            }
        }
        if let d = video.duration ?? report.duration, d.isFinite, d > 0, d < 1e9 { duration = d }
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
