import XCTest
@testable import Net

/// The networks' tensor names, shapes and counts are part of the contract
/// (docs/format.md §Tensor names: checkpoints, safetensors conversion), so they are spelled out here
/// by hand rather than derived from the code under test.
final class ModelStructureTests: XCTestCase {
    /// names (docs/format.md §Tensor names) with PyTorch shapes for the seed generator (w = 64), in
    /// network order. BN entries expand to weight, bias (trainable) and
    /// running_mean, running_var (buffers).
    static let seedGenerator: [(String, [Int])] = [
        ("down1.conv.weight", [64, 1, 4, 4]),
        ("down2.conv.weight", [128, 64, 4, 4]),
    ] + bn("down2", 128) + [
        ("down3.conv.weight", [256, 128, 4, 4]),
    ] + bn("down3", 256) + [
        ("down4.conv.weight", [512, 256, 4, 4]),
    ] + bn("down4", 512) + [
        ("down5.conv.weight", [512, 512, 4, 4]),
    ] + bn("down5", 512) + [
        ("down6.conv.weight", [512, 512, 4, 4]),
    ] + bn("down6", 512) + [
        ("down7.conv.weight", [512, 512, 4, 4]),
        ("lstm.weight_ih", [2048, 512]),
        ("lstm.weight_hh", [2048, 512]),
        ("lstm.bias_ih", [2048]),
        ("lstm.bias_hh", [2048]),
        ("up7.conv.weight", [512, 512, 4, 4]),
    ] + bn("up7", 512) + [
        ("up6.conv.weight", [1024, 512, 4, 4]),
    ] + bn("up6", 512) + [
        ("up5.conv.weight", [1024, 512, 4, 4]),
    ] + bn("up5", 512) + [
        ("up4.conv.weight", [1024, 256, 4, 4]),
    ] + bn("up4", 256) + [
        ("up3.conv.weight", [512, 128, 4, 4]),
    ] + bn("up3", 128) + [
        ("up2.conv.weight", [256, 64, 4, 4]),
    ] + bn("up2", 64) + [
        ("up1.conv.weight", [128, 2, 4, 4]),
        ("up1.conv.bias", [2]),
    ]

    static let seedDiscriminator: [(String, [Int])] = [
        ("layer1.conv.weight", [64, 3, 4, 4]),
    ] + bn("layer1", 64) + [
        ("layer2.conv.weight", [128, 64, 4, 4]),
    ] + bn("layer2", 128) + [
        ("layer3.conv.weight", [256, 128, 4, 4]),
    ] + bn("layer3", 256) + [
        ("head.weight", [1, 256, 4, 4]),
        ("head.bias", [1]),
    ]

    static func bn(_ prefix: String, _ c: Int) -> [(String, [Int])] {
        [("\(prefix).bn.weight", [c]), ("\(prefix).bn.bias", [c]),
         ("\(prefix).bn.running_mean", [c]), ("\(prefix).bn.running_var", [c])]
    }

    // Counted by hand from the tables of docs/model.md (4×4 kernels, so 16 per in×out pair):
    //   encoder convs 16·(1·64 + 64·128 + 128·256 + 256·512 + 3·512·512)   = 15,336,448
    //   LSTM 2·(2048·512) + 2·2048                                         =  2,101,248
    //   decoder convs 16·(512·512 + 2·1024·512 + 1024·256 + 512·128
    //                     + 256·64 + 128·2)                                = 26,480,640
    //   up1 bias                                                           =          2
    //   BN γ, β: 2·(128 + 256 + 512·3) + 2·(512·3 + 256 + 128 + 64)        =      7,808
    // trainable total                                                        43,926,146
    // buffers (running mean, var), the same channels as the BN γ, β:            7,808
    static let seedGeneratorTrainable = 43_926_146
    static let seedGeneratorBuffers = 7_808
    // D: 16·(3·64 + 64·128 + 128·256 + 256·1) + 1 + 2·(64 + 128 + 256)         663,425
    static let seedDiscriminatorTrainable = 663_425
    static let seedDiscriminatorBuffers = 896

