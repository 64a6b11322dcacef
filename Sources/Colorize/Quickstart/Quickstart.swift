import DataPrep
import Foundation
import Media
import Storage
import Console
import Net
import ModelFiles

/// `vcolor quickstart`: the whole workflow on a small synthetic data set, in a
/// few minutes on a laptop — make clips, prep them, train a narrow model,
/// colourise a held-out clip, evaluate — and say where everything went and
/// what to run next. Every step is the same code (or the same command) a
/// user would run by hand; training runs as `vcolor train` in a child process
/// (under `mpirun -np 2` when OpenMPI is installed and there are two cores).
public struct Quickstart {
    public struct Options {
        public var directory = "vcolor-quickstart"
        public var steps = 600
        /// Also train `temporal = none` and compare the two in one table.
        public var compare = false
        /// Also write the HTML report of the runs and the evaluation.
        public var report = false
        /// Ranks for training: nil picks 2 under mpirun when possible, else 1.
        public var ranks: Int?
        public var baseWidth = 16
        public var size = 128
        /// Frames per sample source (each clip has 1–3 sources).
        public var framesPerSource = 48
        /// Clips per step over all ranks (each rank takes its share), so a
        /// step sees the same amount of data however many ranks there are.
        public var batch = 2
        public var clip = 4
        /// A real colour clip for the first step (scripts/fetch-sample-clip.sh),
        /// coloured by `shippedModel`; the step is skipped, saying why, without either.
        public var realClip: String?
        public var shippedModel: String?
        /// The `vcolor` executable to run `train` with.
        public var executable: String
        public var log: @Sendable (String) -> Void = { Logger(label: "quickstart").info("\($0)") }

        public init(executable: String) { self.executable = executable }

        /// One-line errors for options the demo cannot run with.
        public func validate() throws {
            if let ranks, ranks < 1 { throw QuickstartError("--ranks must be at least 1, got \(ranks)") }
            guard baseWidth >= 1 else { throw QuickstartError("--base must be at least 1, got \(baseWidth)") }
            try ModelConfig.checkFrameSize(size, name: "--size")
            guard steps >= 1 else { throw QuickstartError("--steps must be at least 1") }
            guard framesPerSource >= 2 * clip else {
                throw QuickstartError("--frames must be at least \(2 * clip) (two clips of \(clip) frames)")
            }
            // A demo: a typo like --frames 100000000000000 would mean hours of ffmpeg, not a demo.
            guard framesPerSource <= 10_000 else { throw QuickstartError("--frames must be at most 10000, got \(framesPerSource)") }
        }
    }

    public struct Result: Sendable {
        public var data: String
        public var runs: [String]
        public var checkpoints: [String]
        public var video: String
        public var strip: String
        public var report: EvalReport
        /// The shipped model on the real clip, when there was one.
        public var realClip: RealClipResult?
        /// Why the real-clip step was skipped, when it was.
        public var realClipSkipped: String?
        /// The HTML report, when asked for.
        public var reportPage: String?
        /// The command that continues the (first) training run.
        public var resumeCommand: String
    }

    public typealias RealClipResult = RealClip.Result

    public let options: Options
    public init(options: Options) { self.options = options }

    var dir: String { options.directory }
    func path(_ name: String) -> String { (dir as NSString).appendingPathComponent(name) }

    public func run() throws -> Result {
        let o = options
        try o.validate()
        try MediaPath.createDirectory(path("sources"), for: "quickstart folder")
        try MediaPath.createDirectory(path("held-out"), for: "quickstart folder")

        // 0. What the shipped model does to real footage it never saw, in seconds.
        var real: RealClip.Result?, skipped: String?
        switch (o.realClip, o.shippedModel) {
        case let (clip?, model?):
            o.log("0/5 the shipped model on a real black-and-white clip: \(clip) → \(path("real"))")
            real = try RealClip(clip: clip, model: model, directory: path("real")).run()
        case (nil, _):
            skipped = "no real clip (scripts/fetch-sample-clip.sh fetches one; or --real-clip FILE)"
        case (_, nil):
            skipped = "the shipped model is not next to this vcolor (models/README.md)"
        }
        if let skipped { o.log("0/5 skipped: \(skipped)") }

        let (inputs, original, grey) = try makeFootage()
        let data = try prepData(inputs)

        // 3. Train (and, with --compare, the no-LSTM variant on the same data and steps).
        let variants: [ModelConfig.Temporal] = o.compare ? [.lstm, .none] : [.lstm]
        let ranks = o.ranks ?? Self.defaultRanks()
        var runs: [String] = [], checkpoints: [String] = [], resume = ""
        for temporal in variants {
            let run = path("run-\(temporal.rawValue)")
            o.log("3/5 vcolor train --temporal \(temporal.rawValue), \(o.steps) steps, "
                  + "\(ranks) rank\(ranks == 1 ? "" : "s") → \(run)")
            if resume.isEmpty {
                let more = trainCommand(data: data, run: run, temporal: temporal, ranks: ranks, steps: 4 * o.steps)
                resume = ((ranks > 1 ? ["mpirun", "-np", "\(ranks)"] : []) + ["vcolor"] + more + ["--resume"])
                    .joined(separator: " ")
            }
            // A quickstart starts over: its own earlier run in this folder is replaced
            // (like its data set, prepped again above with overwrite).
            if FileManager.default.fileExists(atPath: run) {
                o.log("    replacing the earlier quickstart run in \(run)")
                try FileManager.default.removeItem(atPath: run)
            }
            try train(trainCommand(data: data, run: run, temporal: temporal, ranks: ranks, steps: o.steps), ranks: ranks)
            guard let newest = CheckpointDirectory(run: run).newestComplete() else {
                throw QuickstartError("\(run): training wrote no checkpoint")
            }
            runs.append(run)
            checkpoints.append(newest.path)
        }

        // 4. Colourise the held-out clip (black and white, with a cut and sound).
        let video = path("colorized.mp4"), strip = path("strip.png")
        o.log("4/5 vcolor colorize \(grey) → \(video)")
        let model = try ModelFile.load(checkpoints[0])
        var job = ColorizeJob.Options()
        job.progress = false
        try ColorizeJob(model: model, options: job).run(input: grey, output: video)
        try StripImage.write(rows: [grey, video, original], columns: 6, to: strip)

        // 5. Evaluate on the validation split.
        o.log("5/5 vcolor eval on the validation split")
        let models = try checkpoints.map { try ModelFile.load($0) }
        let report = try Evaluator(models: models).run(data: data, split: Split.val.rawValue)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        // AtomicFile's StorageError is already the one-line "PATH: cannot write (why)".
        try AtomicFile.write(try encoder.encode(report), to: path("eval.json"))
        var page: String?
        if o.report {
            page = path("report.html")
            try Report.write(runs: runs, eval: path("eval.json"), to: page!)
        }
        return Result(data: data, runs: runs, checkpoints: checkpoints, video: video, strip: strip, report: report,
                      realClip: real, realClipSkipped: skipped, reportPage: page, resumeCommand: resume)
    }

