import XCTest
@testable import Net

/// End-to-end check of the generator's backward pass (every layer, the skip
/// sums, the LSTM's BPTT, BN in training mode) against central differences of
/// the whole network.
///
/// The loss is `L = Σ out ⊙ r` (Double-accumulated) for a fixed random `r`, on a
/// tiny generator (w = 2, 128², B = 1, T = 2) in training mode. Two effects limit
/// how closely a float32 network of this depth can be differenced:
/// - ReLU kinks: a step that moves pre-activations across zero bends the
///   quotient. With thousands of kinks the quotient only settles near the
///   analytic value for steps ≲ 1e-4 (at 1e-3, errors of 10–30% are common for
///   the outer convs' weights, whose change moves every pre-activation; at 1e-4
///   down1's weights are still off by up to ~9%);
/// - float32 rounding in the 65 536 summed outputs: at a step of 1e-4 the
///   quotient carries ~0.01–0.02 of absolute noise.
/// So the step is 1e-4 and a probe passes when `|a − n| ≤ 10% · max(|a|, |n|) + 0.03`.
/// That still catches what breaks backward passes (a wrong sign, a missing skip
/// gradient, a dropped term, a wrong scale): the test also checks that a
/// gradient 50% off fails every probe whose gradient is at least 1. Exact
/// agreement is the golden tests' job (ModelGoldenTests, against PyTorch).
final class GeneratorGradientTests: XCTestCase {
    static let step: Float = 1e-4
    static let relative = 0.1
    static let absolute = 0.03

    static func agrees(analytic a: Double, numeric n: Double) -> Bool {
        abs(a - n) <= relative * max(abs(a), abs(n)) + absolute
    }

    func testWholeGeneratorMatchesFiniteDifferences() throws {
        var rng = RandomGenerator(seed: 11)
        let config = ModelConfig(baseWidth: 2, temporal: .lstm, size: 128)
        let g = try Generator(config: config, rng: &rng)
        let (batch, time) = (1, 2)
        let L = randomTensor(Shape(batch * time, 1, 128, 128), &rng)
        let r = randomArray(batch * time * 2 * 128 * 128, &rng)

        g.parameters.zeroGradients()
        _ = g.forward(L: L, batch: batch, time: time)
        let dL = g.backward(Tensor(Shape(batch * time, 2, 128, 128), r), inputGradient: true).toArray()
        let grads = Array(g.parameters.grads)
        let loss = { projectedSum(g.forward(L: L, batch: batch, time: time), r) }

        var probes: [(name: String, analytic: Double, numeric: Double)] = []
        func probe(_ name: String, _ p: UnsafeMutablePointer<Float>, analytic: Float) {
            let saved = p.pointee
            let up = saved + Self.step, down = saved - Self.step
            p.pointee = up; let plus = loss()
            p.pointee = down; let minus = loss()
            p.pointee = saved
            // Divide by the step actually taken (saved ± h rounds in float32).
            probes.append((name, Double(analytic), (plus - minus) / (Double(up) - Double(down))))
        }

        // Inputs: most input gradients are a few hundredths, near the noise, so
        // probe the six largest (a wrong backward would point elsewhere) and six at random.
        let largest = dL.indices.sorted { abs(dL[$0]) > abs(dL[$1]) }.prefix(6)
        for i in Array(largest) + (0..<6).map({ _ in Int(rng.next() % UInt64(L.count)) }) {
            probe("L[\(i)]", L.data + i, analytic: dL[i])
        }
        // Three random elements of every trainable tensor.
        for p in g.parameters.trainable {
            for _ in 0..<3 {
                let i = Int(rng.next() % UInt64(p.count))
                probe("\(p.name)[\(i)]", p.value + i, analytic: grads[p.offset + i])
            }
        }

        let failures = probes.filter { !Self.agrees(analytic: $0.analytic, numeric: $0.numeric) }
        XCTAssertTrue(failures.isEmpty, "\(failures.count) of \(probes.count) probes failed:\n" + failures.prefix(8).map {
            "\($0.name): analytic \($0.analytic), numeric \($0.numeric)"
        }.joined(separator: "\n"))
        // The check has teeth: a gradient 50% off fails wherever the gradient is ≥ 1.
        let large = probes.filter { abs($0.analytic) >= 1 }
        XCTAssertGreaterThanOrEqual(large.count, 40)
        for p in large {
            XCTAssertFalse(Self.agrees(analytic: 1.5 * p.analytic, numeric: p.numeric), p.name)
        }
    }
}
