import ArgumentParser
import Colorize
import Console
import Foundation
import Net
import ModelFiles

/// `vcolor colorize [--model FILE] INPUT --out OUTPUT` (without `--model`: the shipped model, `ShippedModel`).
struct ColorizeCommand: LoggedCommand, BatchNormStatisticsOption {
    static let configuration = CommandConfiguration(
        commandName: "colorize",
        abstract: "Colourise a video, an image or a directory of images with a trained model.",
        discussion: """
            INPUT and OUTPUT are each a video file, an image file or a directory of images \
            (an OUTPUT without a video or image extension is a directory of PNGs). The output \
            keeps the input's resolution (as shown: a phone's rotation applied) and frame count, \
            and for video every frame's timestamp, its audio, subtitles, chapters and metadata. The network runs on the frame's lightness at --render-size (the model's size \
            by default), the aspect kept by padding (--render-fit); its colour is upsampled and joined with the frame's own full-resolution lightness. The LSTM \
            state runs through each shot and is reset at scene cuts.
            """)

    @Option(help: "The model: a checkpoint (.h5) or a safetensors file (default: the model that ships with vcolor, models/README.md).")
    var model: String?

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

    @Option(help: "Long side of the picture the network sees, a multiple of 128 (default: the model's training size, 128 for the shipped model); the colour is upsampled to the frame's own size.")
    var renderSize: Int?

    @Option(help: "How a frame of any shape becomes the network's picture: pad (aspect kept, the edge repeated into a margin) or squeeze (the whole frame into a square).")
    var renderFit: RenderFit = .pad

    @Option(help: "BatchNorm statistics: running (gathered in training, PyTorch's eval()) or clip (each network call's own frames, as pix2pix tests).")
    var bnStatistics: String = BatchNormStatistics.running.rawValue

    @Option(help: "Frame rate of a video made from images.")
    var fps: String = "25"

    @OptionGroup var threads: ThreadOptions

    @Flag(help: "The same as --log-level quiet: warnings and errors only, no progress line.")
    var quiet = false
    @OptionGroup var loggingOptions: LoggingOptions

    /// `--quiet` is an alias of `--log-level quiet` (one meaning of quiet, not two).
    var logging: LoggingOptions {
        var options = loggingOptions
        if quiet { options.logLevel = .quiet }
        return options
    }

    var options: ColorizeJob.Options {
        var o = ColorizeJob.Options()
        (o.batch, o.crf, o.codec, o.preset, o.imageFrameRate, o.progress) = (batch, crf, codec, preset, fps, !quiet)
        (o.renderSize, o.fit) = (renderSize, renderFit)
        return o
    }

    func validate() throws {
        _ = try batchNormStatistics()
        try threads.check()
        try options.validate()
    }

    func run() throws {
        threads.apply()
        let path: String
        if let model {
            path = model
        } else {
            path = try ShippedModel.path()
            Logger(label: "colorize").notice("no --model given: using the shipped model \(path) (models/README.md says what it was trained on and how well it does)")
        }
        let loaded = try ModelFile.load(path)
        loaded.generator.evaluationStatistics = try batchNormStatistics()
        let s = try stoppable("colorize", kept: "\(output) was not written") {
            try ColorizeJob(model: loaded, options: options).run(input: input, output: output)
        }
        if let claimed = s.missingFrom {
            Logger(label: "colorize").warning("\(input) yielded \(s.frames) of the \(claimed) frames its container claims (truncated or damaged?); \(output) has \(s.frames)")
        }
        print("\(output): \(s.frames) frame\(s.frames == 1 ? "" : "s") of \(s.width)×\(s.height), "
              + "\(s.cuts) scene cut\(s.cuts == 1 ? "" : "s"), "
              + String(format: "%.1f frames/s", s.framesPerSecond))
    }
}
