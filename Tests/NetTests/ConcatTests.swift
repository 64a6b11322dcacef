import XCTest
@testable import Net

final class ConcatTests: XCTestCase {
    func testConcatLayoutAndGradient() {
        var rng = RandomGenerator(seed: 15)
        let a = randomTensor(Shape(2, 3, 2, 2), &rng)
        let b = randomTensor(Shape(2, 5, 2, 2), &rng)
        let layer = Concat()
        let y = layer.forward(a, b)
        XCTAssertEqual(y.shape, Shape(2, 8, 2, 2))
        for n in 0..<2 {
            for c in 0..<8 {
                for p in 0..<4 {
                    let expected = c < 3 ? a.data[(n * 3 + c) * 4 + p] : b.data[(n * 5 + c - 3) * 4 + p]
                    XCTAssertEqual(y.data[(n * 8 + c) * 4 + p], expected)
                }
            }
        }
        let r = randomArray(y.count, &rng)
        let (da, db) = layer.backward(Tensor(y.shape, r))
        XCTAssertEqual(da.shape, a.shape)
        XCTAssertEqual(db.shape, b.shape)
        let check = GradientCheck(probes: 100)
        XCTAssertGradientOK(check.check(name: "concat.a", values: a.data, count: a.count,
                                        analytic: da.toArray(), rng: &rng) { projectedSum(layer.forward(a, b), r) })
        XCTAssertGradientOK(check.check(name: "concat.b", values: b.data, count: b.count,
                                        analytic: db.toArray(), rng: &rng) { projectedSum(layer.forward(a, b), r) })
    }
}
