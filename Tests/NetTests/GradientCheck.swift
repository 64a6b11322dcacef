import XCTest
@testable import Net

/// Finite-difference gradient checking (Caffe's GradientChecker idea).
///
/// The scalar checked is `L = Σ y ⊙ r` for a fixed random projection `r`, so the
/// upstream gradient fed to `backward` is `r` itself. The numeric derivative is a
/// central difference `(L(x+h) − L(x−h)) / 2h`, with L accumulated in Double.
/// A probe passes when `|analytic − numeric| ≤ tolerance · max(1, |analytic|, |numeric|)`.
struct GradientCheck {
    var step: Float = 1e-2
    var tolerance: Float = 1e-2
    /// At most this many elements of each tensor are probed (chosen at random).
    var probes: Int = 40

    /// Result of probing one tensor; `worst` is the largest scaled error seen.
    struct Report {
        var name: String
        var worst: Float
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
        var report = Report(name: name, worst: 0, failures: [])
        let indices: [Int] = count <= probes
            ? Array(0..<count)
            : (0..<probes).map { _ in Int(rng.next() % UInt64(count)) }
        for i in indices {
            let saved = values[i]
            values[i] = saved + step
            let plus = loss()
            values[i] = saved - step
            let minus = loss()
            values[i] = saved
            let numeric = Float((plus - minus) / Double(2 * step))
            let a = analytic[i]
            let scale = max(1, abs(a), abs(numeric))
            let err = abs(a - numeric) / scale
            report.worst = max(report.worst, err)
            if err > tolerance || !err.isFinite {
                report.failures.append("\(name)[\(i)]: analytic \(a) numeric \(numeric)")
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
    XCTAssertTrue(report.failures.isEmpty,
                  "\(report.name): \(report.failures.count) probes failed; worst \(report.worst)\n"
                    + report.failures.prefix(5).joined(separator: "\n"),
                  file: file, line: line)
}

final class GradientCheckSelfTests: XCTestCase {
    /// The checker must reject a wrong gradient, or it proves nothing.
    func testCheckerRejectsAWrongGradient() {
        var rng = RandomGenerator(seed: 3)
        let x = randomTensor(Shape(1, 8), &rng)
        let r = randomArray(8, &rng)
        // y = x², so dL/dx = 2 x r. Feed the checker x r (wrong by a factor 2).
        let wrong = (0..<8).map { x.data[$0] * r[$0] }
        let right = (0..<8).map { 2 * x.data[$0] * r[$0] }
        let loss = { () -> Double in
            var s = 0.0
            for i in 0..<8 { s += Double(x.data[i] * x.data[i]) * Double(r[i]) }
            return s
        }
        let bad = GradientCheck().check(name: "x", values: x.data, count: 8, analytic: wrong, rng: &rng, loss: loss)
        XCTAssertFalse(bad.failures.isEmpty)
        let good = GradientCheck().check(name: "x", values: x.data, count: 8, analytic: right, rng: &rng, loss: loss)
        XCTAssertGradientOK(good)
    }
}
