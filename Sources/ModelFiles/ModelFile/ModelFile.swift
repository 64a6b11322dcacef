import Foundation
import HDF5Kit
import Net

/// A model file opened once (docs/format.md §Checkpoints, §Safetensors): a
/// training checkpoint (`.h5`) or a safetensors file, read through one path
/// whatever the format. Every load checks the names, shapes and types of all
/// it needs before a value is copied (one error lists what does not match),
/// then reads, then refuses NaN and ±∞ by name.
///
/// - `load` / `loadModel`: a generator (and discriminator) built from the file's
///   configuration, for `colorize`, `eval`, `convert`; refused when its output
///   on a probe frame is not finite (`ForwardProbe`).
/// - `loadWeights`: into the networks of a run (`train --init`).
/// - `restore`: weights, Adam moments and step counts of a run's checkpoint (`train --resume`).
public final class ModelFile {
    public let path: String
    /// The configuration JSON the file carries (a checkpoint's `configuration`,
    /// safetensors' `config` metadata); nil for a bare torch-saved file.
    public var storedConfiguration: String? { store.storedConfiguration }
    /// The state a run resumes from; nil in a weights-only file.
    public var training: TrainingState? { store.training }

    let store: any TensorStore

    private init(path: String, store: any TensorStore) {
        self.path = path
        self.store = store
    }

    /// Opens `path` as `format`, by default the one its extension names.
    public static func open(_ path: String, as format: ModelFileFormat? = nil) throws -> ModelFile {
        let format = try format ?? ModelFileFormat(path: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ModelFileError("\(path): no such model file")
        }
        switch format {
        case .checkpoint: return ModelFile(path: path, store: try CheckpointStore(path))
        case .safetensors: return ModelFile(path: path, store: try SafeTensorsStore(path))
        case .onnx: return ModelFile(path: path, store: try ONNXStore(path))
        }
    }

    /// Opens `path` as the format its content shows (`train --init`, docs/format.md
    /// §Loading): an HDF5 signature is a checkpoint, anything else must be safetensors.
    public static func open(sniffing path: String) throws -> ModelFile {
        if HDF5File.isHDF5(path) { return try open(path, as: .checkpoint) }
        let exists = FileManager.default.fileExists(atPath: path)
        do { return try open(path, as: .safetensors) } catch let error where exists {
            throw ModelFileError("\(path): neither an HDF5 checkpoint nor a readable safetensors file: \(error)")
        }
    }

    /// Releases the file; every load has read what it needs by the time it returns.
    public func close() { store.close() }

    /// Whether the file holds `group` (`.discriminator`, `.generatorAverage`).
    public func has(_ group: TensorGroup) throws -> Bool { try store.tensors(in: group) != nil }

    /// The configuration of the network the file holds: its stored one checked
    /// against the tensors (docs/format.md §Loading).
    public func configuration() throws -> ModelConfig { try store.configuration() }

    // MARK: Loads

    /// Opens `path`, builds the networks its configuration describes, loads them
    /// (BatchNorm in evaluation mode, running statistics) and closes it.
    /// - Parameter discriminator: also load the discriminator (the file must have it).
    public static func load(_ path: String, discriminator: Bool = false) throws -> LoadedModel {
        let file = try open(path)
        defer { file.close() }
        return try file.loadModel(discriminator: discriminator)
    }

    /// The networks this file's configuration describes, loaded from it.
    public func loadModel(discriminator: Bool = false) throws -> LoadedModel {
        let config = try configuration()
        if discriminator, try !has(.discriminator) {
            throw ModelFileError("\(path): has no discriminator (a generator-only file)")
        }
        // The initial values are overwritten by the file; the seed only keeps them deterministic.
        var rng = RandomGenerator(seed: 0)
        let g = try Generator(config: config, rng: &rng)
        g.training = false
        var d: Discriminator?
        if discriminator {
            d = try Discriminator(config: config, rng: &rng)
            d?.training = false
        }
        // A run's average of the generator, where the file keeps one, is the model (docs/format.md §Checkpoints).
        let generator: TensorGroup = try has(.generatorAverage) ? .generatorAverage : .generator
        var sections = [TensorSection(group: generator, parameters: g.parameters)]
        if let d { sections.append(TensorSection(group: .discriminator, parameters: d.parameters)) }
        try store.fill(sections, model: config)
        try ForwardProbe.check(g, d, path: path)
        return LoadedModel(config: config, generator: g, discriminator: d, path: path)
    }

