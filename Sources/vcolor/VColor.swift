import ArgumentParser
import Console
import Media

/// The `vcolor` command: prepare video, train the colourising GAN over MPI,
/// colourise, evaluate, report and convert checkpoints.
@main
struct VColor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vcolor",
        abstract: "Colourise black-and-white video with a GAN trained data-parallel over MPI.",
        version: "0.1.0",
        subcommands: [
            PrepCommand.self,
            InspectCommand.self,
            BenchCommand.self,
            DoctorCommand.self,
            TrainCommand.self,
            ConvertCommand.self,
            ColorizeCommand.self,
            EvalCommand.self,
            ReportCommand.self,
            TensorBoardCommand.self,
            QuickstartCommand.self,
        ]
    )

    /// Parses, installs the log handler at the command's `--log-level`, runs.
    static func main() {
        do {
            var command = try parseAsRoot()
            let level = (command as? any LoggedCommand)?.logging.logLevel.loggerLevel ?? .info
            Console.bootstrap(level: level)
            // ffmpeg's own lines are summarised per input (FrameReader.complaintSummary) unless asked for.
            if level <= .debug { ExternalProcess.relay = { Logger(label: "ffmpeg").debug("\($0)") } }
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
