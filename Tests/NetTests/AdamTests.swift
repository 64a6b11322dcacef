import XCTest
@testable import Net

final class AdamTests: XCTestCase {
    private let initial: [Float] = [0.5, -1.0, 2.0, 0.0, 1e-3, 3.0]
    private let gradients: [[Float]] = [[0.3, -2.0, 1e-4, 0.0, 5.0, 0.0],
                                        [-0.1, -1.0, 2e-4, 0.0, -5.0, 1.0],
                                        [0.2, 0.5, -1e-4, 0.0, 0.0, 0.0]]

    /// Two tensors in one flat set, so the update runs over the whole buffer.
    private func makeSet() -> ParameterSet {
        let set = ParameterSet()
        set.declare("a", shape: [4], initializer: .zeros)
        set.declare("b", shape: [2], initializer: .zeros)
        set.finalize()
        for i in 0..<initial.count { set.values[i] = initial[i] }
        return set
    }

    private func run(_ adam: Adam, _ set: ParameterSet, _ grads: [[Float]]) {
        for g in grads {
            for i in 0..<g.count { set.grads[i] = g[i] }
            adam.step()
        }
    }

    /// Three steps against the update formula evaluated in Double.
    func testThreeStepsMatchTheFormulaInDouble() {
        let set = makeSet()
        let adam = Adam(parameters: set, learningRate: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8)
        run(adam, set, gradients)
        XCTAssertEqual(adam.stepCount, 3)
        let (lr, b1, b2, eps) = (2e-4, 0.5, 0.999, 1e-8)
        var p = initial.map(Double.init), m = [Double](repeating: 0, count: 6), v = m
        for (k, g) in gradients.enumerated() {
            let t = Double(k + 1)
            for i in 0..<6 {
                let gi = Double(g[i])
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let denom = v[i].squareRoot() / (1 - pow(b2, t)).squareRoot() + eps
                p[i] -= lr / (1 - pow(b1, t)) * m[i] / denom
            }
        }
        for i in 0..<6 {
            XCTAssertEqual(Double(set.values[i]), p[i], accuracy: 1e-7 * max(1, abs(p[i])), "p[\(i)]")
            XCTAssertEqual(Double(adam.m[i]), m[i], accuracy: 1e-7 * max(1e-3, abs(m[i])), "m[\(i)]")
            XCTAssertEqual(Double(adam.v[i]), v[i], accuracy: 1e-6 * max(1e-9, abs(v[i])), "v[\(i)]")
        }
        // Element 3 never had a gradient: untouched. Element 5's gradient was zero
        // at step 3, yet its momentum still moves it.
        XCTAssertEqual(set.values[3], 0)
        XCTAssertLessThan(Double(set.values[5]), 3.0 - 2e-4)
    }

    /// The same three steps as torch.optim.Adam (torch 2.x, lr 2e-4, betas (0.5, 0.999),
    /// eps 1e-8), values printed by a one-off script with /work/venv/bin/python.
    /// Measured: every value bit-identical except p[4], one ulp apart.
    func testThreeStepsMatchPyTorch() {
        let set = makeSet()
        let adam = Adam(parameters: set)
        run(adam, set, gradients)
        let torchP: [Float] = [0.49965110421180725, -0.999588131904602, 1.999569058418274, 0.0,
                               0.0009016681578941643, 2.9997124671936035]
        let torchM: [Float] = [0.11249999701976776, -0.25, 1.2500000593718141e-05, 0.0, -0.625, 0.25]
        let torchV: [Float] = [0.00013981011579744518, 0.005241004284471273, 5.994001128772908e-11, 0.0,
                               0.049925029277801514, 0.000999000039882958]
        for i in 0..<6 {
            XCTAssertEqual(set.values[i], torchP[i], accuracy: 2 * torchP[i].ulp + 1e-12, "p[\(i)]")
            XCTAssertEqual(adam.m[i], torchM[i], accuracy: 2 * torchM[i].ulp, "m[\(i)]")
            XCTAssertEqual(adam.v[i], torchV[i], accuracy: 2 * torchV[i].ulp, "v[\(i)]")
        }
    }

    /// Zero gradients from the start: nothing moves (m = 0, so the step is 0/eps = 0).
    func testZeroGradientLeavesParametersUnchanged() {
        let set = makeSet()
        let adam = Adam(parameters: set)
        run(adam, set, [[Float](repeating: 0, count: 6), [Float](repeating: 0, count: 6)])
        XCTAssertEqual(Array(set.values), initial)
        XCTAssertEqual(Array(adam.m), [Float](repeating: 0, count: 6))
        XCTAssertEqual(Array(adam.v), [Float](repeating: 0, count: 6))
        XCTAssertEqual(adam.stepCount, 2)
    }

    /// A resumed optimiser (moments and step count restored) continues identically.
    func testRestoredStateContinuesTheSameTrajectory() {
        let setA = makeSet(), setB = makeSet()
        let a = Adam(parameters: setA), b = Adam(parameters: setB)
        run(a, setA, Array(gradients.prefix(2)))
        run(b, setB, Array(gradients.prefix(2)))
        let resumed = Adam(parameters: setB)
        _ = resumed.m.update(fromContentsOf: b.m)
        _ = resumed.v.update(fromContentsOf: b.v)
        resumed.stepCount = b.stepCount
        run(a, setA, [gradients[2]])
        run(resumed, setB, [gradients[2]])
        XCTAssertEqual(Array(setA.values), Array(setB.values))
    }
}
