import Foundation
import Media

/// The quickstart's sample footage, made by ffmpeg's built-in sources (lavfi):
/// moving fractals, cellular automata and test patterns, a few joined with
/// hard cuts, so prep has cuts to find. Random sources have fixed seeds: the
/// same footage every time, so a quickstart's numbers can be compared.
///
/// Their colour is learnable from their content: every source is turned to
/// grey and painted with one colour map of brightness (ffmpeg's `pseudocolor`
/// with matplotlib's "plasma": dark → blue-violet, middle → magenta-orange,
/// bright → yellow; its lightness rises monotonically, so a*b* is a function
/// of L*). A model that learns that rule colours clips it has never seen; one
/// that learns nothing does no better than leaving them grey, which eval's
/// `grey` row shows. (Arbitrary test-pattern palettes, as used before, cannot
/// be learned from the picture: a model trained on them scored below grey.)
enum SampleClips {
    struct Clip {
        var name: String
        /// One or more lavfi sources; several are joined with cuts.
        var sources: [String]
    }

    /// The colour rule every source is painted with (after its own filters).
    static let colourMap = "format=yuv420p,pseudocolor=p=plasma"

    /// `WxH`, rate and frames per source are filled in by `make`.
    static let training: [Clip] = [
        Clip(name: "mandelbrot", sources: ["mandelbrot=start_scale=2.5"]),
        Clip(name: "cellauto", sources: ["cellauto=rule=110:seed=1"]),
        Clip(name: "life", sources: ["life=ratio=0.3:mold=8:seed=2"]),
        Clip(name: "testsrc2", sources: ["testsrc2"]),
        Clip(name: "rgbtest", sources: ["rgbtestsrc,rotate=a=0.15*t"]),
        Clip(name: "joined", sources: ["smptehdbars,scroll=h=0.015:v=0.004",
                                       "mandelbrot=start_scale=1.2:start_x=-0.75:start_y=0.1",
                                       "sierpinski=type=carpet:seed=3"]),
    ]

    /// The clip colorize is shown on: not in the training data, with a cut and a soundtrack.
    static let heldOut = Clip(name: "held-out", sources: ["mandelbrot=start_scale=1.8:start_x=-0.6:start_y=0.4",
                                                          "cellauto=rule=30:seed=3"])

    /// Writes `clip` as an H.264 MP4 of `width×height` at `rate` fps, `frames`
    /// frames per source; `grey` drops the colour, `audio` adds a sine tone.
    static func make(_ clip: Clip, to path: String, width: Int, height: Int, rate: Int, frames: Int,
                     grey: Bool = false, audio: Bool = false) throws {
        var arguments = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        let seconds = Double(frames) / Double(rate)
        for source in clip.sources {
            let (generator, filters) = split(source + "," + colourMap)
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
        let result = try FFmpeg.run(arguments)
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
