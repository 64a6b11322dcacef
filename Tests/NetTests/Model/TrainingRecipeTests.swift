import XCTest
@testable import Net

/// The recipe options of `ModelConfig` as the step applies them: the
/// GAN-free warm-up, the weight of the adversarial term, the learning-rate
/// warm-up. Each is checked against what the step must equal by definition.
final class TrainingRecipeTests: XCTestCase {
    /// A tiny model and batch, the same for every trainer built from `config`.
    private func make(_ config: ModelConfig) throws -> (Pix2PixTrainer, Tensor, Tensor) {
        var rng = RandomGenerator(seed: 11)
        let trainer = try Pix2PixTrainer(config: config, rng: &rng)
        let L = randomTensor(Shape(2, 1, 128, 128), &rng)
        let ab = randomTensor(Shape(2, 2, 128, 128), &rng, low: -0.5, high: 0.5)
        return (trainer, L, ab)
    }

    /// G's gradient of one step, captured before its Adam update.
    private func generatorGradient(_ config: ModelConfig, index: Int = 0) throws -> (grads: [Float], losses: StepLosses, trainer: Pix2PixTrainer) {
        let (trainer, L, ab) = try make(config)
        var grads: [Float] = []
        trainer.generatorGradientsReady = { grads = Array($0.grads) }
        let losses = trainer.step(L: L, ab: ab, batch: 1, time: 2, index: index)
        return (grads, losses, trainer)
    }

    /// In a GAN-free step D is neither run nor trained, and G's gradient is that
    /// of λ · L1 alone: the same as a step whose GAN weight is 0.
    func testGANFreeStepTrainsGeneratorOnL1Alone() throws {
        let base = ModelConfig(baseWidth: 2, temporal: .lstm, size: 128)
        var warm = base
        warm.noganSteps = 3
        let (trainer, L, ab) = try make(warm)
        let dBefore = Array(trainer.discriminator.parameters.values)
        var hooks: [String] = []
        trainer.discriminatorGradientsReady = { _ in hooks.append("D") }
        trainer.generatorGradientsReady = { _ in hooks.append("G") }
        let gBefore = Array(trainer.generator.parameters.values)
        let losses = trainer.step(L: L, ab: ab, batch: 1, time: 2, index: 2)
        XCTAssertEqual(hooks, ["G"], "D's gradients are not averaged in a GAN-free step")
        XCTAssertEqual(Array(trainer.discriminator.parameters.values), dBefore, "D untouched")
        XCTAssertEqual(trainer.discriminatorOptimizer.stepCount, 0)
        XCTAssertEqual(trainer.generatorOptimizer.stepCount, 1)
        XCTAssertNotEqual(Array(trainer.generator.parameters.values), gBefore, "G trained")
        XCTAssertEqual(losses.discriminator, 0)
        XCTAssertEqual(losses.generatorGAN, 0)
        XCTAssertGreaterThan(losses.generatorL1, 0)

        // The warm-up ends at step index noganSteps: that step is adversarial.
        hooks = []
        _ = trainer.step(L: L, ab: ab, batch: 1, time: 2, index: 3)
        XCTAssertEqual(hooks, ["D", "G"])
        XCTAssertEqual(trainer.discriminatorOptimizer.stepCount, 1)

        var noGAN = base
        noGAN.ganWeight = 0
        let warmGrad = try generatorGradient(warm, index: 0)
        let zeroGrad = try generatorGradient(noGAN, index: 0)
        XCTAssertEqual(warmGrad.grads, zeroGrad.grads, "warm-up step = GAN weight 0")
        XCTAssertEqual(warmGrad.losses, zeroGrad.losses)
    }

    /// D's update does not depend on the GAN weight w, so G's gradient is
    /// `w · A + λ · L1'` for one A: the gradient at w = 3 is 3 × the one at
    /// w = 1 minus 2 × the L1-only one.
    func testGANWeightScalesTheAdversarialGradient() throws {
        let base = ModelConfig(baseWidth: 2, temporal: .none, size: 128)
        var three = base
        three.ganWeight = 3
        var l1Only = base
        l1Only.ganWeight = 0
        let g1 = try generatorGradient(base).grads
        let g3 = try generatorGradient(three).grads
        let gL = try generatorGradient(l1Only).grads
        XCTAssertEqual(g1.count, g3.count)
        var worst = 0.0, scale = 0.0
        for i in g1.indices {
            let expected = 3 * Double(g1[i]) - 2 * Double(gL[i])
            worst = max(worst, abs(Double(g3[i]) - expected))
            scale = max(scale, abs(expected))
        }
        XCTAssertGreaterThan(scale, 0)
        // Three float32 gradients summed in another order: a few ulps of the largest.
        XCTAssertLessThan(worst, 1e-5 * scale, "w = 3 against 3·(w = 1) − 2·(L1 only)")
        XCTAssertNotEqual(g1, gL, "the adversarial part is not zero")
    }

