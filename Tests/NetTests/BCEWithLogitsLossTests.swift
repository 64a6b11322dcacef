import XCTest
@testable import Net

final class BCEWithLogitsLossTests: XCTestCase {
    func testBCEWithLogitsValuesIncludingExtremeLogits() {
        let loss = BCEWithLogitsLoss()
        let x = Tensor(Shape(1, 6), [-3, -0.5, 0, 0.7, 4, 100])
        for target: Float in [0, 1] {
            var expected = 0.0
            for v in x.toArray().prefix(5) {
                let s = 1 / (1 + exp(-Double(v)))
                expected -= Double(target) * log(s) + (1 - Double(target)) * log(1 - s)
            }
            // Logit 100: the naive form overflows; the loss is 100·(1 − t) to double precision.
            expected += 100 * (1 - Double(target))
            XCTAssertEqual(Double(loss.forward(x, target: target)), expected / 6, accuracy: 1e-6)
        }
        let big = Tensor(Shape(1, 2), [-200, 200])
        XCTAssertEqual(loss.forward(big, target: 1), 100, accuracy: 1e-4)
        let g = loss.backward().toArray()
        XCTAssertEqual(g[0], -0.5, accuracy: 1e-7)
        XCTAssertEqual(g[1], 0, accuracy: 1e-7)
    }

    func testBCEWithLogitsGradient() {
        var rng = RandomGenerator(seed: 41)
        let loss = BCEWithLogitsLoss()
        let x = randomTensor(Shape(2, 1, 3, 3), &rng, low: -4, high: 4)
        for (target, scale) in [(Float(1), Float(1)), (0, 2.5)] {
            _ = loss.forward(x, target: target)
            let analytic = loss.backward(scale: scale).toArray()
            let report = GradientCheck(step: 1e-2, tolerance: 1e-2, probes: 40).check(
                name: "bce(t=\(target))", values: x.data, count: x.count, analytic: analytic, rng: &rng) {
                Double(scale) * Double(loss.forward(x, target: target))
            }
            XCTAssertGradientOK(report)
        }
    }
}
