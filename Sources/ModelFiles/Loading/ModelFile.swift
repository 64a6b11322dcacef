import Foundation
import HDF5Kit
import Net

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
}

/// Reads `--model FILE`: a training checkpoint (`.h5`) or a safetensors file,
/// with the configuration taken from the checkpoint's attributes or the
/// safetensors metadata, and for a bare torch-saved file inferred from the
/// tensors themselves (see `ModelTensors.configuration`).
public enum ModelFile {
    /// The key of our configuration in a safetensors file's `__metadata__`.
    public static let configKey = "config"

    /// Loads the networks, BatchNorm in evaluation mode (running statistics).
    /// - Parameter discriminator: also load the discriminator (the file must have it).
    public static func load(_ path: String, discriminator: Bool = false) throws -> LoadedModel {
        let format = try ModelFileFormat(path: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ModelFileError("\(path): no such model file")
        }
        switch format {
        case .checkpoint: return try loadCheckpoint(path, discriminator: discriminator)
        case .safetensors: return try loadSafeTensors(path, discriminator: discriminator)
        }
    }

    static func makeNetworks(_ config: ModelConfig, discriminator: Bool) throws -> (Generator, Discriminator?) {
        // The initial values are overwritten by the file; the seed only keeps them deterministic.
        var rng = RandomGenerator(seed: 0)
        let g = try Generator(config: config, rng: &rng)
        g.training = false
        var d: Discriminator?
        if discriminator {
            d = try Discriminator(config: config, rng: &rng)
            d?.training = false
        }
        return (g, d)
    }

    // MARK: Checkpoints

    /// Names and shapes of a checkpoint's `/generator` and `/discriminator` tensors.
    static func checkpointTensors(_ path: String) throws -> ModelTensors {
        let file: HDF5File
        do { file = try HDF5File.open(path) } catch {
            throw ModelFileError("\(path): not a readable checkpoint: \(error)")
        }
        defer { try? file.close() }
        var tensors = ModelTensors(shapes: [:], dtypes: [:], source: path)
        for group in ["generator", "discriminator"] where file.root.exists(group) {
            let g = try file.root.openGroup(group)
            defer { g.close() }
            for name in try g.childNames() where g.kind(of: name) == .dataset {
                let dataset = try g.openDataset(name)
                defer { dataset.close() }
                tensors.shapes[name] = try dataset.shape()
                tensors.dtypes[name] = try dataset.typeDescription() == "float32" ? "F32" : "non-float32"
            }
        }
        return tensors
    }

    static func loadCheckpoint(_ path: String, discriminator: Bool) throws -> LoadedModel {
        let state = try Checkpoint.readState(path)
        let stored = try ModelConfigJSON.parse(state.configuration, source: path)
        let config = try checkpointTensors(path).configuration(stored: stored)
        let (g, d) = try makeNetworks(config, discriminator: discriminator)
        let loaded = try Checkpoint.loadWeights(path, generator: g.parameters, discriminator: d?.parameters)
        if discriminator && !loaded.discriminatorLoaded {
            throw ModelFileError("\(path): has no discriminator (a generator-only file)")
        }
        return LoadedModel(config: config, generator: g, discriminator: d, path: path)
    }

    // MARK: Safetensors

    static func tensors(of file: SafeTensors) -> ModelTensors {
        var t = ModelTensors(shapes: [:], dtypes: [:], source: file.source)
        for name in file.names {
            guard let info = file.info(name) else { continue }
            t.shapes[name] = info.shape
            t.dtypes[name] = info.dtype
        }
        return t
    }

    /// The configuration of a safetensors file: metadata checked against the tensors.
    static func configuration(of file: SafeTensors) throws -> ModelConfig {
        let stored = try file.metadata[configKey].map { try ModelConfigJSON.parse($0, source: file.source) }
        return try tensors(of: file).configuration(stored: stored)
    }

    static func loadSafeTensors(_ path: String, discriminator: Bool) throws -> LoadedModel {
        let file = try SafeTensors.load(contentsOf: URL(fileURLWithPath: path))
        try file.refuseNonFinite()
        let config = try configuration(of: file)
        let (g, d) = try makeNetworks(config, discriminator: discriminator)
        try fill([g.parameters] + (d.map { [$0.parameters] } ?? []), from: file, config: config,
                 tolerateDiscriminator: !discriminator)
        return LoadedModel(config: config, generator: g, discriminator: d, path: path)
    }

    /// Checks every name, shape and dtype, then copies the values.
    static func fill(_ networks: [ParameterSet], from file: SafeTensors, config: ModelConfig,
                     tolerateDiscriminator: Bool) throws {
        let problems = tensors(of: file).problems(filling: networks) {
            tolerateDiscriminator && ModelTensors.isDiscriminatorName($0)
        }
        try ModelTensors.report(problems, source: file.source, model: config)
        try copyValues(networks, from: file)
    }

    /// Copies every parameter's and buffer's values from `file` (names already checked).
    static func copyValues(_ networks: [ParameterSet], from file: SafeTensors) throws {
        for set in networks {
            for p in set.entries {
                try file.copy(p.name, into: p.value, count: p.count)
            }
        }
    }
}
