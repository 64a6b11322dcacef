import XCTest
@testable import Net

/// Finite-difference gradient checking (Caffe's GradientChecker idea).
///
/// The scalar checked is `L = Σ y ⊙ r` for a fixed random projection `r`, so the
/// upstream gradient fed to `backward` is `r` itself. The numeric derivative is a
/// central difference `(L(x+h) − L(x−h)) / (x+h − (x−h))`, in Double, divided by
/// the step actually taken (x ± h rounds in float32).
///
/// Error measure, per probe: `|a − n| / max(|a|, |n|, floor)` with
/// `floor = floorFraction · scale`, where `scale` is the largest `|a|` or `|n|`
/// over all of the tensor's probes. So each element is held to a relative
/// error (a gradient that is 5% off fails however small the tensor's gradients
/// are, and a flipped sign fails on any element above the floor), while the
/// near-zero elements every gradient has are measured against the tensor's own
/// scale instead of their own value, where float32 noise would dominate.
/// An absolute floor (the old `max(1, |a|, |n|)`) made every gradient below 1
/// an absolute check: BCE errors of 18% passed.
struct GradientCheck {
    var step: Float = 1e-2
    var tolerance: Double = 1e-2
    /// The floor of the relative error's denominator, as a fraction of the tensor's scale.
    var floorFraction: Double = 1e-2
    /// At most this many distinct elements of each tensor are probed (chosen at random).
    var probes: Int = 40

    /// Result of probing one tensor; `worst` is the largest scaled error seen.
    struct Report {
        var name: String
        var probed: [Int]
        var scale: Double
        var worst: Double
        var failures: [String]
    }

    /// Probes `values` (an input or a parameter) against `analytic`, the gradient
    /// the backward pass produced for it. `loss` re-runs forward and returns L.
    func check(name: String,
               values: UnsafeMutablePointer<Float>, count: Int,
               analytic: [Float],
               rng: inout RandomGenerator,
               loss: () -> Double) -> Report {
        precondition(analytic.count == count)
        var indices = Array(0..<count)
        if count > probes {
            // Partial Fisher–Yates: `probes` distinct indices.
            for k in 0..<probes {
                let j = k + Int(rng.next() % UInt64(count - k))
                indices.swapAt(k, j)
            }
            indices = Array(indices.prefix(probes))
        }
        var pairs: [(i: Int, a: Double, n: Double)] = []
        for i in indices {
            let saved = values[i]
            let up = saved + step, down = saved - step
            values[i] = up
            let plus = loss()
            values[i] = down
            let minus = loss()
            values[i] = saved
            pairs.append((i, Double(analytic[i]), (plus - minus) / (Double(up) - Double(down))))
        }
        let scale = pairs.reduce(0.0) { max($0, abs($1.a), abs($1.n)) }
        let floor = max(floorFraction * scale, 1e-30)
        var report = Report(name: name, probed: indices, scale: scale, worst: 0, failures: [])
        for (i, a, n) in pairs {
            let err = abs(a - n) / max(abs(a), abs(n), floor)
            if !(err <= report.worst) { report.worst = err }   // NaN lands here too
            if !(err <= tolerance) {
                report.failures.append("\(name)[\(i)]: analytic \(a) numeric \(n) (error \(err), scale \(scale))")
            }
        }
        return report
    }
}

/// `Σ y ⊙ r` in Double.
func projectedSum(_ y: Tensor, _ r: [Float]) -> Double {
    precondition(y.count == r.count, "projection size \(r.count) for \(y.shape)")
    var s = 0.0
    for i in 0..<y.count { s += Double(y.data[i]) * Double(r[i]) }
    return s
}

/// A tensor of the given shape filled with uniform values in [low, high).
func randomTensor(_ shape: Shape, _ rng: inout RandomGenerator, low: Float = -1, high: Float = 1) -> Tensor {
    let t = Tensor(shape)
    for i in 0..<t.count { t.data[i] = low + (high - low) * rng.nextUniform() }
    return t
}

