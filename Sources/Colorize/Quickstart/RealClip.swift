import DataPrep
import Foundation
import Media
import ModelFiles

/// The quickstart's first step: the shipped model (models/README.md) on a real
/// clip it never saw, made black and white, beside grey and the truth, so a
/// new user sees in seconds what vcolor does to real footage before anything
/// is trained. The clip is fetched by scripts/fetch-sample-clip.sh (from a
/// PyPI package; nothing real ships in the repository).
public struct RealClip {
    /// The colour original.
    let clip: String
    /// The shipped model's file.
    let model: String
    /// The folder the step writes to.
    let directory: String

    public struct Result: Sendable {
        public var video: String
        public var strip: String
        public var report: EvalReport
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    func run() throws -> Result {
        try MediaPath.createDirectory(directory, for: "quickstart folder")
        let grey = path("input.mkv"), video = path("colorized.mp4"), strip = path("strip.png")
        try makeGrey(to: grey)
        let loaded = try ModelFile.load(model)
        var job = ColorizeJob.Options()
        job.progress = false
        try ColorizeJob(model: loaded, options: job).run(input: grey, output: video)
        try StripImage.write(rows: [grey, video, clip], columns: 6, to: strip)

        // Scores against the truth: the clip prepped whole as a validation split.
        var prep = PrepOptions(inputs: [clip], output: path("data"))
        prep.valFraction = 1
        prep.progress = false
        prep.overwrite = true
        _ = try Prep.run(prep)
        let report = try Evaluator(models: [loaded]).run(data: path("data"), split: Split.val.rawValue)
        return Result(video: video, strip: strip, report: report)
    }

    /// The clip without its colour (saturation 0), sound kept, as an archivist's film would come:
    /// lossless FFV1 in Matroska, which takes any frame size and any audio as it is.
    func makeGrey(to output: String) throws {
        let result = try FFmpeg.run(["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", "file:" + clip,
                                     "-map", "0:v:0", "-map", "0:a?", "-vf", "hue=s=0", "-c:v", "ffv1",
                                     "-c:a", "copy", "file:" + output])
        guard result.status == 0 else {
            throw MediaError("\(clip): could not make it black and white (ffmpeg: \(FFmpeg.lastLine(result.stderr)))")
        }
    }
}