    /// Building the seed model draws 44 M normals (~3 s), so the tests share one.
    static let seedModel: Generator = {
        var rng = RandomGenerator(seed: 7)
        return try! Generator(config: ModelConfig(), rng: &rng)
    }()

    func testSeedGeneratorNamesShapesAndCount() throws {
        let g = Self.seedModel
        XCTAssertEqual(g.parameters.entries.map(\.name), Self.seedGenerator.map(\.0))
        for (p, (name, shape)) in zip(g.parameters.entries, Self.seedGenerator) {
            XCTAssertEqual(p.shape, shape, name)
            XCTAssertEqual(p.kind == .buffer, name.hasSuffix("running_mean") || name.hasSuffix("running_var"), name)
        }
        XCTAssertEqual(g.parameters.trainableCount, Self.seedGeneratorTrainable)
        XCTAssertEqual(g.parameters.bufferCount, Self.seedGeneratorBuffers)
    }

    func testSeedDiscriminatorNamesShapesAndCount() throws {
        var rng = RandomGenerator(seed: 1)
        let d = try Discriminator(config: ModelConfig(), rng: &rng)
        XCTAssertEqual(d.parameters.entries.map(\.name), Self.seedDiscriminator.map(\.0))
        for (p, (name, shape)) in zip(d.parameters.entries, Self.seedDiscriminator) {
            XCTAssertEqual(p.shape, shape, name)
        }
        XCTAssertEqual(d.parameters.trainableCount, Self.seedDiscriminatorTrainable)
        XCTAssertEqual(d.parameters.bufferCount, Self.seedDiscriminatorBuffers)
    }

    func testNoTemporalVariantHasNoLSTMTensors() throws {
        var rng = RandomGenerator(seed: 1)
        let g = try Generator(config: ModelConfig(temporal: .none), rng: &rng)
        let expected = Self.seedGenerator.filter { !$0.0.hasPrefix("lstm.") }
        XCTAssertEqual(g.parameters.entries.map(\.name), expected.map(\.0))
        XCTAssertEqual(g.parameters.trainableCount, Self.seedGeneratorTrainable - 2_101_248)
    }

