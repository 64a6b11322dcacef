import ArgumentParser
import Colorize
import Console

/// `vcolor report RUN... [--eval FILE.json] --out report.html`.
struct ReportCommand: LoggedCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page about training runs and an evaluation.",
        discussion: """
            For every RUN (a train --run directory): loss_D, loss_G and its GAN and L1 parts \
            (smoothed, raw faint), validation L1 and PSNR, throughput and the all-reduce share \
            against step, runs overlaid; each run's compute time per rank (fastest to slowest \
            rank, and the median) and the ranks that were the slowest most often, to find a \
            straggler; the newest sample strip. With --eval (the output of \
            vcolor eval --json): the table of models, grey and truth with the best value of each \
            column marked, and flicker and CDC per sequence. The page has no script and loads \
            nothing: open it anywhere, or mail it.
            """)

    @Argument(help: "Training run directories (each with metrics.jsonl).")
    var runs: [String] = []

    @Option(help: "An evaluation to show: the JSON of vcolor eval --json (or a quickstart's eval.json).")
    var eval: String?

    @Option(help: "The HTML file to write.")
    var out: String

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one RUN directory") }
    }

    func run() throws {
        let bytes = try Report.write(runs: runs, eval: eval, to: out)
        Logger(label: "report").info("\(out) (\(bytes / 1024) KiB)")
    }
}
