import Foundation

/// Test media made with `ffmpeg -f lavfi`: clips of synthetic sources joined at
/// known frames, so every cut's frame is known exactly.
public enum SyntheticMedia {
    public struct Clip {
        public var source: String  // a lavfi source: testsrc2, mandelbrot, smptebars, cellauto, …
        public var frames: Int
        public var filter: String  // extra filters for this clip, e.g. "fade=t=out:start_frame=10:nb_frames=5"
        public init(source: String, frames: Int, filter: String = "") {
            self.source = source; self.frames = frames; self.filter = filter
        }
    }

    public static var ffmpeg: String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/ffmpeg"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return "/usr/bin/ffmpeg"
    }

    /// Runs ffmpeg (or the absolute path in `arguments[0]`) with a deadline;
    /// its stdout, or an error naming the command and ffmpeg's message.
    @discardableResult
    public static func run(_ arguments: [String]) throws -> Data {
        let absolute = arguments[0].hasPrefix("/")
        let result = try runProcess(URL(fileURLWithPath: absolute ? arguments[0] : ffmpeg),
                                    absolute ? Array(arguments.dropFirst()) : arguments)
        guard result.status == 0 else {
            throw NSError(domain: "ffmpeg", code: Int(result.status),
                          userInfo: [NSLocalizedDescriptionKey: "ffmpeg failed: \(arguments.joined(separator: " ")): \(result.stderr)"])
        }
        return result.stdoutData
    }

    /// One lavfi source (e.g. "testsrc2=size=320x240:rate=25:duration=60")
    /// encoded as H.264 at `path`; `output` adds output options ("-frames:v", "-g", …).
    public static func encode(_ source: String, to path: String, output: [String] = []) throws {
        try run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-c:v", "libx264", "-preset", "ultrafast"]
                + output + [path])
    }

    /// Joins `clips` into one H.264 (or `codec`) video of `size` ("WxH") at 25 fps.
    public static func video(_ path: String, _ clips: [Clip], size: String = "160x120", codec: [String] = ["-c:v", "libx264", "-preset", "ultrafast"],
                      output: [String] = []) throws {
        var arguments = ["-hide_banner", "-loglevel", "error", "-y"]
        for clip in clips { arguments += ["-f", "lavfi", "-i", lavfi(clip.source, size: size)] }
        var graph = ""
        for (i, clip) in clips.enumerated() {
            let extra = clip.filter.isEmpty ? "" : "," + clip.filter
            graph += "[\(i):v]trim=end_frame=\(clip.frames),setpts=PTS-STARTPTS,format=yuv420p\(extra)[c\(i)];"
        }
        graph += (0..<clips.count).map { "[c\($0)]" }.joined() + "concat=n=\(clips.count):v=1[v]"
        arguments += ["-filter_complex", graph, "-map", "[v]"] + codec + ["-pix_fmt", "yuv420p"] + output + [path]
        try run(arguments)
    }

    /// Writes `count` PNG frames of a lavfi source into `directory` as f1.png … fN.png.
    public static func images(_ directory: String, source: String, count: Int, size: String = "96x64") throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try run(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", lavfi(source, size: size),
                 "-frames:v", "\(count)", directory + "/f%d.png"])
    }

    /// Frames ffprobe counts by decoding the whole stream.
    public static func countFrames(_ path: String) throws -> Int {
        let ffprobe = (ffmpeg as NSString).deletingLastPathComponent + "/ffprobe"
        let data = try run([ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
                            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", path])
        return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Frame `index` of `path` as ffmpeg renders it to rgb24 with `filter`.
    public static func rgbFrame(_ path: String, index: Int, filter: String) throws -> [UInt8] {
        let data = try run(["-hide_banner", "-loglevel", "error", "-i", path, "-fps_mode", "passthrough",
                            "-vf", "select=eq(n\\,\(index)),\(filter)", "-frames:v", "1", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"])
        return [UInt8](data)
    }

    /// A 150-frame 160×120 video with cuts at known frames, the synthetic
    /// version of docs/dataprep.md's real-footage set: testsrc2 0–29 | testsrc2
    /// 120–149 (a jump cut at 30: the histograms hardly change) | mandelbrot 0–29
    /// (cut at 60) | mandelbrot 100–129 (jump cut at 90) | cellauto 0–29 (cut at
    /// 120). Returns the frames that start a new shot.
    @discardableResult
    public static func labelledCuts(_ path: String) throws -> [Int] {
        let trims = [(0, 0, 30), (0, 120, 150), (1, 0, 30), (1, 100, 130), (2, 0, 30)]
        var graph = "[0:v]split=2[s0][s1];[1:v]split=2[s2][s3];[2:v]null[s4];"
        for (i, (_, start, end)) in trims.enumerated() {
            graph += "[s\(i)]trim=start_frame=\(start):end_frame=\(end),setpts=PTS-STARTPTS[c\(i)];"
        }
        graph += (0..<trims.count).map { "[c\($0)]" }.joined() + "concat=n=\(trims.count):v=1,format=yuv420p[v]"
        var arguments = ["-hide_banner", "-loglevel", "error", "-y"]
        // cellauto fills its first row at random: a fixed seed makes the clip the same on every run.
        for source in ["testsrc2", "mandelbrot", "cellauto=seed=1"] { arguments += ["-f", "lavfi", "-i", lavfi(source, size: "160x120")] }
        arguments += ["-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path]
        try run(arguments)
        return [30, 60, 90, 120]
    }

    /// A lavfi source at `size` and 25 fps; `source` may carry options of its
    /// own ("cellauto=seed=1": sources that draw at random need a seed, or a
    /// test's clip differs from run to run).
    public static func lavfi(_ source: String, size: String) -> String {
        source + (source.contains("=") ? ":" : "=") + "size=\(size):rate=25"
    }
}
