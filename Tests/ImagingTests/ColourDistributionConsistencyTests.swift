import Foundation
import XCTest
@testable import Imaging

/// CDC against hand-worked cases and against the NTIRE 2023 procedure run by
/// `tools/make_cdc_fixture.py` (numpy + scipy.stats.entropy).
final class ColourDistributionConsistencyTests: XCTestCase {
    /// The tool's frames: v = (i²·7 + t²·13 + c·29 + seed·31 + (i·t) mod 11) mod 256, i = y·w + x.
    func formulaFrame(_ t: Int, seed: Int, width: Int = 8, height: Int = 6) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for i in 0..<(width * height) {
            for c in 0..<3 {
                image.pixels[3 * i + c] = UInt8((i * i * 7 + t * t * 13 + c * 29 + seed * 31 + (i * t) % 11) % 256)
            }
        }
        return image
    }

    func testJensenShannonByHand() {
        let ln2 = log(2.0)
        XCTAssertEqual(ColourDistributionConsistency.jensenShannon([1, 0], [0, 1]), ln2, accuracy: 1e-15)
        XCTAssertEqual(ColourDistributionConsistency.jensenShannon([0.3, 0.7], [0.3, 0.7]), 0)
        // p = (1, 0), q = (½, ½), m = (¾, ¼): ½·ln(4/3) + ½·(½·ln(⅔) + ½·ln 2).
        let expected = 0.5 * log(4.0 / 3) + 0.25 * log(2.0 / 3) + 0.25 * ln2
        XCTAssertEqual(ColourDistributionConsistency.jensenShannon([1, 0], [0.5, 0.5]), expected, accuracy: 1e-15)
        XCTAssertEqual(ColourDistributionConsistency.jensenShannon([0.5, 0.5], [1, 0]), expected, accuracy: 1e-15)
    }

    /// Solid frames: every channel histogram is one bin, so a pair's JS is ln 2
    /// in each channel whose value changed and 0 elsewhere. Frames A A B B A,
    /// A = black, B = red: in R, k = 1 pairs differ 2 of 4 times, k = 2 3 of 3,
    /// k = 4 0 of 1: (½ + 1 + 0)/3 · ln 2 = ½ ln 2; G and B 0; CDC = ln 2 / 6.
    func testSolidFramesByHand() {
        let a = solidImage(width: 4, height: 3, 0, 0, 0), b = solidImage(width: 4, height: 3, 255, 0, 0)
        let value = ColourDistributionConsistency.of([a, a, b, b, a])
        XCTAssertEqual(try XCTUnwrap(value), log(2.0) / 6, accuracy: 1e-15)
        XCTAssertEqual(ColourDistributionConsistency.of([a, a, a, a, a]), 0)
        // Fewer than 5 frames: no pair at k = 4, no CDC.
        XCTAssertNil(ColourDistributionConsistency.of([a, b, a, b]))
    }

    func testMatchesTheNTIREProcedure() throws {
        let a = (0..<7).map { formulaFrame($0, seed: 0) }, b = (0..<5).map { formulaFrame($0, seed: 1) }
        // Pasted from `python3 tools/make_cdc_fixture.py` (numpy 2.4.6, scipy 1.17.1).
        XCTAssertEqual(try XCTUnwrap(ColourDistributionConsistency.of(a)), 0.5728233623538828, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(ColourDistributionConsistency.of(b)), 0.5891648496754298, accuracy: 1e-12)
        let p = ColourDistributionConsistency.histograms(a[0]), q = ColourDistributionConsistency.histograms(a[3])
        XCTAssertEqual(ColourDistributionConsistency.jensenShannon(p[0..<256], q[0..<256]), 0.5866127152307392, accuracy: 1e-12)

        // Several sequences: each counts once; a too-short one is left out.
        var cdc = ColourDistributionConsistency()
        for sequence in [a, Array(b.prefix(3)), b] {
            sequence.forEach { cdc.add($0) }
            cdc.endSequence()
        }
        XCTAssertEqual(cdc.sequences, 2)
        XCTAssertEqual(try XCTUnwrap(cdc.value), 0.5809941060146563, accuracy: 1e-12)
    }
}