    /// Linear warm-up: step i (0-based) runs at lr · (i + 1) / warmupSteps, then lr.
    func testLearningRateWarmUp() throws {
        var config = ModelConfig(baseWidth: 2, temporal: .none, size: 128, learningRate: 4e-4)
        config.warmupSteps = 4
        XCTAssertEqual((0..<6).map { config.warmupFactor(step: $0) }, [0.25, 0.5, 0.75, 1, nil, nil])
        XCTAssertNil(ModelConfig().warmupFactor(step: 0), "no warm-up by default")
        let (trainer, L, ab) = try make(config)
        _ = trainer.step(L: L, ab: ab, batch: 1, time: 2, index: 1)
        XCTAssertEqual(trainer.generatorOptimizer.learningRate, 2e-4)
        XCTAssertEqual(trainer.discriminatorOptimizer.learningRate, 2e-4)
        _ = trainer.step(L: L, ab: ab, batch: 1, time: 2, index: 2)
        XCTAssertEqual(trainer.generatorOptimizer.learningRate, 3e-4, accuracy: 1e-11)
        _ = trainer.step(L: L, ab: ab, batch: 1, time: 2, index: 9)
        XCTAssertEqual(trainer.generatorOptimizer.learningRate, 4e-4)
        XCTAssertEqual(trainer.discriminatorOptimizer.learningRate, 4e-4)

        // A scale (the trainer's --lr-scaling) multiplies the rate, warm-up or not.
        trainer.learningRateScale = 2.0.squareRoot()
        _ = trainer.step(L: L, ab: ab, batch: 1, time: 2, index: 0)
        XCTAssertEqual(trainer.generatorOptimizer.learningRate, Float(4e-4 * 2.0.squareRoot() * 0.25))
        _ = trainer.step(L: L, ab: ab, batch: 1, time: 2, index: 7)
        XCTAssertEqual(trainer.generatorOptimizer.learningRate, Float(4e-4 * 2.0.squareRoot()))
        XCTAssertEqual(trainer.discriminatorOptimizer.learningRate, Float(4e-4 * 2.0.squareRoot()))
    }
}

/// `Pix2PixTrainer.step` with several micro-batches (`--accumulate`): what a
/// micro-batch contributes, and that the step allocates nothing once warm.
final class AccumulatedStepTests: XCTestCase {
    private func make(seed: UInt64 = 11) throws -> Pix2PixTrainer {
        var rng = RandomGenerator(seed: seed)
        return try Pix2PixTrainer(config: ModelConfig(baseWidth: 2, temporal: .lstm, size: 128), rng: &rng)
    }

    /// Two clips of two frames: L and ab of both, and of each alone.
    private func clips() -> (L: Tensor, ab: Tensor, each: [(Tensor, Tensor)]) {
        var rng = RandomGenerator(seed: 5)
        let L = randomTensor(Shape(4, 1, 128, 128), &rng)
        let ab = randomTensor(Shape(4, 2, 128, 128), &rng, low: -0.5, high: 0.5)
        let plane = 128 * 128
        let each = (0..<2).map { k in
            (Tensor(Shape(2, 1, 128, 128), Array(L.toArray()[(k * 2 * plane)..<((k + 1) * 2 * plane)])),
             Tensor(Shape(2, 2, 128, 128), Array(ab.toArray()[(k * 4 * plane)..<((k + 1) * 4 * plane)])))
        }
        return (L, ab, each)
    }

    /// G's running statistics move once per micro-batch, from the step's
    /// starting values, and end on the mean: what two ranks holding one clip
    /// each leave after the per-step all-reduce (sum in Double, × ½).
    /// D's gradient of the first phase is the mean of the two clips' gradients.
    func testMicroBatchesActAsRanks() throws {
        let (L, ab, each) = clips()
        let accumulated = try make()
        var dGradient: [Float] = []
        accumulated.discriminatorGradientsReady = { dGradient = Array($0.grads) }
        let losses = accumulated.step(L: L, ab: ab, batch: 1, time: 2, microBatches: 2)

        var runningStatistics: [[Float]] = [], dGradients: [[Float]] = [], alone: [StepLosses] = []
        for (l, a) in each {
            let rank = try make()
            rank.discriminatorGradientsReady = { dGradients.append(Array($0.grads)) }
            alone.append(rank.step(L: l, ab: a, batch: 1, time: 2))
            runningStatistics.append(Array(rank.generator.parameters.bufferValues))
        }
        let expected = zip(runningStatistics[0], runningStatistics[1]).map { Float((Double($0) + Double($1)) * 0.5) }
        XCTAssertEqual(Array(accumulated.generator.parameters.bufferValues), expected)
        XCTAssertNotEqual(runningStatistics[0], runningStatistics[1], "the clips tell the statistics apart")

        var worst = 0.0, scale = 0.0
        for i in dGradient.indices {
            let mean = (Double(dGradients[0][i]) + Double(dGradients[1][i])) / 2
            worst = max(worst, abs(Double(dGradient[i]) - mean))
            scale = max(scale, abs(mean))
        }
        XCTAssertGreaterThan(scale, 0)
        XCTAssertLessThan(worst, 1e-5 * scale, "D's gradient: the mean of the micro-batches'")
        // Two micro-batches of B = 1 are not one batch of B = 2 (BatchNorm statistics per micro-batch).
        let whole = try make()
        var wholeGradient: [Float] = []
        whole.discriminatorGradientsReady = { wholeGradient = Array($0.grads) }
        _ = whole.step(L: L, ab: ab, batch: 2, time: 2)
        let apart = zip(wholeGradient, dGradient).map { abs(Double($0) - Double($1)) }.max()!
        XCTAssertGreaterThan(apart, 1e-3 * scale, "the test cannot tell micro-batches from one batch")
        XCTAssertEqual(Double(losses.discriminator), Double(alone[0].discriminator + alone[1].discriminator) / 2,
                       accuracy: 1e-6)
    }

