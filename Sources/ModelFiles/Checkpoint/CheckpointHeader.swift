import Foundation
import HDF5Kit
import Net

/// The root attributes of a checkpoint (docs/format.md §Attributes): `format`,
/// `version`, `configuration` and the training state, written and read here
/// and nowhere else.
enum CheckpointHeader {
    static let format = "vcolor-checkpoint"
    static let version = 1

    static func write(configuration: String, training: TrainingState?, to root: HDF5Group) throws {
        let state = training ?? weightsOnly
        try root.setAttribute("format", format)
        try root.setAttribute("version", version)
        try root.setAttribute("step", state.step)
        try root.setAttribute("epoch", state.epoch)
        try root.setAttribute("configuration", configuration)
        try root.setAttribute("cursor", try jsonText(state.cursor))
        try root.setAttribute("steps_per_epoch", state.stepsPerEpoch)
        try root.setAttribute("world_size", state.worldSize)
        try root.setAttribute("rng_state", try jsonText(state.rngState))
        try root.setAttribute("generator_adam_steps", state.generatorAdamSteps)
        try root.setAttribute("discriminator_adam_steps", state.discriminatorAdamSteps)
        if let fingerprint = state.dataFingerprint { try root.setAttribute("data_fingerprint", fingerprint) }
        if let precision = state.allreducePrecision { try root.setAttribute("allreduce_precision", precision) }
    }

    /// What a weights-only file stores in the training attributes: the empty
    /// position docs/format.md gives a converted file. Version 1 requires every
    /// attribute, so they are written; a file without `/optimizer` has no
    /// training state, so they are never read back.
    static let weightsOnly = TrainingState(step: 0, epoch: 0, cursor: SamplerCursor(), stepsPerEpoch: 0, worldSize: 1,
                                           rngState: RandomGenerator(seed: 0).stateWords,
                                           generatorAdamSteps: 0, discriminatorAdamSteps: 0)

    /// The stored configuration and, when the file holds `/optimizer` (a run's
    /// checkpoint, not a weights-only file), the training state, range-checked.
    static func read(_ root: HDF5Group, path: String) throws -> (configuration: String, training: TrainingState?) {
        let formatValue = root.hasAttribute("format") ? try? root.stringAttribute("format") : nil
        guard formatValue == format else {
            throw ModelFileError("\(path): not a vcolor checkpoint (format attribute is \(formatValue.map { "'\($0)'" } ?? "missing"))")
        }
        func attribute<T>(_ name: String, _ read: (String) throws -> T) throws -> T {
            guard root.hasAttribute(name) else { throw ModelFileError("\(path): attribute '\(name)' is missing") }
            do { return try read(name) } catch {
                throw ModelFileError("\(path): attribute '\(name)' is unreadable: \(error)")
            }
        }
        func json<T: Decodable>(_ name: String) throws -> T {
            let text = try attribute(name, root.stringAttribute)
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
                throw ModelFileError("\(path): attribute '\(name)' is not valid: \(text.prefix(80))")
            }
        }
        // An attribute added after version 1 was fixed: files written before it lack it.
        func optionalText(_ name: String) throws -> String? {
            root.hasAttribute(name) ? try attribute(name, root.stringAttribute) : nil
        }
        let fileVersion = try attribute("version", root.intAttribute)
        guard fileVersion == version else {
            throw ModelFileError("\(path): checkpoint version \(fileVersion) is not supported (this vcolor reads version \(version))")
        }
        let configuration = try attribute("configuration", root.stringAttribute)
        guard root.exists("optimizer") else { return (configuration, nil) }
        let cursor: SamplerCursor = try json("cursor")
        let rng: [UInt64] = try json("rng_state")
        guard rng.count == 4 else { throw ModelFileError("\(path): rng_state has \(rng.count) words, expected 4") }
        let state = TrainingState(
            step: try attribute("step", root.intAttribute),
            epoch: try attribute("epoch", root.intAttribute),
            cursor: cursor,
            stepsPerEpoch: try attribute("steps_per_epoch", root.intAttribute),
            worldSize: try attribute("world_size", root.intAttribute),
            rngState: rng,
            generatorAdamSteps: try attribute("generator_adam_steps", root.intAttribute),
            discriminatorAdamSteps: try attribute("discriminator_adam_steps", root.intAttribute),
            dataFingerprint: try optionalText("data_fingerprint"),
            allreducePrecision: try optionalText("allreduce_precision"))
        try check(state, path: path)
        return (configuration, state)
    }

    /// The counters a resume computes with (cursor × steps per epoch, Adam's bias
    /// correction) must be in range: a hand-edited or foreign file is an error
    /// here, not an overflow trap or a NaN later.
    static func check(_ s: TrainingState, path: String) throws {
        func fail(_ what: String) -> ModelFileError { ModelFileError("\(path): \(what)") }
        for (name, value) in [("step", s.step), ("epoch", s.epoch), ("steps_per_epoch", s.stepsPerEpoch),
                              ("generator_adam_steps", s.generatorAdamSteps),
                              ("discriminator_adam_steps", s.discriminatorAdamSteps)] where value < 0 {
            throw fail("attribute '\(name)' is negative (\(value))")
        }
        guard s.worldSize >= 1 else { throw fail("attribute 'world_size' must be at least 1, got \(s.worldSize)") }
        guard s.cursor.epoch >= 0, (0..<s.stepsPerEpoch).contains(s.cursor.stepInEpoch) else {
            throw fail("cursor epoch \(s.cursor.epoch) step \(s.cursor.stepInEpoch) is outside an epoch of \(s.stepsPerEpoch) steps")
        }
    }

    static func jsonText<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
