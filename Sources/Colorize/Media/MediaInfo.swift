import Foundation

/// What ffprobe says about an input: its first video stream and whether
/// there is audio to carry over.
public struct VideoInfo: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// The stream's frame rate as ffprobe gives it ("25/1", "30000/1001"), passed
    /// back to the encoder unchanged so the output's rate is exactly the input's.
    public var frameRate: String
    public var fps: Double
    /// Frames, if the container says or duration × fps allows (for the ETA only).
    public var estimatedFrames: Int?
    /// Frames the container states (nb_frames), when it states them: fewer
    /// decoded frames mean a truncated or damaged file.
    public var claimedFrames: Int?
    /// Sample aspect ratio "N:D" (kept on the output).
    public var sampleAspectRatio: String
    /// The first audio stream's codec, nil when there is none.
    public var audioCodec: String?

    public static func probe(_ path: String) throws -> VideoInfo {
        let result = try FFmpeg.run(try FFmpeg.ffprobePath(), [
            "-v", "error",
            "-show_entries",
            "stream=codec_type,codec_name,width,height,sample_aspect_ratio,avg_frame_rate,r_frame_rate,nb_frames,duration:format=duration",
            "-of", "json", "file:" + path,
        ])
        guard result.status == 0 else {
            throw MediaError("\(path): not a readable video or image (ffprobe: \(FFmpeg.lastLine(result.stderr)))")
        }
        return try parse(result.stdout, path: path)
    }

    /// Reads ffprobe's JSON answer about `path`; values out of range are dropped, never trusted.
    static func parse(_ answer: Data, path: String) throws -> VideoInfo {
        guard let json = try? JSONSerialization.jsonObject(with: answer) as? [String: Any],
              let streams = json["streams"] as? [[String: Any]]
        else { throw MediaError("\(path): ffprobe gave no readable answer") }
        guard let video = streams.first(where: { $0["codec_type"] as? String == "video" }),
              let width = video["width"] as? Int, let height = video["height"] as? Int, width > 0, height > 0
        else { throw MediaError("\(path): no video stream") }
        let audio = streams.first { $0["codec_type"] as? String == "audio" }
        let rates = [video["r_frame_rate"] as? String, video["avg_frame_rate"] as? String].compactMap { $0 }
        let rate = rates.first { Self.rate($0) != nil } ?? "25/1"
        let fps = Self.rate(rate) ?? 25
        var frames = Int(video["nb_frames"] as? String ?? "")
        let claimed = frames.flatMap { $0 > 0 ? $0 : nil }
        if frames == nil, let d = Double(video["duration"] as? String
                                           ?? (json["format"] as? [String: Any])?["duration"] as? String ?? "") {
            // A container's duration can be anything ("inf", 1e300): only a sane estimate is kept.
            let estimate = (d * fps).rounded()
            if estimate.isFinite, estimate >= 0, estimate < 1e15 { frames = Int(estimate) }
        }
        if let f = frames, f < 0 { frames = nil }
        var sar = video["sample_aspect_ratio"] as? String ?? "1:1"
        if sar.hasPrefix("0:") || !sar.contains(":") { sar = "1:1" }
        return VideoInfo(width: width, height: height, frameRate: rate, fps: fps, estimatedFrames: frames,
                         claimedFrames: claimed, sampleAspectRatio: sar, audioCodec: audio?["codec_name"] as? String)
    }

    static func rate(_ text: String) -> Double? {
        let parts = text.split(separator: "/").compactMap { Double($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0, (parts[0] / parts[1]).isNormal else { return nil }
        return parts[0] / parts[1]
    }
}