    /// 1. Footage: wider than tall, as films are (prep centre-crops it). Returns
    /// the training clips and the held-out clip in colour and in black and white.
    func makeFootage() throws -> (training: [String], original: String, grey: String) {
        let o = options
        let width = o.size * 3 / 2, height = o.size * 9 / 8, rate = 12
        o.log("1/5 making \(SampleClips.training.count) sample clips with ffmpeg in \(path("sources"))")
        var inputs: [String] = []
        for clip in SampleClips.training {
            let file = path("sources/\(clip.name).mp4")
            try SampleClips.make(clip, to: file, width: width, height: height, rate: rate, frames: o.framesPerSource)
            inputs.append(file)
        }
        let original = path("held-out/original.mp4"), grey = path("held-out/input.mp4")
        try SampleClips.make(SampleClips.heldOut, to: original, width: width, height: height, rate: rate,
                             frames: o.framesPerSource, audio: true)
        try SampleClips.make(SampleClips.heldOut, to: grey, width: width, height: height, rate: rate,
                             frames: o.framesPerSource, grey: true, audio: true)
        return (inputs, original, grey)
    }

    /// 2. Prep: about one source in three held out for validation.
    func prepData(_ inputs: [String]) throws -> String {
        let o = options
        let data = path("data")
        o.log("2/5 vcolor prep → \(data)")
        var prep = PrepOptions(inputs: inputs, output: data)
        prep.size = o.size
        prep.valFraction = 0.34
        prep.minFrames = o.clip
        prep.progress = false
        prep.overwrite = true
        let summary = try Prep.run(prep)
        o.log("    \(summary.sequences) sequences, \(summary.frames) frames, \(summary.cuts) cuts")
        return data
    }

    /// 2 ranks when mpirun is on the PATH and there are at least two cores.
    static func defaultRanks() -> Int {
        (try? ExternalProcess.require("mpirun", override: "VCOLOR_MPIRUN")) != nil
            && ProcessInfo.processInfo.activeProcessorCount >= 2 ? 2 : 1
    }

    /// `vcolor train` arguments for one run (without the executable).
    func trainCommand(data: String, run: String, temporal: ModelConfig.Temporal, ranks: Int, steps: Int) -> [String] {
        let o = options
        let perRank = max(1, (o.batch + ranks - 1) / ranks)
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / ranks)
        return ["train", "--data", data, "--run", run, "--steps", "\(steps)",
                "--batch", "\(perRank)", "--clip", "\(o.clip)", "--base", "\(o.baseWidth)",
                "--temporal", temporal.rawValue, "--checkpoint-every", "\(o.steps)",
                "--validation-clips", "4", "--sample-every", "\(o.steps)", "--threads", "\(threads)"]
    }

    func train(_ command: [String], ranks: Int) throws {
        let o = options
        var arguments = command
        var executable = o.executable
        var environment = ProcessInfo.processInfo.environment
        if ranks > 1 {
            arguments = ["-np", "\(ranks)", "--oversubscribe", o.executable] + arguments
            executable = try ExternalProcess.require("mpirun", override: "VCOLOR_MPIRUN")
            if getuid() == 0 {
                environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
                environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
            }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw QuickstartError("training failed (\((executable as NSString).lastPathComponent) \(arguments.joined(separator: " ")) "
                             + "exited with status \(process.terminationStatus))")
        }
    }
}