/// Random values for a projection or upstream gradient.
func randomArray(_ count: Int, _ rng: inout RandomGenerator) -> [Float] {
    (0..<count).map { _ in 2 * rng.nextUniform() - 1 }
}

/// Fails the test with every failing probe listed.
func XCTAssertGradientOK(_ report: GradientCheck.Report, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(report.probed.isEmpty, "\(report.name): nothing probed", file: file, line: line)
    XCTAssertTrue(report.failures.isEmpty,
                  "\(report.name): \(report.failures.count) probes failed; worst \(report.worst)\n"
                    + report.failures.prefix(5).joined(separator: "\n"),
                  file: file, line: line)
}


final class GradientCheckSelfTests: XCTestCase {
    /// `L = Σ s·x² ⊙ r` over `x`, and its true gradient `2 s x r`.
    private struct Square {
        var x: Tensor
        var r: [Float]
        var s: Float
        var gradient: [Float] { (0..<x.count).map { 2 * s * x.data[$0] * r[$0] } }
        func loss() -> Double {
            var sum = 0.0
            for i in 0..<x.count { sum += Double(s * x.data[i] * x.data[i]) * Double(r[i]) }
            return sum
        }
    }

    private func square(_ count: Int, scale s: Float, seed: UInt64) -> Square {
        var rng = RandomGenerator(seed: seed)
        let x = randomTensor(Shape(1, count), &rng, low: 0.5, high: 1)
        for i in 0..<count where i % 2 == 1 { x.data[i] = -x.data[i] }
        return Square(x: x, r: (0..<count).map { _ in 0.5 + 0.5 * rng.nextUniform() }, s: s)
    }

    private func run(_ f: Square, _ analytic: [Float], probes: Int = 40) -> GradientCheck.Report {
        var rng = RandomGenerator(seed: 9)
        return GradientCheck(probes: probes).check(name: "x", values: f.x.data, count: f.x.count,
                                                   analytic: analytic, rng: &rng, loss: f.loss)
    }

    /// Every element 5% off fails, at a gradient scale of ~1 and of ~0.01
    /// (where the old absolute floor let 18% through).
    func testCheckerRejectsAFivePercentError() {
        for s: Float in [1, 0.01] {
            let f = square(8, scale: s, seed: 3)
            XCTAssertGradientOK(run(f, f.gradient))
            let bad = run(f, f.gradient.map { $0 * 1.05 })
            XCTAssertEqual(bad.failures.count, 8, "scale \(s): \(bad.failures)")
        }
    }

    /// One small element (under 1/200 of the largest gradient) with its sign flipped fails.
    func testCheckerRejectsASignFlipOnASmallElement() {
        let f = square(8, scale: 1, seed: 4)
        f.x.data[5] = 0.002
        var analytic = f.gradient
        XCTAssertGradientOK(run(f, analytic))
        // Flipping it moves it by less than 0.01 absolute: the old floor let it through.
        XCTAssertLessThan(abs(analytic[5]), 0.005)
        XCTAssertLessThan(abs(analytic[5]), 0.005 * analytic.map { abs($0) }.max()!)
        analytic[5] = -analytic[5]
        let bad = run(f, analytic)
        XCTAssertEqual(bad.failures.count, 1, "\(bad.failures)")
        XCTAssertTrue(bad.failures.first?.hasPrefix("x[5]") ?? false, "\(bad.failures)")
    }

    /// A tensor larger than `probes`: that many distinct elements are probed,
    /// and a 5% error fails every one of them.
    func testCheckerSamplesDistinctElementsAndRejectsErrorsThere() {
        let f = square(500, scale: 1, seed: 5)
        let good = run(f, f.gradient, probes: 40)
        XCTAssertGradientOK(good)
        XCTAssertEqual(good.probed.count, 40)
        XCTAssertEqual(Set(good.probed).count, 40, "probes are distinct")
        XCTAssertTrue(good.probed.allSatisfy { (0..<500).contains($0) })
        let bad = run(f, f.gradient.map { $0 * 1.05 }, probes: 40)
        XCTAssertEqual(bad.failures.count, 40)
    }
}
