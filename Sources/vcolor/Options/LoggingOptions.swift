import ArgumentParser
import Console

/// `--log-level`: how much the program says on stderr. Every subcommand has it;
/// `VColor.main` installs the one log handler at this level before running.
struct LoggingOptions: ParsableArguments {
    enum Level: String, CaseIterable, ExpressibleByArgument {
        /// Warnings and errors only; no progress line.
        case quiet
        /// Progress and what is being done (the default).
        case info
        /// Also every training step and every checkpoint written.
        case debug

        var loggerLevel: Logger.Level {
            switch self {
            case .quiet: return .warning
            case .info: return .info
            case .debug: return .debug
            }
        }
    }

    @Option(help: "quiet, info or debug.")
    var logLevel: Level = .info
}

/// A subcommand with `--log-level`.
protocol LoggedCommand: ParsableCommand {
    var logging: LoggingOptions { get }
}
