import Foundation
import Storage
import HDF5Kit
import Net

/// The training checkpoint of docs/format.md §Checkpoints: one HDF5 file holding
///
///     /generator/<name>                      float32, PyTorch shape (weights and BN buffers)
///     /discriminator/<name>                  float32, PyTorch shape
///     /optimizer/generator/<name>/{m,v}      Adam moments of each trainable tensor
///     /optimizer/discriminator/<name>/{m,v}
///
/// and root attributes `format` ("vcolor-checkpoint"), `version`, `step`,
/// `epoch`, `configuration` (JSON), `cursor` (JSON), `steps_per_epoch`,
/// `world_size`, `rng_state` (JSON array of four words), and each network's
/// Adam `stepCount`. Every dataset carries a `checksum` attribute (FNV-1a
/// over its float bit patterns) so a flipped bit in the raw data, which HDF5
/// itself cannot notice in contiguous storage, is an error on load rather
/// than a silently different model.
///
/// Rank 0 writes to a temporary name in the target directory, fsyncs the file,
/// renames it into place and fsyncs the directory, so the final name always
/// denotes a complete file.
public enum Checkpoint {
    public static let format = "vcolor-checkpoint"
    public static let version = 1

    /// What a checkpoint holds tensors of. Optimisers are nil when only
    /// weights are written or wanted.
    public struct Networks {
        public var generator: ParameterSet
        public var discriminator: ParameterSet?
        public var generatorOptimizer: Adam?
        public var discriminatorOptimizer: Adam?

        public init(generator: ParameterSet, discriminator: ParameterSet?,
                    generatorOptimizer: Adam? = nil, discriminatorOptimizer: Adam? = nil) {
            self.generator = generator
            self.discriminator = discriminator
            self.generatorOptimizer = generatorOptimizer
            self.discriminatorOptimizer = discriminatorOptimizer
        }
    }

    // MARK: - Writing

