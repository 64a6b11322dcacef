import XCTest
@testable import Net

final class LSTMTests: XCTestCase {
    private var sets: [ParameterSet] = []

    private func makeLSTM(input: Int, hidden: Int, seed: UInt64) -> (LSTM, ParameterSet) {
        let set = ParameterSet()
        let lstm = LSTM("lstm", input: input, hidden: hidden, parameters: set)
        set.finalize()
        var rng = RandomGenerator(seed: seed)
        set.initialize(using: &rng)
        sets.append(set)
        return (lstm, set)
    }

    /// The PyTorch cell written out per sequence in Double: an independent
    /// reference for the layer's GEMM-and-transpose formulation.
    private func reference(_ lstm: LSTM, _ x: Tensor, batch: Int, time: Int) -> [Double] {
        let I = lstm.inputSize, H = lstm.hiddenSize, P = x.shape.plane
        let wih = lstm.weightIH.value!, whh = lstm.weightHH.value!, bih = lstm.biasIH.value!, bhh = lstm.biasHH.value!
        func sig(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        var y = [Double](repeating: 0, count: batch * time * H * P)
        for b in 0..<batch {
            for p in 0..<P {
                var h = [Double](repeating: 0, count: H), c = [Double](repeating: 0, count: H)
                for t in 0..<time {
                    let n = b * time + t
                    var a = [Double](repeating: 0, count: 4 * H)
                    for k in 0..<(4 * H) {
                        var s = Double(bih[k]) + Double(bhh[k])
                        for i in 0..<I { s += Double(wih[k * I + i]) * Double(x.data[(n * I + i) * P + p]) }
                        for j in 0..<H { s += Double(whh[k * H + j]) * h[j] }
                        a[k] = s
                    }
                    for j in 0..<H {
                        let ig = sig(a[j]), fg = sig(a[H + j]), gg = tanh(a[2 * H + j]), og = sig(a[3 * H + j])
                        c[j] = fg * c[j] + ig * gg
                        h[j] = og * tanh(c[j])
                        y[(n * H + j) * P + p] = h[j]
                    }
                }
            }
        }
        return y
    }

    func testInitializationIsUniformWithinOneOverRootH() {
        let (lstm, set) = makeLSTM(input: 5, hidden: 16, seed: 30)
        XCTAssertEqual(set.entries.map(\.name), ["lstm.weight_ih", "lstm.weight_hh", "lstm.bias_ih", "lstm.bias_hh"])
        XCTAssertEqual(lstm.weightIH.shape, [64, 5])
        XCTAssertEqual(lstm.weightHH.shape, [64, 16])
        let values = Array(set.values)
        XCTAssertLessThanOrEqual(values.map(abs).max()!, 0.25)
        XCTAssertGreaterThan(values.map(abs).max()!, 0.2)
    }

    func testForwardMatchesPerSequenceReference() {
        var rng = RandomGenerator(seed: 31)
        let (lstm, _) = makeLSTM(input: 3, hidden: 5, seed: 32)
        for (batch, time, h, w) in [(2, 4, 1, 3), (3, 5, 1, 1), (1, 2, 2, 2)] {
            let x = randomTensor(Shape(batch * time, 3, h, w), &rng, low: -2, high: 2)
            let y = lstm.forward(x, batch: batch, time: time)
            XCTAssertEqual(y.shape, Shape(batch * time, 5, h, w))
            let expected = reference(lstm, x, batch: batch, time: time)
            for i in 0..<expected.count { XCTAssertEqual(Double(y.data[i]), expected[i], accuracy: 1e-5) }
        }
    }

    /// Changing one sequence's input at step t changes that sequence from t on
    /// and nothing else: no leakage across batch entries, positions, or backwards in time.
    func testSequencesAreIndependentAndCausal() {
        var rng = RandomGenerator(seed: 33)
        let (lstm, _) = makeLSTM(input: 3, hidden: 4, seed: 34)
        let batch = 3, time = 4, P = 2, H = 4
        let x = randomTensor(Shape(batch * time, 3, 1, P), &rng)
        let before = lstm.forward(x, batch: batch, time: time).toArray()
        let (bChanged, pChanged, tChanged) = (1, 1, 2)
        for i in 0..<3 { x.data[((bChanged * time + tChanged) * 3 + i) * P + pChanged] += 0.7 }
        let after = lstm.forward(x, batch: batch, time: time).toArray()
        for b in 0..<batch {
            for t in 0..<time {
                for p in 0..<P {
                    let same = !(b == bChanged && p == pChanged && t >= tChanged)
                    for j in 0..<H {
                        let i = (((b * time + t) * H) + j) * P + p
                        if same {
                            XCTAssertEqual(after[i], before[i], "b \(b) t \(t) p \(p) j \(j)")
                        } else {
                            XCTAssertNotEqual(after[i], before[i], "b \(b) t \(t) p \(p) j \(j)")
                        }
                    }
                }
            }
        }
    }

    /// Full BPTT against central differences: input and all four parameter tensors,
    /// over 4 steps, batch 2, 3 positions, I ≠ H.
    func testGradients() {
        var rng = RandomGenerator(seed: 35)
        let (lstm, set) = makeLSTM(input: 3, hidden: 5, seed: 36)
        // Larger weights than the default init, so the gates saturate partly and
        // the recurrent path carries real gradient.
        for i in 0..<set.values.count { set.values[i] *= 3 }
        let batch = 2, time = 4
        let x = randomTensor(Shape(batch * time, 3, 1, 3), &rng, low: -1.5, high: 1.5)
        let y = lstm.forward(x, batch: batch, time: time)
        let r = randomArray(y.count, &rng)
        set.zeroGradients()
        let dx = lstm.backward(Tensor(y.shape, r)).toArray()
        let loss = { projectedSum(lstm.forward(x, batch: batch, time: time), r) }
        let check = GradientCheck(step: 1e-2, tolerance: 1e-2, probes: 60)
        XCTAssertGradientOK(check.check(name: "lstm.x", values: x.data, count: x.count, analytic: dx,
                                        rng: &rng, loss: loss))
        for p in [lstm.weightIH, lstm.weightHH, lstm.biasIH, lstm.biasHH] {
            let analytic = Array(UnsafeBufferPointer(start: p.grad, count: p.count))
            XCTAssertGradientOK(check.check(name: p.name, values: p.value, count: p.count, analytic: analytic,
                                            rng: &rng, loss: loss))
        }
        // Gradients accumulate (+=) across backward calls; input gradients do not.
        // (The probes left forward state from a perturbed input; run forward again.)
        _ = lstm.forward(x, batch: batch, time: time)
        set.zeroGradients()
        _ = lstm.backward(Tensor(y.shape, r))
        let once = Array(set.grads)
        let dxAgain = lstm.backward(Tensor(y.shape, r)).toArray()
        XCTAssertEqual(dxAgain, dx)
        for i in 0..<once.count { XCTAssertEqual(set.grads[i], 2 * once[i], accuracy: 1e-5 * max(1, abs(once[i]))) }
    }

    /// parameterGradients: false leaves the grads alone but still returns dL/dx.
    func testBackwardWithoutParameterGradients() {
        var rng = RandomGenerator(seed: 37)
        let (lstm, set) = makeLSTM(input: 2, hidden: 3, seed: 38)
        let x = randomTensor(Shape(4, 2, 1, 1), &rng)
        let y = lstm.forward(x, batch: 2, time: 2)
        let dy = randomTensor(y.shape, &rng)
        set.zeroGradients()
        let full = lstm.backward(dy).toArray()
        set.zeroGradients()
        let only = lstm.backward(dy, parameterGradients: false).toArray()
        XCTAssertEqual(full, only)
        XCTAssertEqual(Array(set.grads), [Float](repeating: 0, count: set.grads.count))
    }

    /// Output and input-gradient storage is sized once and reused by later calls.
    func testBuffersAreReusedAcrossCalls() {
        var rng = RandomGenerator(seed: 39)
        let (lstm, _) = makeLSTM(input: 3, hidden: 4, seed: 40)
        let x = randomTensor(Shape(6, 3, 1, 2), &rng)
        let y1 = lstm.forward(x, batch: 2, time: 3)
        let out = y1.data
        let dx = lstm.backward(y1).data
        for _ in 0..<3 {
            let y = lstm.forward(x, batch: 2, time: 3)
            XCTAssertEqual(y.data, out)
            XCTAssertEqual(lstm.backward(y).data, dx)
        }
    }
}
