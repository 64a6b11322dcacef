import XCTest
@testable import Net

/// Values and finite-difference gradients of the element-wise activations LeakyReLU, ReLU and Tanh.
final class ActivationTests: XCTestCase {
    /// Inputs kept away from 0 by more than the probe step, so the kink of
    /// (Leaky)ReLU never lies between x − h and x + h.
    private func inputAwayFromZero(_ shape: Shape, _ rng: inout RandomGenerator) -> Tensor {
        let x = randomTensor(shape, &rng)
        for i in 0..<x.count where abs(x.data[i]) < 0.05 { x.data[i] = x.data[i] < 0 ? -0.3 : 0.3 }
        return x
    }

    private func checkElementwise(_ forward: (Tensor) -> Tensor, _ backward: (Tensor) -> Tensor,
                                  name: String, x: Tensor, rng: inout RandomGenerator) {
        let y = forward(x)
        let r = randomArray(y.count, &rng)
        let dx = backward(Tensor(y.shape, r)).toArray()
        let report = GradientCheck(step: 1e-2, tolerance: 1e-2, probes: 60).check(
            name: name, values: x.data, count: x.count, analytic: dx, rng: &rng) {
            projectedSum(forward(x), r)
        }
        XCTAssertGradientOK(report)
    }

    func testLeakyReLUValuesAndGradient() {
        var rng = RandomGenerator(seed: 11)
        let layer = LeakyReLU(slope: 0.2)
        let x = Tensor(Shape(1, 4), [-2, -0.5, 0, 3])
        XCTAssertEqual(layer.forward(x).toArray(), [-0.4, -0.1, 0, 3])
        // PyTorch's derivative at 0 is the slope (x > 0 ? 1 : slope).
        XCTAssertEqual(layer.backward(Tensor(Shape(1, 4), [1, 1, 1, 1])).toArray(), [0.2, 0.2, 0.2, 1])
        checkElementwise(layer.forward, layer.backward(_:), name: "leaky.x",
                         x: inputAwayFromZero(Shape(2, 3, 5, 4), &rng), rng: &rng)
    }

    func testReLUValuesAndGradient() {
        var rng = RandomGenerator(seed: 12)
        let layer = ReLU()
        let x = Tensor(Shape(1, 4), [-2, -0.5, 0, 3])
        XCTAssertEqual(layer.forward(x).toArray(), [0, 0, 0, 3])
        XCTAssertEqual(layer.backward(Tensor(Shape(1, 4), [1, 1, 1, 1])).toArray(), [0, 0, 0, 1])
        checkElementwise(layer.forward, layer.backward(_:), name: "relu.x",
                         x: inputAwayFromZero(Shape(2, 3, 5, 4), &rng), rng: &rng)
    }

    func testTanhValuesAndGradient() {
        var rng = RandomGenerator(seed: 13)
        let layer = Tanh()
        let x = Tensor(Shape(1, 3), [-1, 0, 2])
        let y = layer.forward(x).toArray()
        XCTAssertEqual(y[0], Float(tanh(-1.0)), accuracy: 1e-6)
        XCTAssertEqual(y[1], 0)
        XCTAssertEqual(y[2], Float(tanh(2.0)), accuracy: 1e-6)
        checkElementwise(layer.forward, layer.backward, name: "tanh.x",
                         x: randomTensor(Shape(2, 3, 5, 4), &rng, low: -2, high: 2), rng: &rng)
    }

    /// `backward(inPlace:)` gives `backward`'s values, written over `dy` and
    /// returned as `dy` itself; `backward` leaves `dy` alone. Large enough for
    /// the two-thread path.
    func testInPlaceBackwardMatchesBackward() {
        var rng = RandomGenerator(seed: 16)
        let x = randomTensor(Shape(4, 16, 64, 64), &rng, low: -3, high: 3)
        let dy = randomTensor(x.shape, &rng)
        let original = dy.toArray()
        ComputeThreads.set(2)
        defer { ComputeThreads.set(1) }
        func check(_ forward: (Tensor) -> Tensor, _ backward: (Tensor) -> Tensor, _ inPlace: (Tensor) -> Tensor) {
            _ = forward(x)
            let expected = backward(dy).toArray()
            XCTAssertEqual(dy.toArray(), original, "backward leaves dy alone")
            XCTAssertNotEqual(expected, original, "the test needs a gradient that differs from dy")
            let copy = Tensor(dy.shape, original)
            XCTAssertTrue(inPlace(copy) === copy)
            XCTAssertEqual(copy.toArray(), expected)
        }
        let leaky = LeakyReLU(slope: 0.2), relu = ReLU()
        check(leaky.forward, leaky.backward(_:), leaky.backward(inPlace:))
        check(relu.forward, relu.backward(_:), relu.backward(inPlace:))
    }

    /// A large tensor goes through the multi-threaded path and must give the same result.
    func testElementwiseLayersAgreeAcrossThreadCounts() {
        var rng = RandomGenerator(seed: 14)
        let x = randomTensor(Shape(4, 16, 64, 64), &rng, low: -3, high: 3)
        let dy = randomTensor(x.shape, &rng)
        func run() -> [[Float]] {
            let l = LeakyReLU(), r = ReLU(), t = Tanh()
            return [l.forward(x).toArray(), l.backward(dy).toArray(),
                    r.forward(x).toArray(), r.backward(dy).toArray(),
                    t.forward(x).toArray(), t.backward(dy).toArray()]
        }
        XCTAssertSameOnOneAndTwoThreads(run)
    }
}
