import ArgumentParser
import Colorize
import Console
import Distributed
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
            state runs through each shot and is reset at scene cuts. A video into a video goes \
            in chunks of whole shots (work folder OUT.parts, removed when done): an interrupted run \
            continues with the same command plus --resume, and under mpirun -np N the ranks share \
            the chunks.
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

    @Flag(help: "Continue an interrupted colorize of a video into a video: only the chunks not finished in OUT.parts are colourised.")
    var resume = false

    @Option(help: "A video's chunks (a rank's unit of work, and what --resume redoes at most): each ends at the first scene cut this many frames after its start.")
    var chunkFrames = 1000

    // Fault injection for tests (hidden): rank R sends itself a signal after finishing N chunks.
    @Option(help: .hidden) var killRank = 0
    @Option(help: .hidden) var killAfterChunks: Int?
    @Option(help: .hidden) var killSignal = "KILL"

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
        (o.resume, o.chunkFrames) = (resume, chunkFrames)
        if let killAfterChunks, let signal = FaultInjection.signal(named: killSignal) {
            o.killAfterChunks = (killRank, killAfterChunks, signal)
        }
        (o.renderSize, o.fit) = (renderSize, renderFit)
        return o
    }

    func validate() throws {
        _ = try batchNormStatistics()
        try threads.check()
        try options.validate()
        guard FaultInjection.signal(named: killSignal) != nil else {
            throw ColorizeOptionError("--kill-signal must be KILL, TERM, INT, USR1 or STOP, got \(killSignal)")
        }
    }

    func run() throws {
        // Under mpirun the ranks share a video's chunks; alone, no MPI is started.
        guard Communicator.launchedByMPI else { return try colorize(team: SoloTeam()) }
        try Communicator.runFinalizingOrAborting { comm in try colorize(team: MPIColorizeTeam(comm)) }
    }

    private func colorize(team: ColorizeTeam) throws {
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
        let parts = ColorizeJob.workFolder(for: output)
        let s = try stoppable("colorize", kept: { "\(output) was not written"
            + (FileManager.default.fileExists(atPath: parts) ? "; the finished chunks in \(parts) are kept: the same command with --resume continues" : "") }) {
            try ColorizeJob(model: loaded, options: options, team: team).run(input: input, output: output)
        }
        guard team.rank == 0 else { return }
        if let claimed = s.missingFrom {
            Logger(label: "colorize").warning("\(input) yielded \(s.frames) of the \(claimed) frames its container claims (truncated or damaged?); \(output) has \(s.frames)")
        }
        print("\(output): \(s.frames) frame\(s.frames == 1 ? "" : "s") of \(s.width)×\(s.height), "
              + "\(s.cuts) scene cut\(s.cuts == 1 ? "" : "s"), "
              + (s.chunks.map { "\($0) chunk\($0 == 1 ? "" : "s")" + (s.chunksResumed > 0 ? " (\(s.chunksResumed) from an earlier run)" : "")
                  + (team.size > 1 ? " on \(team.size) ranks" : "") + ", " } ?? "")
              + String(format: "%.1f frames/s", s.framesPerSecond))
    }
}
