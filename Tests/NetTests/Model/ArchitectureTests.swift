import XCTest
@testable import Net

/// `Architecture` is the one description the networks are built from and the
/// FLOPs are counted from; these tests hold the built networks, `StepCost` and
/// `LayerBench` to it and to each other, through what the layers record in
/// `LayerTrace` as they run. A layer added to (or dropped from) a network
/// without going through the description, a cost model that counts a layer
/// the step does not run, or a bench that times one: each fails here.
final class ArchitectureTests: XCTestCase {
    static let configs = [ModelConfig(baseWidth: 2, temporal: .lstm, size: 128),
                          ModelConfig(baseWidth: 3, temporal: .none, size: 256)]

    /// The shapes `layer` takes and gives over `frames` frames.
    func shapes(_ layer: Architecture.Layer, frames: Int) -> (input: Shape, output: Shape) {
        (Shape(frames, layer.inChannels, layer.inSide, layer.inSide),
         Shape(frames, layer.outChannels, layer.outSide, layer.outSide))
    }

    /// A real adversarial training step runs exactly the described layers, in
    /// forward order, with the described shapes, and the multiply-adds of all
    /// its passes are what `StepCost` counts.
    func testATrainingStepRunsTheDescribedLayersAtTheCountedCost() throws {
        for config in Self.configs {
            let (batch, time) = (2, 3), frames = 6
            let architecture = Architecture(config)
            var rng = RandomGenerator(seed: 3)
            let trainer = try Pix2PixTrainer(config: config, rng: &rng)
            let L = randomTensor(Shape(frames, 1, config.size, config.size), &rng)
            let ab = randomTensor(Shape(frames, 2, config.size, config.size), &rng, low: -0.5, high: 0.5)
            let trace = LayerTrace.record { _ = trainer.step(L: L, ab: ab, batch: batch, time: time) }

            // Forward passes: G once, then D on real, fake, and fake again for G's update.
            let g = architecture.generatorLayers, d = architecture.discriminatorLayers
            let forwards = trace.filter { $0.pass == .forward }
            guard forwards.map(\.layer) == (g + d + d + d).map(\.name) else {
                XCTFail("\(config): the step ran \(forwards.map(\.layer)), described \((g + d + d + d).map(\.name))")
                continue
            }
            for (entry, layer) in zip(forwards, g + d + d + d) {
                let expected = shapes(layer, frames: frames)
                XCTAssertEqual(entry.input, expected.input, "\(layer.name) at \(config)")
                XCTAssertEqual(entry.output, expected.output, "\(layer.name) at \(config)")
            }
            // Every pass of a layer, forward or backward, costs its described multiply-adds.
            let described = Dictionary(uniqueKeysWithValues: (g + d).map { ($0.name, $0) })
            for entry in trace {
                let layer = try XCTUnwrap(described[entry.layer], "\(entry.layer) ran but is not described")
                XCTAssertEqual(entry.macs, frames * layer.macsPerFrame, "\(entry.layer) \(entry.pass)")
            }
            // The first layer of each network reads data: no input gradient in
            // its own update; D's re-run in G's update has input gradients only.
            func passes(_ name: String, _ pass: LayerTrace.Pass) -> Int {
                trace.filter { $0.layer == name && $0.pass == pass }.count
            }
            XCTAssertEqual(passes(g[0].name, .inputGradient), 0)
            XCTAssertEqual(passes(d[0].name, .inputGradient), 1)
            XCTAssertEqual(passes(d[1].name, .weightGradient), 2)
            XCTAssertEqual(passes(d[1].name, .inputGradient), 3)

            let cost = StepCost(config: config, batch: batch, time: time)
            XCTAssertEqual(2 * Double(trace.reduce(0) { $0 + $1.macs }), cost.trainingStep, "\(config)")

            // Inference: G's forward alone, at StepCost's count.
            trainer.generator.training = false
            let inference = LayerTrace.record { _ = trainer.generator.forward(L: L, batch: batch, time: time) }
            XCTAssertEqual(inference.map(\.layer), g.map(\.name))
            XCTAssertEqual(2 * Double(inference.reduce(0) { $0 + $1.macs }), cost.inference, "\(config)")
        }
    }

