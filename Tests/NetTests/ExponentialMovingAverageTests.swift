import XCTest
@testable import Net

/// `ExponentialMovingAverage` against the average computed directly, and the
/// swap that lets validation run on it.
final class ExponentialMovingAverageTests: XCTestCase {
    /// A set of two trainable tensors and one buffer.
    func makeSet() -> ParameterSet {
        let set = ParameterSet()
        set.declare("w", shape: [3, 5], initializer: .zeros)
        set.declare("running", shape: [4], kind: .buffer, initializer: .zeros)
        set.declare("b", shape: [7], initializer: .zeros)
        set.finalize()
        return set
    }

    /// After updates from values p₁…pₙ the average is p₁ then d·a + (1 − d)·pₖ:
    /// here computed in Double and compared with a tolerance of a few Float ulps.
    func testAverageEqualsTheDirectComputation() {
        let set = makeSet(), decay: Float = 0.9
        let ema = ExponentialMovingAverage(parameters: set, decay: decay)
        var rng = RandomGenerator(seed: 3)
        var direct = [Double](repeating: 0, count: set.trainableCount)
        var directBuffers = [Double](repeating: 0, count: set.bufferCount)
        for k in 0..<25 {
            for i in 0..<set.values.count { set.values[i] = 4 * rng.nextUniform() - 2 }
            for i in 0..<set.bufferValues.count { set.bufferValues[i] = 3 * rng.nextUniform() }
            ema.update()
            for i in direct.indices {
                direct[i] = k == 0 ? Double(set.values[i]) : Double(decay) * direct[i] + (1 - Double(decay)) * Double(set.values[i])
            }
            for i in directBuffers.indices {
                directBuffers[i] = k == 0 ? Double(set.bufferValues[i])
                    : Double(decay) * directBuffers[i] + (1 - Double(decay)) * Double(set.bufferValues[i])
            }
            if k == 0 {
                XCTAssertEqual(Array(ema.values), Array(set.values), "the first update copies")
                XCTAssertEqual(Array(ema.buffers), Array(set.bufferValues))
            }
        }
        for i in direct.indices { XCTAssertEqual(Double(ema.values[i]), direct[i], accuracy: 2e-6, "value \(i)") }
        for i in directBuffers.indices { XCTAssertEqual(Double(ema.buffers[i]), directBuffers[i], accuracy: 2e-6, "buffer \(i)") }
        XCTAssertNotEqual(Array(ema.values), Array(set.values), "the average is not the last values")
    }

    /// `withAverage` puts the average in the network and the network's own
    /// values back afterwards, bit for bit, even when the body throws.
    func testSwapIsExactAndUndone() throws {
        let set = makeSet()
        let ema = ExponentialMovingAverage(parameters: set, decay: 0.5)
        for i in 0..<set.values.count { set.values[i] = Float(i) }
        ema.update()
        for i in 0..<set.values.count { set.values[i] = Float(i) * 3 + 0.1 }
        for i in 0..<set.bufferValues.count { set.bufferValues[i] = Float(i) - 9 }
        ema.update()
        let own = Array(set.values), ownBuffers = Array(set.bufferValues)
        let average = Array(ema.values), averageBuffers = Array(ema.buffers)
        ema.withAverage {
            XCTAssertEqual(Array(set.values), average)
            XCTAssertEqual(Array(set.bufferValues), averageBuffers)
            XCTAssertEqual(set["w"]!.values[4], 0.5 * 4 + 0.5 * (4 * 3 + 0.1), accuracy: 1e-5)
        }
        XCTAssertEqual(Array(set.values), own)
        XCTAssertEqual(Array(set.bufferValues), ownBuffers)
        XCTAssertEqual(Array(ema.values), average)
        struct Boom: Error {}
        XCTAssertThrowsError(try ema.withAverage { throw Boom() })
        XCTAssertEqual(Array(set.values), own)
        XCTAssertFalse(ema.isSwappedIn)
    }

    /// In a trainer the average follows G after each step: with decay d after
    /// steps giving weights w₁, w₂, it is d·w₁ + (1 − d)·w₂; evaluation weights
    /// are the average, training weights untouched.
    func testTrainerKeepsTheGeneratorsAverage() throws {
        var rng = RandomGenerator(seed: 5)
        let config = ModelConfig(baseWidth: 2, temporal: .lstm, size: 128, emaDecay: 0.75)
        let trainer = try Pix2PixTrainer(config: config, rng: &rng)
        XCTAssertNil(try Pix2PixTrainer(config: ModelConfig(baseWidth: 2), rng: &rng).generatorAverage)
        let average = try XCTUnwrap(trainer.generatorAverage)
        let L = randomTensor(Shape(2, 1, 128, 128), &rng)
        let ab = randomTensor(Shape(2, 2, 128, 128), &rng, low: -0.5, high: 0.5)
        let G = trainer.generator.parameters
        _ = trainer.step(L: L, ab: ab, batch: 1, time: 2, index: 0)
        average.update()
        let w1 = Array(G.values)
        _ = trainer.step(L: L, ab: ab, batch: 1, time: 2, index: 1)
        average.update()
        let w2 = Array(G.values)
        XCTAssertNotEqual(w1, w2)
        trainer.withEvaluationWeights {
            for i in stride(from: 0, to: w1.count, by: 97) {
                XCTAssertEqual(Double(G.values[i]), 0.75 * Double(w1[i]) + 0.25 * Double(w2[i]),
                               accuracy: 1e-6 * max(1, Double(abs(w1[i]))), "value \(i)")
            }
        }
        XCTAssertEqual(Array(G.values), w2)
    }
}
