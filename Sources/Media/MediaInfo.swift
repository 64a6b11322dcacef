import Foundation

/// What ffprobe says about an input: its first video stream and whether
/// there is audio to carry over. Prep and colorize read inputs through it.
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

    /// Probes `path`; every failure is a `MediaError` whose `reason` is one line.
    public static func probe(_ path: String) throws -> MediaInfo {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw MediaError(path: path, reason: "cannot read file")
        }
        if (attributes[.size] as? Int ?? 0) == 0 { throw MediaError(path: path, reason: "empty file") }
        let result = try ExternalProcess.run(try FFmpeg.ffprobePath(), [
            "-v", "error",
            "-show_entries",
            "stream=codec_type,codec_name,width,height,sample_aspect_ratio,avg_frame_rate,r_frame_rate,nb_frames,duration:format=format_name,duration",
            "-of", "json", "file:" + path,
        ])
        guard result.status == 0 else {
            throw MediaError(path: path, reason: "not a readable video or image (ffprobe: \(FFmpeg.lastLine(result.stderr, path: path)))")
        }
        return try parse(result.stdout, path: path)
    }

    /// Reads ffprobe's JSON answer about `path`; values out of range are dropped, never trusted.
    static func parse(_ answer: Data, path: String) throws -> MediaInfo {
        guard let json = try? JSONSerialization.jsonObject(with: answer) as? [String: Any],
              let streams = json["streams"] as? [[String: Any]]
        else { throw MediaError(path: path, reason: "ffprobe gave no readable answer") }
        let format = (json["format"] as? [String: Any]) ?? [:]
        let formatName = format["format_name"] as? String ?? "?"
        guard let video = streams.first(where: { $0["codec_type"] as? String == "video" }),
              let width = video["width"] as? Int, let height = video["height"] as? Int, width > 0, height > 0
        else { throw MediaError(path: path, reason: "no video stream") }
        // ffmpeg renders plain text files as "tty" video; that is not footage.
        if formatName == "tty" { throw MediaError(path: path, reason: "a text file, not a video") }
        let rates = [video["r_frame_rate"] as? String, video["avg_frame_rate"] as? String].compactMap { $0 }
        let frameRate = rates.first { rate($0) != nil } ?? "25/1"
        let fps = rate(video["avg_frame_rate"] as? String ?? "") ?? rate(frameRate) ?? 25
        var info = MediaInfo(width: width, height: height, frameRate: frameRate, fps: fps,
                             codec: video["codec_name"] as? String ?? "?", format: formatName,
                             audioCodec: streams.first { $0["codec_type"] as? String == "audio" }?["codec_name"] as? String)
        let sar = (video["sample_aspect_ratio"] as? String ?? "1:1").split(separator: ":").compactMap { Int($0) }
        if sar.count == 2, sar[0] > 0, sar[1] > 0 {
            let g = gcd(sar[0], sar[1])
            (info.sarNumerator, info.sarDenominator) = (sar[0] / g, sar[1] / g)
        }
        if let n = Int(video["nb_frames"] as? String ?? ""), n > 0 {
            info.estimatedFrames = n
            info.claimedFrames = n
        } else if let d = Double(video["duration"] as? String ?? format["duration"] as? String ?? "") {
            // A container's duration can be anything ("inf", 1e300): only a sane estimate is kept.
            let estimate = (d * fps).rounded()
            if estimate.isFinite, estimate >= 0, estimate < 1e15 { info.estimatedFrames = Int(estimate) }
        }
        return info
    }

    /// "30000/1001" → 29.97; nil for anything that is not a positive, normal rate.
    static func rate(_ text: String) -> Double? {
        let parts = text.split(separator: "/").compactMap { Double($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0, (parts[0] / parts[1]).isNormal else { return nil }
        return parts[0] / parts[1]
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