    /// Writes `networks` and `state` to `path` atomically (temporary file in
    /// the same directory, fsync, rename, fsync of the directory).
    public static func write(_ networks: Networks, state: CheckpointState, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let dir = directory.isEmpty ? "." : directory
        let temporary = (dir as NSString).appendingPathComponent(
            CheckpointDirectory.temporaryPrefix + (path as NSString).lastPathComponent + ".tmp-\(getpid())")
        // An unwritable place is named by the path asked for, with the reason (HDF5's own
        // message names the temporary and dumps its flags); HDF5 then creates the file anew.
        let probe = Glibc.open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard probe >= 0 else { throw CheckpointError("\(path): cannot write (\(SystemError.words(errno)))") }
        close(probe)
        unlink(temporary)
        do {
            let file = try HDF5File.create(temporary)
            do {
                try writeContents(networks, state: state, into: file)
                try file.close()
            } catch {
                try? file.close()
                throw error
            }
            try AtomicFile.commit(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    static func writeContents(_ networks: Networks, state: CheckpointState, into file: HDF5File) throws {
        let root = file.root
        try root.setAttribute("format", format)
        try root.setAttribute("version", version)
        try root.setAttribute("step", state.step)
        try root.setAttribute("epoch", state.epoch)
        try root.setAttribute("configuration", state.configuration)
        try root.setAttribute("cursor", jsonText(state.cursor))
        try root.setAttribute("steps_per_epoch", state.stepsPerEpoch)
        try root.setAttribute("world_size", state.worldSize)
        try root.setAttribute("rng_state", jsonText(state.rngState))
        try root.setAttribute("generator_adam_steps", state.generatorAdamSteps)
        try root.setAttribute("discriminator_adam_steps", state.discriminatorAdamSteps)
        if let fingerprint = state.dataFingerprint { try root.setAttribute("data_fingerprint", fingerprint) }

        func writeNetwork(_ group: String, _ parameters: ParameterSet, _ optimizer: Adam?) throws {
            let g = try root.createGroup(group)
            for p in parameters.entries {
                try writeTensor(g, p.name, shape: p.shape, UnsafeBufferPointer(p.values))
            }
            guard let optimizer else { return }
            let o = try root.createGroup("optimizer/\(group)")
            for p in parameters.entries where p.kind == .trainable {
                let range = p.offset..<(p.offset + p.count)
                try writeTensor(o, "\(p.name)/m", shape: p.shape, UnsafeBufferPointer(rebasing: optimizer.m[range]))
                try writeTensor(o, "\(p.name)/v", shape: p.shape, UnsafeBufferPointer(rebasing: optimizer.v[range]))
            }
        }
        try writeNetwork("generator", networks.generator, networks.generatorOptimizer)
        if let d = networks.discriminator {
            try writeNetwork("discriminator", d, networks.discriminatorOptimizer)
        }
    }

    static func writeTensor(_ group: HDF5Group, _ name: String, shape: [Int], _ values: UnsafeBufferPointer<Float>) throws {
        let dataset = try group.createDataset(name, of: Float.self, shape: shape)
        defer { dataset.close() }
        try dataset.write(values)
        try dataset.setAttribute("checksum", Int(bitPattern: UInt(checksum(values))))
    }

    // MARK: - Reading

    /// Reads the root attributes only (cheap: no tensor is read).
    public static func readState(_ path: String) throws -> CheckpointState {
        let file = try open(path)
        defer { try? file.close() }
        return try readState(file)
    }

    /// Loads everything `networks` asks for (weights and buffers of each
    /// network given, Adam moments and step counts of each optimiser given)
    /// and returns the stored state. Names and shapes are checked against the
    /// model before any value is touched; a mismatch is one error listing the
    /// offending tensors. A checksum mismatch means a corrupt file.
    @discardableResult
    public static func read(_ path: String, into networks: Networks) throws -> CheckpointState {
        let file = try open(path)
        defer { try? file.close() }
        let state = try readState(file)
        let root = file.root
        var plan: [(group: String, parameters: ParameterSet, optimizer: Adam?)] = [("generator", networks.generator, networks.generatorOptimizer)]
        if let d = networks.discriminator { plan.append(("discriminator", d, networks.discriminatorOptimizer)) }

        // 1. Validate every name and shape first.
        var problems: [String] = []
        for item in plan {
            problems += try mismatches(root, group: item.group, item.parameters, path: path)
            if item.optimizer != nil {
                guard root.exists("optimizer/\(item.group)") else {
                    problems.append("/optimizer/\(item.group) is missing (a weights-only file; use --init to start from it)")
                    continue
                }
                for p in item.parameters.entries where p.kind == .trainable {
                    for moment in ["m", "v"] {
                        if let issue = try shapeIssue(root, "optimizer/\(item.group)/\(p.name)/\(moment)", expected: p.shape) {
                            problems.append(issue)
                        }
                    }
                }
            }
        }
        try report(problems, path: path)

        // 2. Read; weights or buffers holding NaN or ±∞ are refused, by name.
        var poisoned: [String] = []
        for item in plan {
            for p in item.parameters.entries {
                try readTensor(root, "\(item.group)/\(p.name)", into: p.values)
                if !NonFinite.allFinite(UnsafeBufferPointer(p.values)) { poisoned.append("\(item.group)/\(p.name)") }
            }
            if let optimizer = item.optimizer {
                for p in item.parameters.entries where p.kind == .trainable {
                    let range = p.offset..<(p.offset + p.count)
                    try readTensor(root, "optimizer/\(item.group)/\(p.name)/m", into: UnsafeMutableBufferPointer(rebasing: optimizer.m[range]))
                    try readTensor(root, "optimizer/\(item.group)/\(p.name)/v", into: UnsafeMutableBufferPointer(rebasing: optimizer.v[range]))
                }
            }
        }
        guard poisoned.isEmpty else {
            throw CheckpointError("\(path): NaN or infinite values in \(poisoned.count) tensor\(poisoned.count == 1 ? "" : "s"): \(NonFinite.list(poisoned)); refusing the weights")
        }
        networks.generatorOptimizer?.stepCount = state.generatorAdamSteps
        networks.discriminatorOptimizer?.stepCount = state.discriminatorAdamSteps
        return state
    }

    /// What `loadWeights` found.
    public struct LoadedWeights: Equatable {
        /// False when a discriminator was asked for but the file holds only a
        /// generator (a converted generator-only file): it keeps its values.
        public var discriminatorLoaded: Bool
    }

    /// Loads only the weights and buffers (for `--init` and `colorize`) from
    /// a checkpoint (`.h5`) or a safetensors file with the names of docs/format.md §Tensor names:
    /// optimiser moments and training state are ignored. The generator is
    /// required; the discriminator is loaded when asked for and present.
    @discardableResult
    public static func loadWeights(_ path: String, generator: ParameterSet, discriminator: ParameterSet?) throws -> LoadedWeights {
        if FileManager.default.fileExists(atPath: path), !HDF5File.isHDF5(path) {
            return try loadSafeTensorsWeights(path, generator: generator, discriminator: discriminator)
        }
        var wantDiscriminator = discriminator
        if discriminator != nil {
            let file = try open(path)
            if !file.root.exists("discriminator") { wantDiscriminator = nil }
            try file.close()
        }
        try read(path, into: Networks(generator: generator, discriminator: wantDiscriminator))
        return LoadedWeights(discriminatorLoaded: wantDiscriminator != nil)
    }

    /// Weights from a safetensors file (generator only, or both networks: their
    /// names (docs/format.md §Tensor names) do not overlap, so one flat namespace holds both).
    static func loadSafeTensorsWeights(_ path: String, generator: ParameterSet, discriminator: ParameterSet?) throws -> LoadedWeights {
        let file: SafeTensors
        do { file = try SafeTensors.load(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CheckpointError("\(path): neither an HDF5 checkpoint nor a readable safetensors file: \(error)")
        }
        do { try file.refuseNonFinite() } catch { throw CheckpointError(String(describing: error)) }
        let discriminatorNames = discriminator.map { Set($0.entries.map(\.name)) } ?? []
        let hasDiscriminator = discriminator != nil && file.names.contains { discriminatorNames.contains($0) }
        var sets = [generator]
        if hasDiscriminator, let discriminator { sets.append(discriminator) }
        // The model-file loader's checks and copy; a generator-only load tolerates
        // discriminator tensors (`--what all`), nothing else.
        let problems = ModelFile.tensors(of: file).problems(filling: sets) {
            discriminator == nil && ModelTensors.isDiscriminatorName($0)
        }
        try report(problems, path: path)
        do { try ModelFile.copyValues(sets, from: file) } catch { throw CheckpointError(String(describing: error)) }
        return LoadedWeights(discriminatorLoaded: hasDiscriminator)
    }

    static func open(_ path: String) throws -> HDF5File {
        let file: HDF5File
        do {
            file = try HDF5File.open(path)
        } catch let error as HDF5Error {
            throw CheckpointError("\(path): not a readable checkpoint: \(error.message)\(error.reason.isEmpty ? "" : " (\(error.reason))")")
        }
        let root = file.root
        let formatValue = root.hasAttribute("format") ? try? root.stringAttribute("format") : nil
        guard formatValue == format else {
            try? file.close()
            throw CheckpointError("\(path): not a vcolor checkpoint (format attribute is \(formatValue.map { "'\($0)'" } ?? "missing"))")
        }
        return file
    }

    static func readState(_ file: HDF5File) throws -> CheckpointState {
        let root = file.root
        let path = file.path
        func attribute<T>(_ name: String, _ read: (String) throws -> T) throws -> T {
            guard root.hasAttribute(name) else { throw CheckpointError("\(path): attribute '\(name)' is missing") }
            do { return try read(name) } catch {
                throw CheckpointError("\(path): attribute '\(name)' is unreadable: \(error)")
            }
        }
        let fileVersion = try attribute("version", root.intAttribute)
        guard fileVersion == version else {
            throw CheckpointError("\(path): checkpoint version \(fileVersion) is not supported (this vcolor reads version \(version))")
        }
        let cursor: SamplerCursor = try decodeJSON(try attribute("cursor", root.stringAttribute), name: "cursor", path: path)
        let rng: [UInt64] = try decodeJSON(try attribute("rng_state", root.stringAttribute), name: "rng_state", path: path)
        guard rng.count == 4 else { throw CheckpointError("\(path): rng_state has \(rng.count) words, expected 4") }
        let state = CheckpointState(
            step: try attribute("step", root.intAttribute),
            epoch: try attribute("epoch", root.intAttribute),
            cursor: cursor,
            stepsPerEpoch: try attribute("steps_per_epoch", root.intAttribute),
            worldSize: try attribute("world_size", root.intAttribute),
            rngState: rng,
            generatorAdamSteps: try attribute("generator_adam_steps", root.intAttribute),
            discriminatorAdamSteps: try attribute("discriminator_adam_steps", root.intAttribute),
            configuration: try attribute("configuration", root.stringAttribute),
            dataFingerprint: root.hasAttribute("data_fingerprint") ? try attribute("data_fingerprint", root.stringAttribute) : nil)
        try check(state, path: path)
        return state
    }

    /// The counters a resume computes with (cursor × steps per epoch, Adam's bias
    /// correction) must be in range: a hand-edited or foreign file is an error
    /// here, not an overflow trap or a NaN later.
    static func check(_ s: CheckpointState, path: String) throws {
        func fail(_ what: String) -> CheckpointError { CheckpointError("\(path): \(what)") }
        for (name, value) in [("step", s.step), ("epoch", s.epoch), ("steps_per_epoch", s.stepsPerEpoch),
                              ("generator_adam_steps", s.generatorAdamSteps),
                              ("discriminator_adam_steps", s.discriminatorAdamSteps)] where value < 0 {
            throw fail("attribute '\(name)' is negative (\(value))")
        }
        guard s.worldSize >= 1 else { throw fail("attribute 'world_size' must be at least 1, got \(s.worldSize)") }
        // Checkpoints made by convert have no data position: steps_per_epoch 0, cursor at 0.
        let inEpoch = s.stepsPerEpoch == 0 ? s.cursor.stepInEpoch == 0 : (0..<s.stepsPerEpoch).contains(s.cursor.stepInEpoch)
        guard s.cursor.epoch >= 0, inEpoch else {
            throw fail("cursor epoch \(s.cursor.epoch) step \(s.cursor.stepInEpoch) is outside an epoch of \(s.stepsPerEpoch) steps")
        }
    }

    /// Missing, misshapen and unexpected tensors of `group` against `parameters`.
    static func mismatches(_ root: HDF5Group, group: String, _ parameters: ParameterSet, path: String) throws -> [String] {
        guard root.exists(group), root.kind(of: group) == .group else { return ["/\(group) is missing"] }
        var problems: [String] = []
        for p in parameters.entries {
            if let issue = try shapeIssue(root, "\(group)/\(p.name)", expected: p.shape) { problems.append(issue) }
        }
        let stored = try root.openGroup(group)
        defer { stored.close() }
        for name in try stored.childNames() where parameters[name] == nil {
            problems.append("/\(group)/\(name) is not in the model")
        }
        return problems
    }

    static func shapeIssue(_ root: HDF5Group, _ name: String, expected: [Int]) throws -> String? {
        guard root.exists(name), root.kind(of: name) == .dataset else { return "/\(name) is missing" }
        let dataset = try root.openDataset(name)
        defer { dataset.close() }
        let shape = try dataset.shape()
        if shape != expected { return "/\(name) has shape \(shape), the model needs \(expected)" }
        let type = try dataset.typeDescription()
        if type != "float32" { return "/\(name) is \(type), expected float32" }
        return nil
    }

    static func report(_ problems: [String], path: String) throws {
        guard !problems.isEmpty else { return }
        let shown = problems.prefix(8).joined(separator: "; ")
        let more = problems.count > 8 ? "; and \(problems.count - 8) more" : ""
        throw CheckpointError("\(path) does not match the model (\(problems.count) tensor\(problems.count == 1 ? "" : "s")): \(shown)\(more)")
    }

    static func readTensor(_ root: HDF5Group, _ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        let dataset = try root.openDataset(name)
        defer { dataset.close() }
        do {
            try dataset.read(into: buffer)
        } catch let error as HDF5Error {
            throw CheckpointError("\(error.path): corrupt checkpoint: \(error.message)\(error.reason.isEmpty ? "" : " (\(error.reason))")")
        }
        if dataset.hasAttribute("checksum") {
            let stored = UInt64(UInt(bitPattern: try dataset.intAttribute("checksum")))
            guard stored == checksum(UnsafeBufferPointer(buffer)) else {
                throw CheckpointError("\(dataset.location): corrupt checkpoint: the values do not match their checksum")
            }
        }
    }

    // MARK: - Helpers

    /// FNV-1a (64-bit) over the float bit patterns, one 32-bit word a round:
    /// cheap enough for a few hundred MB per checkpoint, and any single flipped
    /// bit changes it.
    public static func checksum(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        guard let p = values.baseAddress else { return h }
        p.withMemoryRebound(to: UInt32.self, capacity: values.count) { words in
            for i in 0..<values.count {
                h = (h ^ UInt64(words[i])) &* 0x100_0000_01b3
            }
        }
        return h
    }

    static func jsonText<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func decodeJSON<T: Decodable>(_ text: String, name: String, path: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
            throw CheckpointError("\(path): attribute '\(name)' is not valid: \(text.prefix(80))")
        }
    }
}
