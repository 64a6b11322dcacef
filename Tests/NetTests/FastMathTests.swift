import Foundation
import XCTest
@testable import Net

/// FastMath against the Double-precision functions, in units of the float
/// spacing at the exact result (ulps) over dense grids that cross every range
/// boundary (k = 0 / ±1, the clamps, tiny arguments).
final class FastMathTests: XCTestCase {
    /// Largest |fast − exact| / ulp(exact) over `xs`, with its argument.
    private func worstULPs(_ xs: [Float], _ fast: (Float) -> Float, _ exact: (Double) -> Double) -> (Double, Float) {
        var worst = 0.0, at: Float = 0
        for x in xs {
            let reference = exact(Double(x))
            let ulp = Double(Float(reference).ulp)
            let error = abs(Double(fast(x)) - reference) / ulp
            if !(error <= worst) { worst = error; at = x }
        }
        return (worst, at)
    }

    private func grid(_ low: Float, _ high: Float, _ count: Int) -> [Float] {
        (0...count).map { low + (high - low) * Float($0) / Float(count) }
    }

    func testTanhWithinThreeULPs() {
        let xs = grid(-12, 12, 200_000) + grid(-1e-3, 1e-3, 10_000) + [0, 1e-30, -1e-30, 9, -9, 8.99, 0.1733, 0.3466]
        let (worst, at) = worstULPs(xs, FastMath.tanh, Foundation.tanh)
        // Measured 2.46 (a rounding each in e^{2x} − 1, the sum and the quotient);
        // glibc's tanhf is within 2.
        XCTAssertLessThanOrEqual(worst, 3, "at x = \(at)")
        XCTAssertEqual(FastMath.tanh(0), 0)
        XCTAssertEqual(FastMath.tanh(-0.0).sign, .minus)
        XCTAssertEqual(FastMath.tanh(.infinity), 1)
        XCTAssertEqual(FastMath.tanh(-.infinity), -1)
        XCTAssertTrue(FastMath.tanh(.nan).isNaN)
    }

    func testExpWithinTwoULPs() {
        let (worst, at) = worstULPs(grid(-87, 88, 200_000) + [0, 1e-8, -1e-8], FastMath.exp, Foundation.exp)
        XCTAssertLessThanOrEqual(worst, 2, "at x = \(at)")
        XCTAssertEqual(FastMath.exp(0), 1)
        XCTAssertTrue(FastMath.exp(.nan).isNaN)
    }

    func testSigmoidWithinThreeULPs() {
        let xs = grid(-80, 80, 200_000) + [0, 1e-7, -1e-7]
        let (worst, at) = worstULPs(xs, FastMath.sigmoid, { 1 / (1 + Foundation.exp(-$0)) })
        XCTAssertLessThanOrEqual(worst, 3, "at x = \(at)")
        XCTAssertEqual(FastMath.sigmoid(0), 0.5)
        XCTAssertEqual(FastMath.sigmoid(.infinity), 1)
        XCTAssertLessThan(FastMath.sigmoid(-.infinity), 1e-37)
        XCTAssertTrue(FastMath.sigmoid(.nan).isNaN)
    }
}

