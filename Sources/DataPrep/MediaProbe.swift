import Foundation

/// What ffprobe says about an input's first video stream.
public struct MediaInfo: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Sample (pixel) aspect ratio; 1:1 when unknown.
    public var sarNumerator = 1
    public var sarDenominator = 1
    /// Average frame rate (0 when unknown, e.g. images).
    public var fps: Double
    /// Frame count if the container states it, else duration × fps; for the ETA only.
    public var estimatedFrames: Int?
    public var codec: String
    public var format: String
}

/// Runs ffprobe on an input and turns every failure into a one-line reason.
enum MediaProbe {
    static func probe(_ input: PrepInput, ffprobe: String) throws -> MediaInfo {
        if input.kind == .imageSequence {
            // Each image is probed by the decoder itself; the first tells the size.
            var info = try probeFile(input.images[0], ffprobe: ffprobe)
            info.fps = 0
            info.estimatedFrames = input.images.count
            return info
        }
        var info = try probeFile(input.path, ffprobe: ffprobe)
        if input.kind == .image { info.fps = 0; info.estimatedFrames = 1 }
        return info
    }

    static func probeFile(_ path: String, ffprobe: String) throws -> MediaInfo {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let attributes else { throw PrepError("cannot read file") }
        if (attributes[.size] as? Int ?? 0) == 0 { throw PrepError("empty file") }
        let result = try ExternalProcess.run(ffprobe, [
            "-v", "error", "-select_streams", "v:0",
            "-show_entries", "stream=codec_type,codec_name,width,height,sample_aspect_ratio,avg_frame_rate,r_frame_rate,nb_frames,duration:format=format_name,duration",
            "-of", "json", "file:" + path,
        ])
        guard result.status == 0 else {
            throw PrepError("not a readable video or image (ffprobe: \(lastLine(result.stderr, path: path)))")
        }
        guard let json = try? JSONSerialization.jsonObject(with: result.stdout) as? [String: Any] else {
            throw PrepError("ffprobe gave no readable answer")
        }
        let format = (json["format"] as? [String: Any]) ?? [:]
        let formatName = format["format_name"] as? String ?? "?"
        guard let stream = (json["streams"] as? [[String: Any]])?.first,
              let width = stream["width"] as? Int, let height = stream["height"] as? Int, width > 0, height > 0
        else { throw PrepError("no video stream") }
        // ffmpeg renders plain text files as "tty" video; that is not footage.
        if formatName == "tty" { throw PrepError("a text file, not a video") }
        var info = MediaInfo(width: width, height: height, fps: 0, codec: stream["codec_name"] as? String ?? "?", format: formatName)
        let sar = (stream["sample_aspect_ratio"] as? String ?? "1:1").split(separator: ":").compactMap { Int($0) }
        if sar.count == 2, sar[0] > 0, sar[1] > 0 {
            let g = gcd(sar[0], sar[1])
            info.sarNumerator = sar[0] / g
            info.sarDenominator = sar[1] / g
        }
        info.fps = rate(stream["avg_frame_rate"] as? String) ?? rate(stream["r_frame_rate"] as? String) ?? 0
        if let n = Int(stream["nb_frames"] as? String ?? ""), n > 0 {
            info.estimatedFrames = n
        } else if let d = Double(stream["duration"] as? String ?? format["duration"] as? String ?? ""), info.fps > 0 {
            // nil for a duration no Int holds ("inf", a damaged header): the estimate is only for the ETA.
            info.estimatedFrames = Int(exactly: (d * info.fps).rounded())
        }
        return info
    }

    static func rate(_ text: String?) -> Double? {
        guard let parts = text?.split(separator: "/").compactMap({ Double($0) }), parts.count == 2, parts[1] > 0, parts[0] > 0 else { return nil }
        return parts[0] / parts[1]
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// The last non-empty line of a tool's stderr, without the repeated path.
    static func lastLine(_ text: String, path: String) -> String {
        let line = text.split(separator: "\n").last.map(String.init) ?? "failed"
        return line.replacingOccurrences(of: "file:" + path + ": ", with: "")
            .replacingOccurrences(of: path + ": ", with: "")
    }
}
