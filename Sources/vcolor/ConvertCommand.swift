import ArgumentParser
import Foundation
import ModelFiles
import Storage

/// `vcolor convert IN OUT`: checkpoint ⇄ safetensors with the names of docs/format.md §Tensor names,
/// or either to the generator as ONNX (docs/format.md §ONNX).
struct ConvertCommand: LoggedCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a checkpoint (.h5) to safetensors (.safetensors) or back, or either to ONNX (.onnx).",
        discussion: """
            The format of each file is told by its extension. The safetensors file holds \
            PyTorch's tensor names and shapes in float32 (docs/format.md), and the model \
            configuration as JSON in its metadata. PyTorch's num_batches_tracked counters \
            are ignored. A checkpoint made from safetensors has no optimiser state: use it \
            with `vcolor train --init` or `vcolor colorize`. An .onnx file is the generator \
            for ONNX Runtime (opset 17, docs/format.md §ONNX): L in, a*b* out, the LSTM's \
            state as inputs and outputs.
            """)

    @Argument(help: "The file to read (.h5, .safetensors or .onnx).")
    var input: String

    @Argument(help: "The file to write (another format).")
    var output: String

    @Option(help: "What to convert: generator or all (generator and discriminator).")
    var what: String = "generator"
    @OptionGroup var logging: LoggingOptions

    /// `--what` stays a string checked here (not an `ExpressibleByArgument` enum):
    /// ArgumentParser's own message for a bad enum value adds a "Help:" line, and
    /// a bad option is one line.
    var contents: ModelConverter.Contents? { ModelConverter.Contents(rawValue: what) }

    func validate() throws {
        guard contents != nil else { throw ValidationError("--what must be generator or all, got '\(what)'") }
    }

    func run() throws {
        let inputs = InputGuard([input])
        try inputs.check(output: output, option: "OUT")
        try inputs.checkStandardOutput()
        let s = try ModelConverter.convert(input, to: output, contents: contents!)
        var line = "\(output): \(s.tensors) tensors, \(s.values) values, base width \(s.config.baseWidth), "
            + "temporal \(s.config.temporal.rawValue), size \(s.config.size)"
        if !s.skipped.isEmpty {
            line += "; ignored \(s.skipped.count) (\(s.skipped.prefix(3).joined(separator: ", "))\(s.skipped.count > 3 ? ", …" : ""))"
        }
        print(line)
    }
}