    /// An accumulated step keeps no more on the heap than a plain step: windows
    /// of four steps alternate between one batch of two clips and two
    /// micro-batches of one, after both are warm. (Alone, both windows are 0
    /// bytes; in the full suite's process both grow by about 1 KB, the
    /// runtime's or other tests' threads, so the bound is relative: 256 bytes
    /// over 12 steps, less than one object kept per step.)
    func testWarmAccumulatedStepsAllocateNoMoreThanPlainSteps() throws {
        let (L, ab, _) = clips()
        let trainer = try make()
        try assertWarmStepsAllocateNoMoreThanPlain("accumulated") { k in
            for i in 0..<4 { _ = trainer.step(L: L, ab: ab, batch: 2 / k, time: 2, index: i, microBatches: k) }
        }
    }

    /// As above, for `--reproducible`'s share-ordered steps (one process, K = 2)
    /// against plain steps of another trainer.
    func testWarmReproducibleStepsAllocateNoMoreThanPlainSteps() throws {
        let (L, ab, _) = clips()
        let plain = try make(), reproducible = try makeReproducible(microBatches: 2)
        try assertWarmStepsAllocateNoMoreThanPlain("reproducible") { k in
            let trainer = k == 1 ? plain : reproducible
            for i in 0..<4 { _ = trainer.step(L: L, ab: ab, batch: 2 / k, time: 2, index: i, microBatches: k) }
        }
    }

    /// `steps(1)` runs plain steps, `steps(2)` the kind tested; after two
    /// warm-up rounds, three rounds of each are measured on the heap.
    private func assertWarmStepsAllocateNoMoreThanPlain(_ kind: String, _ steps: (Int) -> Void) throws {
        for _ in 0..<2 { steps(1); steps(2) }
        var growth = [1: 0, 2: 0]
        for _ in 0..<3 {
            for k in [1, 2] {
                let before = try XCTUnwrap(HeapUsage.inUseBytes())
                steps(k)
                // Only growth counts: another thread's free during a window (7 KB
                // once, in the full suite) must not make the plain steps' share negative.
                growth[k]! += max(0, try XCTUnwrap(HeapUsage.inUseBytes()) - before)
            }
        }
        XCTAssertLessThan(growth[2]!, growth[1]! + 256, "heap growth over 12 steps, plain and \(kind): \(growth)")
    }

    private func makeReproducible(microBatches: Int) throws -> Pix2PixTrainer {
        let trainer = try make()
        trainer.reproduction = ShareOrderedReduction(generator: trainer.generator.parameters,
                                                     discriminator: trainer.discriminator.parameters,
                                                     ranks: 1, rank: 0, microBatches: microBatches, gather: nil)
        return trainer
    }

    /// `--reproducible` in one process: D's gradient of two micro-batches is
    /// exactly (g₀ + g₁) × ½ of each micro-batch's own reproducible step, and
    /// D's loss the mean in Double. Adam's first moment after one step from 0
    /// is β₁·0 + (1 − β₁)·g = g/2 exactly (β₁ = ½), so it shows the gradient.
    func testReproducibleStepAddsMicroBatchGradientsInShareOrder() throws {
        let (L, ab, each) = clips()
        let both = try makeReproducible(microBatches: 2)
        let losses = both.step(L: L, ab: ab, batch: 1, time: 2, microBatches: 2)
        var gradients: [[Float]] = [], alone: [Float] = []
        for (l, a) in each {
            let share = try makeReproducible(microBatches: 1)
            alone.append(share.step(L: l, ab: a, batch: 1, time: 2).discriminator)
            gradients.append(share.discriminatorOptimizer.m.map { 2 * $0 })
        }
        let expected = zip(gradients[0], gradients[1]).map { g0, g1 in 0.5 * ((g0 + g1) * 0.5) }
        XCTAssertNotEqual(gradients[0], gradients[1], "the clips tell the gradients apart")
        XCTAssertEqual(Array(both.discriminatorOptimizer.m), expected)
        XCTAssertEqual(losses.discriminator, Float((Double(alone[0]) + Double(alone[1])) * 0.5))
    }
}
