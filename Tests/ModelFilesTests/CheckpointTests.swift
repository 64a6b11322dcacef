import Foundation
import HDF5Kit
import Net
import TestSupport
import XCTest
@testable import ModelFiles

/// Checkpoint I/O: bit-exact round trips, damaged files rejected with one
/// clear error, temporaries and broken files never taken as "newest".
final class CheckpointTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = try makeScratchDirectory()
    }

    /// A small network with the kinds of tensors the model has: a conv-like
    /// weight, a transposed-conv-like one, a bias and BN buffers.
    func makeNetwork(seed: UInt64, widen: Bool = false, extra: Bool = false) -> (ParameterSet, Adam) {
        let p = ParameterSet()
        p.declare("down1.conv.weight", shape: [4, 1, 4, 4], initializer: .normal(mean: 0, std: 0.02))
        p.declare("down2.bn.weight", shape: [widen ? 5 : 4], initializer: .normal(mean: 1, std: 0.02))
        p.declare("down2.bn.bias", shape: [4], initializer: .zeros)
        p.declare("down2.bn.running_mean", shape: [4], kind: .buffer, initializer: .normal(mean: 0, std: 1))
        p.declare("down2.bn.running_var", shape: [4], kind: .buffer, initializer: .uniform(low: 0.5, high: 2))
        p.declare("up1.conv.weight", shape: [8, 2, 4, 4], initializer: .normal(mean: 0, std: 0.02))
        p.declare("up1.conv.bias", shape: [2], initializer: .uniform(low: -1, high: 1))
        if extra { p.declare("lstm.weight_ih", shape: [16, 4], initializer: .zeros) }
        p.finalize()
        var rng = RandomGenerator(seed: seed)
        p.initialize(using: &rng)
        let adam = Adam(parameters: p)
        // Two steps with random gradients so m, v and the step count are non-trivial.
        for _ in 0..<2 {
            for i in p.grads.indices { p.grads[i] = rng.nextNormal() }
            adam.step()
        }
        return (p, adam)
    }

    func state(step: Int) -> TrainingState {
        TrainingState(step: step, epoch: 3, cursor: SamplerCursor(epoch: 3, stepInEpoch: 7), stepsPerEpoch: 11,
                      worldSize: 2, rngState: [1, UInt64.max, 0x1234_5678_9abc_def0, 42],
                      generatorAdamSteps: 2, discriminatorAdamSteps: 2)
    }

    let configuration = #"{"batch":4,"model":{"baseWidth":64,"temporal":"lstm"}}"#

    func weights(_ g: (ParameterSet, Adam), _ d: (ParameterSet, Adam)?) -> ModelWeights {
        ModelWeights(generator: g.0, discriminator: d?.0)
    }

    func optimizers(_ g: (ParameterSet, Adam), _ d: (ParameterSet, Adam)) -> Optimizers {
        Optimizers(generator: g.1, discriminator: d.1)
    }

    /// A run's checkpoint: both networks, their Adam moments and `state`.
    func write(_ g: (ParameterSet, Adam), _ d: (ParameterSet, Adam), state: TrainingState, to path: String) throws {
        try Checkpoint.write(weights(g, d), configuration: configuration, training: (state, optimizers(g, d)), to: path)
    }

    /// Restores `g` and `d` (weights and optimisers) from the run's checkpoint at `path`.
    @discardableResult
    func restore(_ path: String, _ g: (ParameterSet, Adam), _ d: (ParameterSet, Adam)) throws -> TrainingState {
        try ModelFile.open(path).restore(weights(g, d), optimizers: optimizers(g, d))
    }

    /// `--init`'s load: weights only, the format told by content.
    @discardableResult
    func loadWeights(_ path: String, _ g: ParameterSet, _ d: ParameterSet?) throws -> Bool {
        try ModelFile.open(sniffing: path).loadWeights(ModelWeights(generator: g, discriminator: d))
    }

    func readState(_ path: String) throws -> TrainingState? { try ModelFile.open(path).training }

    func bits(_ b: UnsafeMutableBufferPointer<Float>) -> [UInt32] { b.map(\.bitPattern) }

    func testRoundTripIsBitExact() throws {
        let g = makeNetwork(seed: 1), d = makeNetwork(seed: 2)
        let path = CheckpointDirectory(path: directory).path(step: 12)
        try write(g, d, state: state(step: 12), to: path)

        let g2 = makeNetwork(seed: 3), d2 = makeNetwork(seed: 4)
        g2.1.stepCount = 0
        d2.1.stepCount = 0
        let restored = try restore(path, g2, d2)
        XCTAssertEqual(restored, state(step: 12))
        for (a, b) in [(g, g2), (d, d2)] {
            XCTAssertEqual(bits(a.0.values), bits(b.0.values))
            XCTAssertEqual(bits(a.0.bufferValues), bits(b.0.bufferValues))
            XCTAssertEqual(bits(a.1.m), bits(b.1.m))
            XCTAssertEqual(bits(a.1.v), bits(b.1.v))
            XCTAssertEqual(b.1.stepCount, 2)
        }
        XCTAssertNotEqual(bits(g.0.values), bits(d.0.values), "the two networks must be told apart")
        XCTAssertEqual(try readState(path), state(step: 12))
        XCTAssertEqual(try ModelFile.open(path).storedConfiguration, configuration)

        // The temporary is gone and only the final name is left.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["step-00000012.h5"])
    }

    func testWeightsOnlyLoadLeavesOptimiserAlone() throws {
        let g = makeNetwork(seed: 1), d = makeNetwork(seed: 2)
        let path = (directory as NSString).appendingPathComponent("w.h5")
        try write(g, d, state: state(step: 1), to: path)
        let g2 = makeNetwork(seed: 5)
        let mBefore = bits(g2.1.m)
        try loadWeights(path, g2.0, nil)
        XCTAssertEqual(bits(g.0.values), bits(g2.0.values))
        XCTAssertEqual(bits(g.0.bufferValues), bits(g2.0.bufferValues))
        XCTAssertEqual(bits(g2.1.m), mBefore)

        // A weights-only file has no training state and cannot resume.
        let weightsOnly = (directory as NSString).appendingPathComponent("only.h5")
        try Checkpoint.write(weights(g, d), configuration: configuration, to: weightsOnly)
        XCTAssertNil(try readState(weightsOnly))
        XCTAssertThrowsError(try restore(weightsOnly, makeNetwork(seed: 6), makeNetwork(seed: 7))) {
            XCTAssertEqual(String(describing: $0), "\(weightsOnly) holds weights only (no /optimizer group): "
                           + "it cannot resume a run; use --init to start from it")
        }
    }

    func testMismatchedModelListsOffenders() throws {
        let g = makeNetwork(seed: 1), d = makeNetwork(seed: 2)
        let path = (directory as NSString).appendingPathComponent("c.h5")
        try write(g, d, state: state(step: 1), to: path)
        let other = makeNetwork(seed: 3, widen: true, extra: true)
        let before = bits(other.0.values)
        XCTAssertThrowsError(try loadWeights(path, other.0, nil)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.hasPrefix("\(path) does not match the model (2 problems): "), text)
            XCTAssertTrue(text.contains("/generator/down2.bn.weight has shape [4], the model needs [5]"), text)
            XCTAssertTrue(text.contains("/generator/lstm.weight_ih is missing"), text)
            XCTAssertFalse(text.contains("\n"))
        }
        XCTAssertEqual(bits(other.0.values), before, "nothing may be loaded from a mismatched file")

        // And the other way round: a tensor in the file the model lacks.
        let bigger = makeNetwork(seed: 1, extra: true)
        let path2 = (directory as NSString).appendingPathComponent("c2.h5")
        try Checkpoint.write(weights(bigger, nil), configuration: configuration, to: path2)
        XCTAssertThrowsError(try loadWeights(path2, makeNetwork(seed: 1).0, nil)) {
            XCTAssertTrue(String(describing: $0).contains("/generator/lstm.weight_ih is not in the model"), "\($0)")
        }
    }

    func testTruncatedCheckpointIsRejected() throws {
        let g = makeNetwork(seed: 1), d = makeNetwork(seed: 2)
        let path = (directory as NSString).appendingPathComponent("t.h5")
        try write(g, d, state: state(step: 1), to: path)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        XCTAssertEqual(truncate(path, off_t(size / 2)), 0)
        XCTAssertThrowsError(try restore(path, makeNetwork(seed: 3), makeNetwork(seed: 4))) {
            let text = String(describing: $0)
            XCTAssertTrue(text.hasPrefix(path), text)
            XCTAssertTrue(text.contains("not a readable checkpoint"), text)
        }
    }

    func testFlippedBitInTensorDataIsRejected() throws {
        let g = makeNetwork(seed: 1), d = makeNetwork(seed: 2)
        // A recognisable value to find in the file.
        let marker: Float = 1234.5678
        for i in 0..<16 { g.0["down1.conv.weight"]!.values[i] = marker }
        let path = (directory as NSString).appendingPathComponent("f.h5")
        try write(g, d, state: state(step: 1), to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let pattern = withUnsafeBytes(of: marker.bitPattern.littleEndian) { Array($0) }
        let run = pattern + pattern + pattern + pattern
        let at = try XCTUnwrap((0...(bytes.count - run.count)).first { bytes[$0..<$0 + run.count].elementsEqual(run) })
        bytes[at + 5] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try restore(path, makeNetwork(seed: 3), makeNetwork(seed: 4))) {
            let text = String(describing: $0)
            XCTAssertTrue(text.contains("/generator/down1.conv.weight: corrupt checkpoint"), text)
        }
    }

    func testOutOfRangeStateIsRejected() throws {
        let g = makeNetwork(seed: 1), d = makeNetwork(seed: 2)
        let path = CheckpointDirectory(path: directory).path(step: 12)
        var cases: [(TrainingState, String)] = []
        var s = state(step: 12)
        s.cursor.stepInEpoch = Int.max
        cases.append((s, "cursor epoch 3 step \(Int.max) is outside an epoch of 11 steps"))
        s = state(step: 12)
        s.stepsPerEpoch = 0
        cases.append((s, "cursor epoch 3 step 7 is outside an epoch of 0 steps"))
        s = state(step: -1)
        cases.append((s, "attribute 'step' is negative (-1)"))
        s = state(step: 12)
        s.worldSize = 0
        cases.append((s, "attribute 'world_size' must be at least 1, got 0"))
        s = state(step: 12)
        s.generatorAdamSteps = -2
        cases.append((s, "attribute 'generator_adam_steps' is negative (-2)"))
        for (bad, message) in cases {
            try write(g, d, state: bad, to: path)
            XCTAssertThrowsError(try readState(path)) { error in
                XCTAssertEqual(String(describing: error), "\(path): \(message)")
            }
        }
        // A weights-only file stores the empty position of docs/format.md (version 1
        // requires every attribute) and reads back as no training state at all.
        try Checkpoint.write(weights(g, d), configuration: configuration, to: path)
        XCTAssertNil(try readState(path))
        let file = try HDF5File.open(path)
        defer { try? file.close() }
        let root = file.root
        for (name, value) in [("step", 0), ("epoch", 0), ("steps_per_epoch", 0), ("world_size", 1),
                              ("generator_adam_steps", 0), ("discriminator_adam_steps", 0)] {
            XCTAssertEqual(try root.intAttribute(name), value, name)
        }
        XCTAssertEqual(try JSONDecoder().decode(SamplerCursor.self, from: Data(try root.stringAttribute("cursor").utf8)),
                       SamplerCursor(epoch: 0, stepInEpoch: 0))
        XCTAssertFalse(root.exists("optimizer"))
    }

    func testUnwritablePlacesAreNamedWithTheReason() throws {
        let g = makeNetwork(seed: 1), d = makeNetwork(seed: 2)
        let missing = (directory as NSString).appendingPathComponent("no-such-folder/step-00000001.h5")
        XCTAssertThrowsError(try write(g, d, state: state(step: 1), to: missing)) {
            XCTAssertEqual(String(describing: $0), "\(missing): cannot write (No such file or directory)")
        }
        let file = (directory as NSString).appendingPathComponent("a-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        XCTAssertThrowsError(try CheckpointDirectory(run: file).create()) {
            XCTAssertEqual(String(describing: $0), "\(file)/checkpoints: cannot create the checkpoint directory (\(file) is a file)")
        }
        try CheckpointDirectory(run: (directory as NSString).appendingPathComponent("new/run")).create()
        XCTAssertTrue(FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("new/run/checkpoints")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), ["a-file", "new"])
    }

    func testNotACheckpoint() throws {
        let garbage = (directory as NSString).appendingPathComponent("g.h5")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try readState(garbage)) {
            XCTAssertTrue(String(describing: $0).contains("not a readable checkpoint: not an HDF5 file"), "\($0)")
        }
        XCTAssertThrowsError(try readState((directory as NSString).appendingPathComponent("none.h5"))) {
            XCTAssertTrue(String(describing: $0).contains("no such model file"), "\($0)")
        }
    }

    func testNewestCompleteIgnoresTemporariesAndBrokenFiles() throws {
        let dir = CheckpointDirectory(path: directory)
        XCTAssertNil(dir.newestComplete())
        let g = makeNetwork(seed: 1), d = makeNetwork(seed: 2)
        for step in [3, 5] { try write(g, d, state: state(step: step), to: dir.path(step: step)) }
        // A writer that died mid-file, a newer final name that is garbage, and an unrelated file.
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: directory + "/.step-00000009.h5.tmp-123"))
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: dir.path(step: 10)))
        try Data().write(to: URL(fileURLWithPath: directory + "/step-latest.h5"))

        let newest = try XCTUnwrap(dir.newestComplete())
        XCTAssertEqual(newest.step, 5)
        XCTAssertEqual(newest.state.step, 5)
        XCTAssertEqual(newest.skipped.count, 1)
        XCTAssertTrue(newest.skipped[0].contains("step-00000010.h5"), newest.skipped[0])

        XCTAssertEqual(dir.removeStaleTemporaries().count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/.step-00000009.h5.tmp-123"))

        XCTAssertEqual(dir.prune(keep: 2).map { ($0 as NSString).lastPathComponent }, ["step-00000003.h5"])
        XCTAssertEqual(dir.checkpoints().map(\.step), [5, 10])
    }

    func testFileNames() {
        XCTAssertEqual(CheckpointDirectory.fileName(step: 42), "step-00000042.h5")
        XCTAssertEqual(CheckpointDirectory.step(ofFileName: "step-00000042.h5"), 42)
        XCTAssertEqual(CheckpointDirectory.step(ofFileName: "step-123456789.h5"), 123_456_789)
        XCTAssertNil(CheckpointDirectory.step(ofFileName: ".step-00000042.h5.tmp-9"))
        XCTAssertNil(CheckpointDirectory.step(ofFileName: "step-42.h5"))
        XCTAssertNil(CheckpointDirectory.step(ofFileName: "step-0000004x.h5"))
    }
}