    /// Loads the weights and buffers of `weights`' generator, of its
    /// discriminator when the file has one (a generator-only file leaves it as
    /// it is), and of its generator average when it has one (the file must
    /// too). Optimiser moments and training state are not touched.
    /// - Returns: whether the discriminator was loaded.
    @discardableResult
    public func loadWeights(_ weights: ModelWeights) throws -> Bool {
        var wanted = weights
        if try !has(.discriminator) { wanted.discriminator = nil }
        try store.fill(wanted.sections())
        weights.generatorAverage?.isStarted = true
        return wanted.discriminator != nil
    }

    /// Restores a run from its checkpoint: weights and buffers of both
    /// networks, Adam moments and step counts.
    /// - Returns: the stored training state (step, cursor, random generator…).
    @discardableResult
    public func restore(_ weights: ModelWeights, optimizers: Optimizers) throws -> TrainingState {
        guard let training else {
            throw ModelFileError("\(path) holds weights only (no /optimizer group): it cannot resume a run; use --init to start from it")
        }
        try store.fill(weights.sections(optimizers: optimizers))
        weights.generatorAverage?.isStarted = true
        optimizers.generator.stepCount = training.generatorAdamSteps
        optimizers.discriminator.stepCount = training.discriminatorAdamSteps
        return training
    }

    /// Reads the file as the loaders do and throws what the first to object
    /// would (`vcolor inspect --verify`): the model colorize, eval and convert
    /// load (with the discriminator when the file has one), then everything
    /// `train --resume` restores from a run's checkpoint (both networks, the
    /// moving average, Adam's moments), or else what `train --init` loads. So
    /// every tensor is checked against the model, its checksum and for NaN,
    /// and the model against the probe, by the code that checks them on load.
    public func verify() throws {
        let model = try loadModel(discriminator: try has(.discriminator))
        var config = model.config
        // Whether the run keeps an average is the file's to say, not the stored recipe's: a
        // weights-only file converted from an averaged run stores emaDecay but holds only the
        // generator. Any nonzero decay builds the same tensors.
        config.emaDecay = try has(.generatorAverage) ? 0.5 : 0
        var rng = RandomGenerator(seed: 0)
        let run = try Pix2PixTrainer(config: config, rng: &rng)
        if training != nil {
            try restore(ModelWeights(run), optimizers: Optimizers(run))
        } else {
            try loadWeights(ModelWeights(run))
        }
    }

    /// The names of the file's network tensors that `weights` did not take
    /// (PyTorch's BatchNorm counters, the discriminator when only the generator was loaded).
    public func tensorsLeftOut(by weights: ModelWeights) throws -> [String] {
        var left: [String] = []
        for network in [TensorGroup.generator, .discriminator] {
            let taken = Set(weights.networks.first { $0.group == network }?.parameters.entries.map(\.name) ?? [])
            left += try (store.tensors(in: network) ?? [:]).keys.filter { !taken.contains($0) }
        }
        return left.sorted()
    }
}

/// A generator (and optionally its discriminator) read from a model file.
public final class LoadedModel {
    public let config: ModelConfig
    public let generator: Generator
    public let discriminator: Discriminator?
    public let path: String

    init(config: ModelConfig, generator: Generator, discriminator: Discriminator?, path: String) {
        self.config = config
        self.generator = generator
        self.discriminator = discriminator
        self.path = path
    }

    /// The networks' tensors, as a file stores them.
    public var weights: ModelWeights {
        ModelWeights(generator: generator.parameters, discriminator: discriminator?.parameters)
    }
}
