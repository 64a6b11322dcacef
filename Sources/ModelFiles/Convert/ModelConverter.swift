import Foundation
import Net

/// `vcolor convert`: a training checkpoint ⇄ a safetensors file (docs/format.md §Safetensors).
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
/// accepted and dropped. The checkpoint written has no optimiser state and
/// step 0: it is a starting point for `vcolor train --init`, or a model for
/// `vcolor colorize`, not a run to `--resume`.
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
        let model = try ModelFile.load(input, discriminator: contents == .all)
        let sets = [model.generator.parameters] + (model.discriminator.map { [$0.parameters] } ?? [])
        var skipped: [String] = []
        if from == .safetensors {
            let file = try SafeTensors.load(contentsOf: URL(fileURLWithPath: input))
            let kept = Set(sets.flatMap { $0.entries.map(\.name) })
            skipped = file.names.filter { !kept.contains($0) }.sorted()
        }
        switch to {
        case .safetensors: try writeSafeTensors(sets, config: model.config, contents: contents, to: output)
        case .checkpoint: try writeCheckpoint(model, to: output)
        }
        return Summary(tensors: sets.reduce(0) { $0 + $1.entries.count },
                       values: sets.reduce(0) { $0 + $1.trainableCount + $1.bufferCount },
                       config: model.config, skipped: skipped)
    }

    static func writeSafeTensors(_ sets: [ParameterSet], config: ModelConfig, contents: Contents, to output: String) throws {
        var entries: [SafeTensors.Entry] = []
        for set in sets {
            for p in set.entries {
                entries.append((name: p.name, shape: p.shape, values: UnsafeBufferPointer(p.values)))
            }
        }
        let metadata = [
            ModelFile.configKey: ModelConfigJSON.text(config),
            "format": "vcolor",
            "contents": contents.rawValue,
        ]
        try SafeTensors.write(entries, metadata: metadata, to: URL(fileURLWithPath: output))
    }

    static func writeCheckpoint(_ model: LoadedModel, to output: String) throws {
        let state = CheckpointState(step: 0, epoch: 0, cursor: SamplerCursor(), stepsPerEpoch: 0, worldSize: 1,
                                    rngState: RandomGenerator(seed: 0).stateWords,
                                    generatorAdamSteps: 0, discriminatorAdamSteps: 0,
                                    configuration: ModelConfigJSON.text(model.config))
        try Checkpoint.write(Checkpoint.Networks(generator: model.generator.parameters,
                                                 discriminator: model.discriminator?.parameters),
                             state: state, to: output)
    }
}