    /// docs/model.md §Initialisation: conv weights N(0, 0.02), BN γ N(1, 0.02), β 0,
    /// running mean 0 / var 1, LSTM U(±1/√H), up1's bias 0. Checked on sample
    /// statistics of the seed model, with bounds several standard errors wide.
    func testInitialisation() throws {
        let g = Self.seedModel
        func stats(_ name: String) -> (mean: Double, std: Double, maxAbs: Float) {
            let v = g.parameters[name]!.values
            let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
            let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)
            return (mean, variance.squareRoot(), v.map { abs($0) }.max()!)
        }
        let conv = stats("up6.conv.weight")
        XCTAssertEqual(conv.mean, 0, accuracy: 1e-4)
        XCTAssertEqual(conv.std, 0.02, accuracy: 1e-4)
        let gamma = stats("down4.bn.weight")
        XCTAssertEqual(gamma.mean, 1, accuracy: 0.005)
        XCTAssertEqual(gamma.std, 0.02, accuracy: 0.004)
        XCTAssertEqual(stats("down4.bn.bias").maxAbs, 0)
        XCTAssertEqual(stats("down4.bn.running_mean").maxAbs, 0)
        XCTAssertTrue(g.parameters["down4.bn.running_var"]!.values.allSatisfy { $0 == 1 })
        XCTAssertEqual(stats("up1.conv.bias").maxAbs, 0)
        let bound = 1 / Float(512).squareRoot()
        for name in ["lstm.weight_ih", "lstm.weight_hh", "lstm.bias_ih", "lstm.bias_hh"] {
            let s = stats(name)
            XCTAssertLessThanOrEqual(s.maxAbs, bound, name)
            XCTAssertGreaterThan(s.maxAbs, 0.95 * bound, name)
            XCTAssertEqual(s.std, Double(bound) / 3.0.squareRoot(), accuracy: 0.05 * Double(bound), name)
        }
    }

    /// Output shapes at 128 and 256 (bottleneck 1×1 and 2×2), tiny width so it is quick.
    func testOutputShapes() throws {
        for size in [128, 256] {
            for temporal in ModelConfig.Temporal.allCases {
                var rng = RandomGenerator(seed: 2)
                let config = ModelConfig(baseWidth: 2, temporal: temporal, size: size)
                let g = try Generator(config: config, rng: &rng)
                let d = try Discriminator(config: config, rng: &rng)
                let L = randomTensor(Shape(2 * 3, 1, size, size), &rng)
                let ab = g.forward(L: L, batch: 2, time: 3)
                XCTAssertEqual(ab.shape, Shape(6, 2, size, size))
                XCTAssertTrue(ab.buffer.allSatisfy { $0.isFinite && abs($0) <= 1 })
                XCTAssertEqual(d.forward(L: L, ab: ab).shape, Shape(6, 1, size / 8 - 1, size / 8 - 1))
            }
        }
    }

    func testConfigValidationAndCoding() throws {
        XCTAssertNoThrow(try ModelConfig().validate())
        XCTAssertNoThrow(try ModelConfig(size: 384).validate())
        let cases: [(ModelConfig, String)] = [
            (ModelConfig(size: 200), "frame size must be a positive multiple of 128, got 200"),
            (ModelConfig(size: 0), "frame size must be a positive multiple of 128, got 0"),
            (ModelConfig(size: 128 << 40), "frame size must be at most 8192, got \(128 << 40)"),
            (ModelConfig(baseWidth: 0), "base width must be at least 1, got 0"),
            (ModelConfig(baseWidth: 1 << 40), "base width must be at most 1024, got \(1 << 40)"),
            (ModelConfig(lambdaL1: -1), "lambdaL1 must be a finite number ≥ 0, got -1.0"),
            (ModelConfig(learningRate: 0), "learning rate must be a finite number > 0, got 0.0"),
            (ModelConfig(learningRate: .nan), "learning rate must be a finite number > 0, got nan"),
            (ModelConfig(beta1: .nan), "beta1 must be in [0, 1), got nan"),
            (ModelConfig(beta2: 1), "beta2 must be in [0, 1), got 1.0"),
            (ModelConfig(ganWeight: -0.5), "GAN weight must be a finite number ≥ 0, got -0.5"),
            (ModelConfig(ganWeight: .infinity), "GAN weight must be a finite number ≥ 0, got inf"),
            (ModelConfig(noganSteps: -1), "GAN-free warm-up steps must not be negative, got -1"),
            (ModelConfig(warmupSteps: -2), "learning-rate warm-up steps must not be negative, got -2"),
            (ModelConfig(emaDecay: -0.1), "EMA decay must be in [0, 1) (0 for no average), got -0.1"),
        ]
        for (bad, message) in cases {
            XCTAssertThrowsError(try bad.validate()) { XCTAssertEqual(String(describing: $0), message) }
        }
        var rng = RandomGenerator(seed: 1)
        XCTAssertThrowsError(try Generator(config: ModelConfig(size: 100), rng: &rng)) { error in
            XCTAssertEqual(String(describing: error), "frame size must be a positive multiple of 128, got 100")
        }
        let config = ModelConfig(baseWidth: 32, temporal: .none, size: 256)
        let json = try JSONEncoder().encode(config)
        XCTAssertTrue(String(decoding: json, as: UTF8.self).contains("\"temporal\":\"none\""))
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: json), config)
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: Data("{}".utf8)), ModelConfig())
        // The recipe fields round-trip; JSON written before they existed is the seed recipe.
        let recipe = ModelConfig(baseWidth: 8, ganWeight: 0.25, noganSteps: 100, warmupSteps: 20, emaDecay: 0.99)
        XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: try JSONEncoder().encode(recipe)), recipe)
        let older = try JSONDecoder().decode(ModelConfig.self, from: Data(#"{"baseWidth":8,"lambdaL1":100}"#.utf8))
        XCTAssertEqual(older.ganWeight, 1)
        XCTAssertEqual(older.noganSteps, 0)
        XCTAssertEqual(older.warmupSteps, 0)
        XCTAssertEqual(older.emaDecay, 0)
        XCTAssertThrowsError(try JSONDecoder().decode(ModelConfig.self, from: Data(#"{"temporal":"gru"}"#.utf8)))
    }
}

final class StepCostTests: XCTestCase {
    /// The seed step's count, reconciled by hand with the ~429 GFLOP reference
    /// (see StepCost's comment for the breakdown).
    func testSeedStepFlops() {
        let cost = StepCost(config: ModelConfig(), batch: 4, time: 8)
        XCTAssertEqual(cost.trainingStep, 428_760_629_248)
        XCTAssertEqual(cost.inference, 95_428_804_608)
        // Without the LSTM, three passes of its 0.134 GFLOP forward disappear.
        let none = StepCost(config: ModelConfig(temporal: .none), batch: 4, time: 8)
        XCTAssertEqual(cost.trainingStep - none.trainingStep, 3 * 134_217_728)
        // At 256² every conv costs four times as much; the LSTM runs at 4 positions.
        let big = StepCost(config: ModelConfig(size: 256), batch: 4, time: 8)
        XCTAssertEqual(big.trainingStep, 4 * cost.trainingStep, accuracy: 0.01 * cost.trainingStep)
    }
}

final class ModelWiringTests: XCTestCase {
    /// The sync-BN reducer and the training flag reach every BatchNorm layer
    /// (G has 11: down2…down6, up7…up2; D has 3), and the step calls each
    /// gradient hook once, with its own network's parameters.
    func testBatchNormReducerTrainingFlagAndHooks() throws {
        var rng = RandomGenerator(seed: 4)
        let config = ModelConfig(baseWidth: 2, temporal: .lstm, size: 128)
        let trainer = try Pix2PixTrainer(config: config, rng: &rng)
        let g = trainer.generator, d = trainer.discriminator
        XCTAssertEqual(g.batchNorms.count, 11)
        var calls = 0
        let count: (UnsafeMutableBufferPointer<Double>) -> Void = { _ in calls += 1 }
        g.setBatchNormReducer(count)
        d.setBatchNormReducer(count)

        let L = randomTensor(Shape(2, 1, 128, 128), &rng)
        let ab = randomTensor(Shape(2, 2, 128, 128), &rng, low: -0.5, high: 0.5)
        let trained = g.forward(L: L, batch: 1, time: 2).toArray()
        XCTAssertEqual(calls, 11, "one statistics reduction per G BatchNorm forward")
        _ = d.forward(L: L, ab: ab)
        XCTAssertEqual(calls, 14, "one per D BatchNorm forward")

        // Evaluation uses running statistics: nothing to reduce, and a different output.
        g.training = false
        XCTAssertTrue(g.batchNorms.allSatisfy { !$0.training })
        calls = 0
        let evaluated = g.forward(L: L, batch: 1, time: 2).toArray()
        XCTAssertEqual(calls, 0)
        XCTAssertNotEqual(trained, evaluated)

        g.setBatchNormReducer(nil)
        d.setBatchNormReducer(nil)
        var hooks: [String] = []
        trainer.discriminatorGradientsReady = { hooks.append($0 === d.parameters ? "D" : "?") }
        trainer.generatorGradientsReady = { hooks.append($0 === g.parameters ? "G" : "?") }
        let losses = trainer.step(L: L, ab: ab, batch: 1, time: 2)
        XCTAssertEqual(hooks, ["D", "G"])
        XCTAssertTrue(g.training, "the step trains")
        XCTAssertTrue(losses.discriminator.isFinite && losses.generatorGAN.isFinite && losses.generatorL1.isFinite)
    }
}
