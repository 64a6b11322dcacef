import XCTest
@testable import Imaging

/// a*b* error, colourfulness and temporal flicker.
final class ColourMetricsTests: XCTestCase {
    func testChromaErrorByHand() throws {
        let p: [Float] = [1, 2, 3, -4]     // a* = (1, 2), b* = (3, −4)
        let t: [Float] = [1, 0, 6, 4]
        // |0| + |2| + |−3| + |−8| = 13 over 4 values.
        let e = try p.withUnsafeBufferPointer { a in try t.withUnsafeBufferPointer { try ChromaError.meanAbsolute(a, $0) } }
        XCTAssertEqual(e, 13.0 / 4)
        let same = try p.withUnsafeBufferPointer { try ChromaError.meanAbsolute($0, $0) }
        XCTAssertEqual(same, 0)
    }

    func testChromaPlanesOfGreyAreZeroAndOfRedAreSkimages() {
        let grey = solidImage(width: 3, height: 2, 90, 90, 90)
        // Not exactly 0: the rows of the sRGB→XYZ matrix (docs/format.md §Colour) sum to the white point only to ~1e-5
        // (skimage gives a* = −0.00115, b* = 0.00218 for this grey too).
        let ab = ChromaError.abPlanes(of: grey)
        for v in ab[0..<6] { XCTAssertEqual(v, -0.00115, accuracy: 1e-5) }
        for v in ab[6..<12] { XCTAssertEqual(v, 0.00218, accuracy: 1e-5) }
        // skimage rgb2lab([255, 0, 0]) = (53.2408, 80.0925, 67.2032).
        let red = ChromaError.abPlanes(of: solidImage(width: 1, height: 1, 255, 0, 0))
        XCTAssertEqual(red[0], 80.0925, accuracy: 1e-3)
        XCTAssertEqual(red[1], 67.2032, accuracy: 1e-3)
    }

    func testColourfulnessByHand() {
        XCTAssertEqual(Colourfulness.hasler(solidImage(width: 4, height: 4, 77, 77, 77)), 0)
        // Half red, half black: rg ∈ {255, 0}, yb ∈ {127.5, 0}; μ = σ = (127.5, 63.75),
        // so M = 1.3·√(127.5² + 63.75²).
        var image = solidImage(width: 2, height: 1, 0, 0, 0)
        image[0, 0] = (255, 0, 0)
        XCTAssertEqual(Colourfulness.hasler(image), 1.3 * (127.5 * 127.5 + 63.75 * 63.75).squareRoot(),
                       accuracy: 1e-9)
    }

    func testColourfulnessMatchesNumpy() throws {
        for c in try MetricsFixture.load().cases {
            XCTAssertEqual(Colourfulness.hasler(c.imageX), c.colourfulness_x, accuracy: 1e-9, c.name)
            XCTAssertEqual(Colourfulness.hasler(c.imageY), c.colourfulness_y, accuracy: 1e-9, c.name)
        }
    }

    func testFlickerIsZeroForTheTruthItself() throws {
        var flicker = TemporalFlicker()
        for t in 0..<4 {
            let frame: [Float] = [Float(t), Float(2 * t), 0, 1]
            try frame.withUnsafeBufferPointer { try flicker.add(predicted: $0, truth: $0) }
        }
        XCTAssertEqual(flicker.pairs, 3)
        XCTAssertEqual(flicker.value, 0)
        XCTAssertEqual(flicker.truthChange, 3.0 / 4)   // |Δ| = 1, 2, 0, 0 per pair
    }

    func testFlickerByHandAndSequencesDoNotJoin() throws {
        // Truth still; output alternates 0, 4 in one of two values → mean |Δab| = 2 per pair.
        var flicker = TemporalFlicker()
        let still: [Float] = [5, 5]
        for t in 0..<3 {
            let out: [Float] = [t % 2 == 0 ? 0 : 4, 0]
            try out.withUnsafeBufferPointer { o in try still.withUnsafeBufferPointer { try flicker.add(predicted: o, truth: $0) } }
        }
        XCTAssertEqual(flicker.value, 2)
        // A new sequence whose first frame differs wildly adds no pair across the cut.
        flicker.endSequence()
        let far: [Float] = [100, 100]
        try far.withUnsafeBufferPointer { try flicker.add(predicted: $0, truth: $0) }
        XCTAssertEqual(flicker.pairs, 2)
        try far.withUnsafeBufferPointer { try flicker.add(predicted: $0, truth: $0) }
        XCTAssertEqual(flicker.pairs, 3)
        XCTAssertEqual(flicker.value, 4.0 / 3, accuracy: 1e-12)
    }
}
