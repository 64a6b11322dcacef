import ArgumentParser
import Colorize
import Media
import Net

/// `--threads`: compute threads of this process.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Compute threads per process (default: cores ÷ ranks on this node, one per core without mpirun).")
    var threads: Int?

    /// Called from the commands' `validate()`; not ArgumentParser's own hook, because
    /// `train` checks it with its other options inside the job (see `TrainCommand`).
    func check() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Sets the compute threads: the option, or the cores shared among `ranksOnNode` ranks.
    func apply(ranksOnNode: Int = 1) {
        ComputeThreads.set(threads ?? ComputeThreads.defaultCount(ranksOnNode: ranksOnNode))
    }
}

/// `--base` and `--temporal`: the shape of the model being built.
struct ModelShapeOptions: ParsableArguments {
    @Option(help: "Base channel width of the model (the seed model has 64).")
    var base: Int = 64
    @Option(help: "lstm, or none for the variant without the LSTM.")
    var temporal: ModelConfig.Temporal = .lstm
}

extension ModelConfig.Temporal: ExpressibleByArgument {}
extension FitMode: ExpressibleByArgument {}
extension RenderFit: ExpressibleByArgument {}

/// `--bn-statistics`, a string checked here rather than an enum option: a bad
/// value is then one line, without the parser's extra "Help:" line.
protocol BatchNormStatisticsOption {
    var bnStatistics: String { get }
}

extension BatchNormStatisticsOption {
    func batchNormStatistics() throws -> BatchNormStatistics {
        guard let value = BatchNormStatistics(rawValue: bnStatistics) else {
            let known = BatchNormStatistics.allCases.map(\.rawValue).joined(separator: " or ")
            throw ValidationError("--bn-statistics must be \(known), got \(bnStatistics)")
        }
        return value
    }
}
