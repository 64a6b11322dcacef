import Foundation
import Net

/// `vcolor convert`: a training checkpoint ⇄ a safetensors file (docs/format.md §Safetensors), and either
/// to the generator as an ONNX model (docs/format.md §ONNX, `ONNXExport`).
///
/// Safetensors files hold exactly the names of docs/format.md §Tensor names, float32, PyTorch shapes,
/// in network order, and our `ModelConfig` as JSON under `__metadata__["config"]`.
/// With `.all` the discriminator's tensors go in next to the generator's under
/// their plain names (`layer*`, `head.*` never clash with `down*`, `up*`, `lstm.*`).
///
/// Every value is copied, never recomputed, so checkpoint → safetensors →
/// checkpoint reproduces each tensor bit for bit. Going to a checkpoint, the
/// file is checked first: missing, mis-shaped, non-float32 and unknown tensors
/// are reported together. PyTorch's int64 `*.num_batches_tracked` counters are
/// accepted and dropped. The checkpoint written is weights only (no optimiser
/// moments, no training state): a starting point for `vcolor train --init`, or
/// a model for `vcolor colorize`, not a run to `--resume`.
public enum ModelConverter {
    public enum Contents: String, CaseIterable, Sendable {
        case generator
        case all
    }

    public struct Summary: Equatable, Sendable {
        public var tensors: Int
        public var values: Int
        public var config: ModelConfig
        /// Tensors in the input that were deliberately left out (torch's BN
        /// counters, the discriminator when only the generator was asked for).
        public var skipped: [String]
    }

    @discardableResult
    public static func convert(_ input: String, to output: String, contents: Contents) throws -> Summary {
        let from = try ModelFileFormat(path: input)
        let to = try ModelFileFormat(path: output)
        guard from != to else {
            throw ModelFileError("\(input) and \(output) are both \(from.rawValue) files; convert turns one format into the other")
        }
        guard URL(fileURLWithPath: input).standardizedFileURL != URL(fileURLWithPath: output).standardizedFileURL else {
            throw ModelFileError("input and output are the same file")
        }
        if to == .onnx, contents == .all {
            throw ModelFileError("an ONNX model holds the generator only; convert to .onnx without --what all")
        }
        let file = try ModelFile.open(input)
        defer { file.close() }
        let model = try file.loadModel(discriminator: contents == .all)
        let weights = model.weights
        switch to {
        case .safetensors: try writeSafeTensors(weights, config: model.config, contents: contents, to: output)
        case .checkpoint: try Checkpoint.write(weights, configuration: ModelConfigJSON.text(model.config), to: output)
        case .onnx: try ONNXExport.write(config: model.config, generator: weights.generator, to: output)
        }
        let sets = weights.networks.map(\.parameters)
        return Summary(tensors: sets.reduce(0) { $0 + $1.entries.count },
                       values: sets.reduce(0) { $0 + $1.trainableCount + $1.bufferCount },
                       config: model.config, skipped: try file.tensorsLeftOut(by: weights))
    }

    static func writeSafeTensors(_ weights: ModelWeights, config: ModelConfig, contents: Contents, to output: String) throws {
        let entries = weights.sections().flatMap { section in
            section.tensors.map { (name: $0.name, shape: $0.shape, values: UnsafeBufferPointer($0.values)) }
        }
        let metadata = [
            SafeTensorsStore.configKey: ModelConfigJSON.text(config),
            "format": "vcolor",
            "contents": contents.rawValue,
        ]
        do { try SafeTensors.write(entries, metadata: metadata, to: URL(fileURLWithPath: output)) } catch {
            throw ModelFileError(String(describing: error))
        }
    }
}
