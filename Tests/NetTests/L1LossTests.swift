import XCTest
@testable import Net

final class L1LossTests: XCTestCase {
    func testL1ValueAndSignOfZero() {
        let loss = L1Loss()
        let p = Tensor(Shape(1, 4), [1, -2, 0.5, 3])
        let t = Tensor(Shape(1, 4), [0, 1, 0.5, 3.5])
        XCTAssertEqual(loss.forward(p, t), (1 + 3 + 0 + 0.5) / 4, accuracy: 1e-7)
        XCTAssertEqual(loss.backward(scale: 100).toArray(), [25, -25, 0, -25])
    }

    func testL1Gradient() {
        var rng = RandomGenerator(seed: 42)
        let loss = L1Loss()
        let p = randomTensor(Shape(2, 2, 4, 4), &rng)
        let t = randomTensor(p.shape, &rng)
        // Keep |p − t| above the probe step so no probe straddles the kink.
        for i in 0..<p.count where abs(p.data[i] - t.data[i]) < 0.05 { t.data[i] = p.data[i] + 0.3 }
        _ = loss.forward(p, t)
        let analytic = loss.backward(scale: 7).toArray()
        let report = GradientCheck(probes: 64).check(name: "l1.prediction", values: p.data, count: p.count,
                                                     analytic: analytic, rng: &rng) {
            7 * Double(loss.forward(p, t))
        }
        XCTAssertGradientOK(report)
    }
}