    /// The networks hold the tensors of the described levels and no others,
    /// in network order: a layer with weights added outside the description
    /// shows here even if it never runs.
    func testNetworksHoldTheDescribedTensors() throws {
        for config in Self.configs {
            let architecture = Architecture(config)
            func tensors(_ layer: Architecture.Layer) -> [(String, [Int])] {
                let (i, o, k) = (layer.inChannels, layer.outChannels, layer.kernel)
                switch layer.kind {
                case .convolution: return [("\(layer.name).weight", [o, i, k, k])] + (layer.bias ? [("\(layer.name).bias", [o])] : [])
                case .transposedConvolution: return [("\(layer.name).weight", [i, o, k, k])] + (layer.bias ? [("\(layer.name).bias", [o])] : [])
                case .lstm: return [("lstm.weight_ih", [4 * o, i]), ("lstm.weight_hh", [4 * o, o]), ("lstm.bias_ih", [4 * o]), ("lstm.bias_hh", [4 * o])]
                }
            }
            func tensors(_ level: Architecture.Level) -> [(String, [Int])] {
                let c = level.layer.outChannels
                return tensors(level.layer)
                    + (level.norm ? ["weight", "bias", "running_mean", "running_var"].map { ("\(level.name).bn.\($0)", [c]) } : [])
            }
            let generator = architecture.encoder.flatMap(tensors) + (architecture.bottleneck.map(tensors) ?? [])
                + architecture.decoder.flatMap(tensors)
            let discriminator = architecture.discriminator.flatMap(tensors)
            var rng = RandomGenerator(seed: 1)
            let trainer = try Pix2PixTrainer(config: config, rng: &rng)
            for (built, expected) in [(trainer.generator.parameters, generator), (trainer.discriminator.parameters, discriminator)] {
                XCTAssertEqual(built.entries.map(\.name), expected.map(\.0), "\(config)")
                XCTAssertEqual(built.entries.map(\.shape), expected.map(\.1), "\(config)")
            }
        }
    }

    /// `vcolor bench --layers` times every convolution the step runs, at the
    /// step's shapes, and nothing else.
    func testLayerBenchTimesTheConvolutionsOfTheNetworks() throws {
        let config = Self.configs[0]
        var rng = RandomGenerator(seed: 2)
        let trainer = try Pix2PixTrainer(config: config, rng: &rng)
        let L = randomTensor(Shape(2, 1, 128, 128), &rng)
        let networks = LayerTrace.record {
            _ = trainer.discriminator.forward(L: L, ab: trainer.generator.forward(L: L, batch: 1, time: 2))
        }
        var lines: [[(String, BenchValue)]] = []
        let bench = LayerTrace.record { lines = LayerBench.run(config: config, batch: 1, time: 2, repeats: 1) }
        /// The convolutions' forward passes, a layer run again at once (the bench's timed repeats) counted once.
        func convolutions(_ trace: [LayerTrace.Entry]) -> [String] {
            let passes = trace.filter { $0.pass == .forward && $0.layer != Architecture(config).bottleneck?.name }.map { "\($0.layer) \($0.input) → \($0.output)" }
            return passes.indices.filter { $0 == 0 || passes[$0] != passes[$0 - 1] }.map { passes[$0] }
        }
        XCTAssertEqual(convolutions(bench), convolutions(networks))
        XCTAssertEqual(lines.map { $0.first { $0.0 == "layer" }?.1.text }, LayerBench.layers(config).map { "\"\($0.name)\"" })
        XCTAssertEqual(lines.count, convolutions(networks).count)
    }
}
