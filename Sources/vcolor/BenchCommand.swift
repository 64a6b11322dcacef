import ArgumentParser
import Foundation
import Console
import Net

/// `vcolor bench`: timings of a training step and of inference on synthetic
/// data (`StepBenchmark`); JSON lines on stdout, progress on stderr.
struct BenchCommand: LoggedCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time training steps and inference on synthetic data; print JSON lines.")

    @Option(help: ArgumentHelp(
        "Compute threads, or a comma-separated list (e.g. 1,2) to measure each in this run (default: one per core).",
        discussion: "With a list, a final `thread_scaling` line gives each count's speed-up over the first, measured in the same process on the same model."))
    var threads: String?
    @Option(help: "Clips per batch.")
    var batch: Int = 4
    @Option(help: "Frames per clip.")
    var clip: Int = 8
    @Option(help: "Frame side in pixels (a multiple of 128).")
    var size: Int = 128
    @Option(help: "Timed steps (after one warm-up step).")
    var steps: Int = 3
    @OptionGroup var shape: ModelShapeOptions
    @Flag(help: "Also time every convolution of the model on its own.")
    var layers = false
    @Option(help: "Seed for the weights and the synthetic data.")
    var seed: UInt64 = 1
    @OptionGroup var logging: LoggingOptions

    static let logger = Logger(label: "bench")

    func options() throws -> StepBenchmark.Options {
        var o = StepBenchmark.Options()
        if let threads { o.threadCounts = try StepBenchmark.Options.threadCounts(threads) }
        (o.batch, o.clip, o.size, o.steps) = (batch, clip, size, steps)
        (o.base, o.temporal, o.layers, o.seed) = (shape.base, shape.temporal, layers, seed)
        return o
    }

    func validate() throws { try options().validate() }

    func run() throws {
        let emit: ([(String, BenchValue)]) -> Void = { print(BenchValue.line($0)); fflush(stdout) }
        try StepBenchmark(options: try options(), emit: emit, progress: { Self.logger.info("\($0)") }).run()
    }
}
