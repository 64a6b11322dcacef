import Foundation
import XCTest
@testable import Imaging

/// The colour maths against scikit-image (fixture from tools/make_lab_fixture.py).
final class CIELABTests: XCTestCase {
    struct Fixture: Decodable {
        var rgb: [Int]
        var lab: [Double]
        var lab8_codes: [Int]
        var rgb_from_lab8: [Double]
    }

    static let fixture: Fixture = {
        let url = Bundle.module.url(forResource: "lab_fixture", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    func testReferenceEqualsSkimageRgb2lab() {
        let f = Self.fixture
        XCTAssertEqual(f.rgb.count, f.lab.count)
        XCTAssertGreaterThan(f.rgb.count / 3, 1900)
        var worst = 0.0
        for i in 0..<(f.rgb.count / 3) {
            let lab = CIELAB.lab(r: UInt8(f.rgb[3 * i]), g: UInt8(f.rgb[3 * i + 1]), b: UInt8(f.rgb[3 * i + 2]))
            worst = max(worst, abs(lab.l - f.lab[3 * i]), abs(lab.a - f.lab[3 * i + 1]), abs(lab.b - f.lab[3 * i + 2]))
        }
        XCTAssertLessThan(worst, 1e-6, "largest |Δ| vs skimage")
    }

    /// The lab8 quantiser (docs/dataprep.md: `round(L·255/100)`, `round(a)+128`,
    /// `round(b)+128`, clipped to 0…255) on values worked out by hand, including
    /// both sides of a rounding step and the clipping. (Exact .5 ties are not
    /// pinned: Double Lab values never land on them.)
    func testLab8QuantiserOnHandWorkedValues() {
        let cases: [(lab: (Double, Double, Double), codes: (UInt8, UInt8, UInt8))] = [
            ((0, 0, 0), (0, 128, 128)),
            ((100, 0, 0), (255, 128, 128)),
            ((49.9, -0.4, 0.4), (127, 128, 128)),        // 127.245 → 127
            ((50.1, -0.6, 0.6), (128, 127, 129)),        // 127.755 → 128
            ((0.19, 10.49, -10.49), (0, 138, 118)),      // 0.4845 → 0
            ((0.2, 10.51, -10.51), (1, 139, 117)),       // 0.51 → 1
            ((53.24, 80.09, 67.2), (136, 208, 195)),     // sRGB red: 135.762 → 136
            ((87.73, -86.18, 83.18), (224, 42, 211)),    // sRGB green: 223.7115 → 224
            ((32.3, 79.19, -107.86), (82, 207, 20)),     // sRGB blue: 82.365 → 82
            ((99.9, 127.4, -128.4), (255, 255, 0)),      // 254.745 → 255; 255.4 and −0.4 round into range
            ((101, 127.6, -128.6), (255, 255, 0)),       // beyond the ends: clipped
            ((-3, 300, -300), (0, 255, 0)),
        ]
        for (lab, codes) in cases {
            let got = CIELAB.lab8(l: lab.0, a: lab.1, b: lab.2)
            XCTAssertTrue(got == codes, "L*a*b* \(lab): got \(got), want \(codes)")
        }
    }

    /// The fast converter's codes vs the codes of skimage's Lab: within one on every pixel.
    func testFastConverterWithinOneCodeOfSkimage() {
        let f = Self.fixture
        let n = f.rgb.count / 3
        let rgb = f.rgb.map { UInt8($0) }
        var lab8 = [UInt8](repeating: 0, count: 3 * n)
        Lab8Converter().convert(rgb: rgb, pixels: n, lab: &lab8)
        var off = 0
        for i in 0..<n {
            let expected = CIELAB.lab8(l: f.lab[3 * i], a: f.lab[3 * i + 1], b: f.lab[3 * i + 2])
            let got = (lab8[i], lab8[n + i], lab8[2 * n + i])
            for (e, g) in [(expected.l, got.0), (expected.a, got.1), (expected.b, got.2)] {
                XCTAssertLessThanOrEqual(abs(Int(e) - Int(g)), 1, "colour \(i) rgb \(rgb[3*i..<3*i+3])")
                if e != g { off += 1 }
            }
        }
        // Only float rounding right at a .5 boundary may differ; that is rare.
        XCTAssertLessThan(off, 3 * n / 200, "codes off by one")
    }

    /// Every grey is neutral (a = b = 128) and L follows the greys of the fixture exactly.
    func testGreysAreNeutral() {
        var rgb = [UInt8](repeating: 0, count: 768)
        for v in 0..<256 { rgb[3 * v] = UInt8(v); rgb[3 * v + 1] = UInt8(v); rgb[3 * v + 2] = UInt8(v) }
        var lab8 = [UInt8](repeating: 0, count: 768)
        Lab8Converter().convert(rgb: rgb, pixels: 256, lab: &lab8)
        let f = Self.fixture
        for v in 0..<256 {
            XCTAssertEqual(lab8[256 + v], 128)
            XCTAssertEqual(lab8[512 + v], 128)
            XCTAssertEqual(lab8[v], CIELAB.lab8(l: f.lab[3 * v], a: 0, b: 0).l, "grey \(v)")
        }
        XCTAssertEqual(lab8[0], 0)
        XCTAssertEqual(lab8[255], 255)
    }

    /// Fast converter vs the double-precision reference over 200k random colours.
    func testFastConverterMatchesReferenceOnRandomColours() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let n = 200_000
        var rgb = [UInt8](repeating: 0, count: 3 * n)
        for i in 0..<(3 * n) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            rgb[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        var lab8 = [UInt8](repeating: 0, count: 3 * n)
        Lab8Converter().convert(rgb: rgb, pixels: n, lab: &lab8)
        var off = 0
        for i in 0..<n {
            let lab = CIELAB.lab(r: rgb[3 * i], g: rgb[3 * i + 1], b: rgb[3 * i + 2])
            let e = CIELAB.lab8(l: lab.l, a: lab.a, b: lab.b)
            for (x, y) in [(e.l, lab8[i]), (e.a, lab8[n + i]), (e.b, lab8[2 * n + i])] {
                if x != y { off += 1 }
                if abs(Int(x) - Int(y)) > 1 { XCTFail("colour \(i): \(e) vs \(lab8[i]),\(lab8[n+i]),\(lab8[2*n+i])"); return }
            }
        }
        XCTAssertLessThan(off, 3 * n / 1000, "codes off by one")
    }

    /// A frame is converted a block of pixels at a time; each pixel's codes must
    /// not depend on where the blocks fall: a frame of 2.5 blocks (two whole, a
    /// part) gives every pixel the codes it gets converted alone.
    func testBlocksGiveEachPixelItsOwnCodes() {
        let n = 2 * Lab8Converter.block + Lab8Converter.block / 2
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        var rgb = [UInt8](repeating: 0, count: 3 * n)
        for i in 0..<(3 * n) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            rgb[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        let converter = Lab8Converter()
        var whole = [UInt8](repeating: 0, count: 3 * n)
        converter.convert(rgb: rgb, pixels: n, lab: &whole)
        var alone = [UInt8](repeating: 0, count: 3)
        for i in 0..<n {
            converter.convert(rgb: Array(rgb[(3 * i)..<(3 * i + 3)]), pixels: 1, lab: &alone)
            XCTAssertEqual([whole[i], whole[n + i], whole[2 * n + i]], alone, "pixel \(i)")
            if [whole[i], whole[n + i], whole[2 * n + i]] != alone { return }
        }
    }

    /// lab8 → sRGB 8-bit against skimage's lab2rgb (clipping and the clamped f(Z) included).
    func testInverseEqualsSkimageLab2rgb() {
        let f = Self.fixture
        let n = f.lab8_codes.count / 3
        var worst = 0.0
        var off = 0
        for i in 0..<n {
            let v = CIELAB.lab(fromLab8: UInt8(f.lab8_codes[3 * i]), UInt8(f.lab8_codes[3 * i + 1]), UInt8(f.lab8_codes[3 * i + 2]))
            let c = CIELAB.rgb(l: v.l, a: v.a, b: v.b)
            worst = max(worst, abs(c.r - f.rgb_from_lab8[3 * i]), abs(c.g - f.rgb_from_lab8[3 * i + 1]), abs(c.b - f.rgb_from_lab8[3 * i + 2]))
            let c8 = CIELAB.rgb8(l: v.l, a: v.a, b: v.b)
            for (k, got) in [c8.r, c8.g, c8.b].enumerated() {
                let expected = Int((f.rgb_from_lab8[3 * i + k] * 255).rounded())
                XCTAssertLessThanOrEqual(abs(expected - Int(got)), 1)
                if expected != Int(got) { off += 1 }
            }
        }
        XCTAssertLessThan(worst, 1e-6, "largest |Δ| vs skimage lab2rgb")
        XCTAssertEqual(off, 0, "8-bit values that differ from skimage's")
    }

    func testNetworkNormalisation() {
        let lab8: [UInt8] = [0, 255, 51, 128, 238, 18, 128, 128, 0]  // 3 pixels: L plane, a plane, b plane
        var l = [Float](repeating: 0, count: 3), ab = [Float](repeating: 0, count: 6)
        LabCodec.lab8ToNetwork(lab8, frames: 1, pixels: 3, l: &l, ab: &ab)
        XCTAssertEqual(l[0], -1)
        XCTAssertEqual(l[1], 1)
        XCTAssertEqual(l[2], Float(51.0 * 100 / 255 / 50 - 1), accuracy: 1e-7)
        XCTAssertEqual(ab[0], 0)
        XCTAssertEqual(ab[1], 1, accuracy: 1e-7)
        XCTAssertEqual(ab[2], -1, accuracy: 1e-7)
        XCTAssertEqual(ab[5], -128.0 / 110, accuracy: 1e-6)
        // Network values back to sRGB give what the stored lab8 frame gives.
        var fromNet = [UInt8](repeating: 0, count: 9), fromLab8 = [UInt8](repeating: 0, count: 9)
        LabCodec.networkToRGB8(l: l, ab: ab, pixels: 3, rgb: &fromNet)
        LabCodec.lab8ToRGB8(lab8, pixels: 3, rgb: &fromLab8)
        XCTAssertEqual(fromNet, fromLab8)
        XCTAssertEqual(Array(fromLab8[0..<3]), [0, 0, 0])
        let p1 = CIELAB.rgb8(l: 100, a: 110, b: 0)
        XCTAssertEqual(Array(fromLab8[3..<6]), [p1.r, p1.g, p1.b])
    }

    /// sRGB → lab8 → sRGB: greys come back within one level; colours within a
    /// level or so on average (lab8 steps are coarse only near the gamut edge, where
    /// skimage's own round trip is off by up to 18 levels too).
    func testRoundTripThroughLab8IsClose() {
        var greys = [UInt8](), greysBack = [UInt8](repeating: 0, count: 768), greyLab = [UInt8](repeating: 0, count: 768)
        for v in 0..<256 { greys += [UInt8(v), UInt8(v), UInt8(v)] }
        Lab8Converter().convert(rgb: greys, pixels: 256, lab: &greyLab)
        LabCodec.lab8ToRGB8(greyLab, pixels: 256, rgb: &greysBack)
        XCTAssertLessThanOrEqual(zip(greys, greysBack).map { abs(Int($0) - Int($1)) }.max()!, 1)

        var rgb = [UInt8]()
        for r in stride(from: 0, through: 255, by: 15) { for g in stride(from: 0, through: 255, by: 15) { for b in stride(from: 0, through: 255, by: 15) {
            rgb += [UInt8(r), UInt8(g), UInt8(b)]
        } } }
        let n = rgb.count / 3
        var lab8 = [UInt8](repeating: 0, count: 3 * n), back = [UInt8](repeating: 0, count: 3 * n)
        Lab8Converter().convert(rgb: rgb, pixels: n, lab: &lab8)
        LabCodec.lab8ToRGB8(lab8, pixels: n, rgb: &back)
        let errors = zip(rgb, back).map { abs(Int($0) - Int($1)) }
        XCTAssertLessThanOrEqual(errors.max()!, 18)
        XCTAssertLessThan(Double(errors.reduce(0, +)) / Double(errors.count), 1.0)
    }
}
