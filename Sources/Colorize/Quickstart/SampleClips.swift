import Foundation
import Media

/// The quickstart's sample footage, made by ffmpeg's built-in sources (lavfi):
/// distinct, colourful and moving, a few of them joined with hard cuts, so a
/// small run has something to learn and prep has cuts to find.
enum SampleClips {
    struct Clip {
        var name: String
        /// One or more lavfi sources; several are joined with cuts.
        var sources: [String]
    }

    /// `WxH`, rate and frames per source are filled in by `make`.
    static let training: [Clip] = [
        Clip(name: "testsrc2", sources: ["testsrc2"]),
        Clip(name: "mandelbrot", sources: ["mandelbrot=start_scale=2.5,hue=H=0.7*t"]),
        Clip(name: "bars", sources: ["smptehdbars,scroll=h=0.015:v=0.004"]),
        Clip(name: "life", sources: ["life=ratio=0.3:mold=8:life_color=#ff9030:death_color=#102a60:mold_color=#30a040"]),
        Clip(name: "rgbtest", sources: ["rgbtestsrc,hue=H=1.5*t,rotate=a=0.15*t"]),
        Clip(name: "joined", sources: ["testsrc2,hue=H=2+t", "mandelbrot=start_scale=1.2,hue=s=1.5",
                                       "smptebars,scroll=h=-0.02"]),
    ]

    /// The clip colorize is shown on: not in the training data, with a cut and a soundtrack.
    static let heldOut = Clip(name: "held-out", sources: ["mandelbrot=start_scale=1.8,hue=H=3+0.4*t",
                                                          "smptehdbars,scroll=h=0.01,hue=H=0.5"])

    /// Writes `clip` as an H.264 MP4 of `width×height` at `rate` fps, `frames`
    /// frames per source; `grey` drops the colour, `audio` adds a sine tone.
    static func make(_ clip: Clip, to path: String, width: Int, height: Int, rate: Int, frames: Int,
                     grey: Bool = false, audio: Bool = false) throws {
        var arguments = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        let seconds = Double(frames) / Double(rate)
        for source in clip.sources {
            let (generator, filters) = split(source)
            arguments += ["-f", "lavfi", "-t", String(format: "%.4f", seconds),
                          "-i", "\(generator)size=\(width)x\(height):rate=\(rate)\(filters)"]
        }
        if audio {
            arguments += ["-f", "lavfi", "-t", String(format: "%.4f", seconds * Double(clip.sources.count)),
                          "-i", "sine=frequency=330:sample_rate=44100"]
        }
        let inputs = clip.sources.indices.map { "[\($0):v]" }.joined()
        var graph = "\(inputs)concat=n=\(clip.sources.count):v=1:a=0,format=yuv420p"
        if grey { graph += ",hue=s=0" }
        arguments += ["-filter_complex", graph + "[v]", "-map", "[v]"]
        if audio { arguments += ["-map", "\(clip.sources.count):a", "-c:a", "aac"] }
        arguments += ["-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p", "file:" + path]
        let result = try ExternalProcess.run(try FFmpeg.ffmpegPath(), arguments)
        guard result.status == 0 else {
            throw MediaError("making the sample clip \(clip.name) failed (ffmpeg: \(FFmpeg.lastLine(result.stderr)))")
        }
    }

    /// "name=opts,filters" → ("name=opts:", ",filters") so size and rate can be appended.
    static func split(_ source: String) -> (String, String) {
        let parts = source.split(separator: ",", maxSplits: 1).map(String.init)
        var generator = parts[0]
        generator += generator.contains("=") ? ":" : "="
        return (generator, parts.count > 1 ? "," + parts[1] : "")
    }
}
