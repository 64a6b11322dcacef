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
    }
}