extension CheckpointTests {
    /// A discriminator-like set whose names do not overlap the generator's (as in docs/format.md §Tensor names).
    func makeDiscriminator(seed: UInt64) -> (ParameterSet, Adam) {
        let p = ParameterSet()
        p.declare("layer1.conv.weight", shape: [4, 3, 4, 4], initializer: .normal(mean: 0, std: 0.02))
        p.declare("layer1.bn.running_mean", shape: [4], kind: .buffer, initializer: .normal(mean: 0, std: 1))
        p.declare("head.bias", shape: [1], initializer: .uniform(low: -1, high: 1))
        p.finalize()
        var rng = RandomGenerator(seed: seed)
        p.initialize(using: &rng)
        return (p, Adam(parameters: p))
    }

    func testWeightsFromSafeTensors() throws {
        let g = makeNetwork(seed: 1)
        let path = (directory as NSString).appendingPathComponent("g.safetensors")
        try SafeTensors.write(g.0.entries.map { ($0.name, $0.shape, UnsafeBufferPointer($0.values)) }, to: URL(fileURLWithPath: path))
        let g2 = makeNetwork(seed: 2), d2 = makeDiscriminator(seed: 3)
        let dBefore = bits(d2.0.values)
        XCTAssertFalse(try loadWeights(path, g2.0, d2.0), "a generator-only file leaves D alone")
        XCTAssertEqual(bits(g.0.values), bits(g2.0.values))
        XCTAssertEqual(bits(g.0.bufferValues), bits(g2.0.bufferValues))
        XCTAssertEqual(bits(d2.0.values), dBefore)

        let wider = makeNetwork(seed: 4, widen: true)
        XCTAssertThrowsError(try loadWeights(path, wider.0, nil)) {
            XCTAssertTrue(String(describing: $0).contains("): down2.bn.weight has shape [4], the model needs [5]"), "\($0)")
        }
        // Both networks in one file (`convert --what all`).
        let d = makeDiscriminator(seed: 7)
        let all = (directory as NSString).appendingPathComponent("all.safetensors")
        try SafeTensors.write((g.0.entries + d.0.entries).map { ($0.name, $0.shape, UnsafeBufferPointer($0.values)) },
                              to: URL(fileURLWithPath: all))
        XCTAssertTrue(try loadWeights(all, g2.0, d2.0))
        XCTAssertEqual(bits(d.0.values), bits(d2.0.values))
        XCTAssertEqual(bits(d.0.bufferValues), bits(d2.0.bufferValues))
        XCTAssertFalse(try loadWeights(all, g2.0, nil))

        let garbage = (directory as NSString).appendingPathComponent("x.safetensors")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try loadWeights(garbage, g2.0, nil)) {
            XCTAssertTrue(String(describing: $0).contains("neither an HDF5 checkpoint nor a readable safetensors file"), "\($0)")
        }
    }

    func testWeightsFromCheckpointWithoutDiscriminator() throws {
        let g = makeNetwork(seed: 1)
        let path = (directory as NSString).appendingPathComponent("g.h5")
        try Checkpoint.write(weights(g, nil), configuration: configuration, to: path)
        let g2 = makeNetwork(seed: 2), d2 = makeDiscriminator(seed: 3)
        XCTAssertFalse(try loadWeights(path, g2.0, d2.0))
        XCTAssertEqual(bits(g.0.values), bits(g2.0.values))
    }
}

