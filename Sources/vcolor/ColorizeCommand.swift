import ArgumentParser
import Colorize
import Foundation
import Storage
import Net
import ModelFiles

/// `vcolor colorize --model FILE INPUT --out OUTPUT`.
struct ColorizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "colorize",
        abstract: "Colourise a video, an image or a directory of images with a trained model.",
        discussion: """
            INPUT and OUTPUT are each a video file, an image file or a directory of images \
            (an OUTPUT without a video or image extension is a directory of PNGs). The output \
            keeps the input's resolution and frame count, and for video its frame rate and \
            audio. The network runs at the model's size on the frame's lightness; its colour \
            is upsampled and joined with the frame's own full-resolution lightness. The LSTM \
            state runs through each shot and is reset at scene cuts.
            """)

    @Option(help: "The model: a checkpoint (.h5) or a safetensors file.")
    var model: String

    @Argument(help: "A video file, an image, or a directory of images.")
    var input: String

    @Option(name: .customLong("out"), help: "Where to write the result.")
    var output: String

    @Option(help: "x264 constant rate factor of a video output (0–51, lower is better).")
    var crf: Int = 18

    @Option(help: "ffmpeg video encoder of a video output.")
    var codec: String = "libx264"

    @Option(help: "x264/x265 speed preset (ultrafast … veryslow); faster presets leave more CPU to the network.")
    var preset: String = "fast"

    @Option(help: "Frames per network call (frames of one shot are batched).")
    var batch: Int = 16

    @Option(help: "Frame rate of a video made from images.")
    var fps: String = "25"

    @Option(help: "Compute threads (default: one per core).")
    var threads: Int?

    @Flag(help: "No progress line.")
    var quiet = false

    func run() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        var options = ColorizeJob.Options()
        options.batch = batch
        options.crf = crf
        options.codec = codec
        options.preset = preset
        options.imageFrameRate = fps
        options.progress = !quiet
        try options.validate()
        ComputeThreads.set(threads ?? ComputeThreads.defaultCount())
        let loaded = try ModelFile.load(model)
        StopSignal.install()
        let s: ColorizeJob.Summary
        do { s = try ColorizeJob(model: loaded, options: options).run(input: input, output: output) } catch let stop as StoppedBySignal {
            // The temporary output is gone and `output` is as it was: die by the signal, as the caller expects.
            FileHandle.standardError.write(Data("vcolor: colorize \(stop); \(output) was not written\n".utf8))
            StopSignal.dieBy(stop.signal)
        }
        if let claimed = s.missingFrom {
            FileHandle.standardError.write(Data("vcolor colorize: warning: \(input) yielded \(s.frames) of the \(claimed) frames its container claims (truncated or damaged?); \(output) has \(s.frames)\n".utf8))
        }
        print("\(output): \(s.frames) frame\(s.frames == 1 ? "" : "s") of \(s.width)×\(s.height), "
              + "\(s.cuts) scene cut\(s.cuts == 1 ? "" : "s"), "
              + String(format: "%.1f frames/s", s.framesPerSecond))
    }
}
