import XCTest
@testable import Net

/// `Generator.gradientsFinal`, the hook the distributed trainer starts
/// averaging gradient buckets from: every offset it reports must really mark
/// gradients that the rest of the backward pass leaves alone.
final class GeneratorGradientHookTests: XCTestCase {
    func testReportedGradientsAreFinal() throws {
        for temporal in ModelConfig.Temporal.allCases {
            var rng = RandomGenerator(seed: 5)
            let g = try Generator(config: ModelConfig(baseWidth: 2, temporal: temporal, size: 128), rng: &rng)
            let L = Tensor(Shape(2, 1, 128, 128))
            for i in 0..<L.count { L.data[i] = 2 * rng.nextUniform() - 1 }
            let out = g.forward(L: L, batch: 1, time: 2)
            let dOut = Tensor(out.shape)
            for i in 0..<dOut.count { dOut.data[i] = rng.nextNormal() }

            let grads = g.parameters.grads
            var reports: [(offset: Int, snapshot: [Float])] = []
            g.gradientsFinal = { offset in reports.append((offset, Array(grads[offset...]))) }
            g.parameters.zeroGradients()
            g.backward(dOut)

            XCTAssertEqual(reports.count, temporal == .lstm ? 15 : 14, "\(temporal): one report per block")
            XCTAssertEqual(reports.last?.offset, 0, "\(temporal): the last report covers the whole buffer")
            for (a, b) in zip(reports, reports.dropFirst()) {
                XCTAssertGreaterThan(a.offset, b.offset, "\(temporal): offsets must fall block by block")
            }
            for r in reports {
                XCTAssertEqual(r.snapshot, Array(grads[r.offset...]), "\(temporal): gradients above \(r.offset) changed after being reported final")
                XCTAssertTrue(r.snapshot.contains { $0 != 0 }, "\(temporal): a reported block has gradients")
            }
        }
    }
}