extension CheckpointTests {
    /// The optional `/ema/generator` group: stored and read back like any other,
    /// and the generator a checkpoint is loaded as for colorize, eval and convert.
    func testAveragedGeneratorIsTheModelWhenPresent() throws {
        let config = ModelConfig(baseWidth: 2, temporal: .lstm, size: 128)
        var rng = RandomGenerator(seed: 8)
        let g = try Generator(config: config, rng: &rng)
        let average = ExponentialMovingAverage(parameters: g.parameters, decay: 0.5)
        average.update()
        for i in 0..<g.parameters.values.count { g.parameters.values[i] += 1 }
        for i in 0..<g.parameters.bufferValues.count { g.parameters.bufferValues[i] = Float(i) * 0.25 }
        average.update()
        XCTAssertTrue(bits(g.parameters.values) != bits(average.values))
        XCTAssertTrue(bits(g.parameters.bufferValues) != bits(average.buffers))
        let path = (directory as NSString).appendingPathComponent("ema.h5")
        try Checkpoint.write(ModelWeights(generator: g.parameters, discriminator: nil, generatorAverage: average),
                             configuration: ModelConfigJSON.text(config), to: path)

        let model = try ModelFile.load(path)
        withExtendedLifetime(model) {
            XCTAssertTrue(bits(model.generator.parameters.values) == bits(average.values))
            XCTAssertTrue(bits(model.generator.parameters.bufferValues) == bits(average.buffers))
        }

        // `--init` reads /generator; asked for, the average comes back too, started.
        let g2 = try Generator(config: config, rng: &rng)
        let average2 = ExponentialMovingAverage(parameters: g2.parameters, decay: 0.5)
        try ModelFile.open(path).loadWeights(ModelWeights(generator: g2.parameters, discriminator: nil,
                                                          generatorAverage: average2))
        XCTAssertTrue(bits(g2.parameters.values) == bits(g.parameters.values))
        XCTAssertTrue(bits(g2.parameters.bufferValues) == bits(g.parameters.bufferValues))
        XCTAssertTrue(bits(average2.values) == bits(average.values))
        XCTAssertTrue(bits(average2.buffers) == bits(average.buffers))
        XCTAssertTrue(average2.isStarted)

        // Without the group, the model is /generator.
        let plain = (directory as NSString).appendingPathComponent("plain.h5")
        try Checkpoint.write(ModelWeights(generator: g.parameters, discriminator: nil),
                             configuration: ModelConfigJSON.text(config), to: plain)
        let plainModel = try ModelFile.load(plain)
        withExtendedLifetime(plainModel) { XCTAssertTrue(bits(plainModel.generator.parameters.values) == bits(g.parameters.values)) }
        XCTAssertFalse(try ModelFile.open(plain).has(.generatorAverage))
    }
}
