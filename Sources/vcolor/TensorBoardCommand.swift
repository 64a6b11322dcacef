import ArgumentParser
import Console
import ModelFiles
import TensorBoard

/// `vcolor tensorboard RUN DIR`: a run's record as TensorBoard events.
struct TensorBoardCommand: LoggedCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensorboard",
        abstract: "Write a training run's metrics, sample strips and configuration as TensorBoard events.",
        discussion: """
            The events are those train --tensorboard DIR writes during a run (docs/training.md \
            §TensorBoard): the scalars of RUN/metrics.jsonl under train/ and validation/ tags, \
            once per step (where a resumed run repeated steps, the newer attempt's), the sample \
            strips of RUN/samples, the configuration of the newest checkpoint as text. DIR must \
            not hold event files yet. Then: tensorboard --logdir DIR.
            """)

    @Argument(help: ArgumentHelp("A train --run directory (with metrics.jsonl).", valueName: "run"))
    var runDirectory: String

    @Argument(help: ArgumentHelp("The directory to write the event file into (created if need be).", valueName: "dir"))
    var directory: String

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        var configuration: String?
        if let newest = CheckpointDirectory(run: runDirectory).newestComplete() {
            configuration = newest.file.storedConfiguration
            newest.file.close()
        }
        let s = try RunExport.write(run: runDirectory, to: directory, configuration: configuration)
        if s.skippedLines > 0 {
            Logger(label: "tensorboard").warning("skipped \(s.skippedLines) unreadable line\(s.skippedLines == 1 ? "" : "s") of metrics.jsonl")
        }
        print("\(s.file): \(s.steps) step\(s.steps == 1 ? "" : "s"), \(s.validations) validation\(s.validations == 1 ? "" : "s"), "
              + "\(s.samples) sample strip\(s.samples == 1 ? "" : "s")\(configuration == nil ? "" : ", configuration")")
    }
}
