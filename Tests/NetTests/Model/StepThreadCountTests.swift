import XCTest
@testable import Net

/// The whole training step (both networks, the LSTM, BatchNorm, both Adams)
/// gives the same bits on one and two threads, so a run, its resume and its
/// replicas never depend on `--threads`. Base width 16 at 128² makes the
/// larger GEMMs big enough to be cut into tiles (asserted below).
final class StepThreadCountTests: XCTestCase {
    func testTrainingStepIsTheSameOnOneAndTwoThreads() throws {
        let config = ModelConfig(baseWidth: 16, temporal: .lstm, size: 128)
        // down2's weight gradient: [32, 256] += dY [32, 1024] · colsᵀ.
        XCTAssertGreaterThan(GemmTiling(m: 32, n: 1024, k: 256).tiles, 1, "some GEMMs of the step are tiled")
        func twoSteps() -> StepResult {
            var rng = RandomGenerator(seed: 21)
            let trainer = try! Pix2PixTrainer(config: config, rng: &rng)
            let L = randomTensor(Shape(4, 1, 128, 128), &rng)
            let ab = randomTensor(Shape(4, 2, 128, 128), &rng, low: -0.5, high: 0.5)
            var losses: [StepLosses] = []
            for i in 0..<2 { losses.append(trainer.step(L: L, ab: ab, batch: 2, time: 2, index: i)) }
            return StepResult(losses: losses, generator: Array(trainer.generator.parameters.values),
                              discriminator: Array(trainer.discriminator.parameters.values))
        }
        defer { ComputeThreads.set(1) }
        ComputeThreads.set(1)
        let one = twoSteps()
        ComputeThreads.set(2)
        let two = twoSteps()
        XCTAssertEqual(one.losses, two.losses, "losses, one thread vs two")
        // Arrays of 10⁵–10⁶ weights: name the first difference rather than print them.
        XCTAssertNil(one.generator.indices.first { one.generator[$0] != two.generator[$0] }, "G's weights, one thread vs two")
        XCTAssertNil(one.discriminator.indices.first { one.discriminator[$0] != two.discriminator[$0] }, "D's weights, one thread vs two")
        XCTAssertNotEqual(one.generator, Array(repeating: 0, count: one.generator.count))
    }

    private struct StepResult: Equatable {
        var losses: [StepLosses]
        var generator: [Float]
        var discriminator: [Float]
    }
}
