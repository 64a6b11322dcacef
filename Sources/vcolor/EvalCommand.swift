import ArgumentParser
import Colorize
import Console
import DataPrep
import Foundation
import Net
import ModelFiles
import Storage

/// `vcolor eval --model FILE [--model FILE2 …] --data DIR`.
struct EvalCommand: LoggedCommand, BatchNormStatisticsOption {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score models side by side on a data set's held-out sequences.",
        discussion: """
            Every model sees the same frames, with its LSTM state carried through each \
            sequence. Reported per model: PSNR and SSIM on RGB, mean |Δa*b*| against the \
            truth, colourfulness (Hasler–Süsstrunk; compare with the truth's), flicker (how \
            much more the colours change from frame to frame than the truth's do; 0 is as \
            steady as the truth) and CDC (colour distribution consistency, NTIRE 2023; lower \
            is steadier). A grey row (the true L with a*b* = 0) shows what a model must beat; \
            the truth row shows the targets. --json adds every figure per sequence. Give an \
            LSTM model and a temporal=none model to see what the LSTM buys.
            """)

    @Option(name: .customLong("model"), help: "A checkpoint (.h5) or safetensors file; repeat to compare.")
    var models: [String] = []

    @Option(help: "A data set made by vcolor prep.")
    var data: String

    @Option(help: "Which sequences: the index's split name.")
    var split: String = Split.val.rawValue

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(help: "Evaluate at most this many frames (whole sequences in index order, the last cut short).")
    var maxFrames: Int?

    @Option(help: "Frames per network call.")
    var batch: Int = 8

    @Option(help: "BatchNorm statistics: running (gathered in training, PyTorch's eval()) or clip (each network call's own frames, as pix2pix tests).")
    var bnStatistics: String = BatchNormStatistics.running.rawValue

    @OptionGroup var threads: ThreadOptions
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        _ = try batchNormStatistics()
        guard !models.isEmpty else { throw ValidationError("give at least one --model") }
        // The cap keeps a typo from becoming a failed multi-terabyte allocation (a trap, not an error).
        guard (1...1024).contains(batch) else { throw ValidationError("--batch must be in 1…1024, got \(batch)") }
        if let maxFrames, maxFrames < 1 { throw ValidationError("--max-frames must be at least 1, got \(maxFrames)") }
        try threads.check()
    }

    func run() throws {
        threads.apply()
        try ownInputs().checkStandardOutput()
        let loaded = try models.map { try ModelFile.load($0) }
        for model in loaded { model.generator.evaluationStatistics = try batchNormStatistics() }
        let progress = json ? nil : ProgressLine(label: "eval", total: nil)
        let report = try Evaluator(models: loaded, batch: batch)
            .run(data: data, split: split, maxFrames: maxFrames, progress: progress)
        print(json ? try JSONText.sorted(report) : report.table())
    }

    /// The models, the data set's index and its shards.
    func ownInputs() -> InputGuard {
        let index = (data as NSString).appendingPathComponent(DataPrep.indexFileName)
        var inputs = InputGuard(models + [index])
        for shard in (try? DatasetIndex.load(index, requireComplete: false, checkShardFiles: false))?.shards ?? [] {
            inputs.add(DatasetIndex.shardPath(data, shard.file))
        }
        return inputs
    }
}
