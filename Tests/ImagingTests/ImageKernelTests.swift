import XCTest
@testable import Imaging

/// The per-pixel kernels of colorize against their definitions.
final class ImageKernelTests: XCTestCase {
    func testAreaResizeIsAdaptiveAveragePooling() {
        for (w, h, ow, oh) in [(13, 7, 5, 4), (5, 4, 13, 7), (768, 576, 128, 128), (9, 9, 9, 9)] {
            var input = [Float](repeating: 0, count: w * h)
            for i in 0..<input.count { input[i] = Float((i * 7919) % 101) / 7 }
            var output = [Float](repeating: 0, count: ow * oh)
            AreaResizer(from: w, h, to: ow, oh).resize(input, into: &output)
            for y in 0..<oh {
                for x in 0..<ow {
                    let ys = y * h / oh, ye = ((y + 1) * h + oh - 1) / oh
                    let xs = x * w / ow, xe = ((x + 1) * w + ow - 1) / ow
                    var sum = 0.0
                    for yy in ys..<ye { for xx in xs..<xe { sum += Double(input[yy * w + xx]) } }
                    let expected = sum / Double((ye - ys) * (xe - xs))
                    XCTAssertEqual(Double(output[y * ow + x]), expected, accuracy: 1e-4 * max(1, abs(expected)))
                }
            }
        }
    }

    func testBilinearMatchesPyTorchsAlignCornersFalse() {
        // F.interpolate(torch.tensor([[[[0., 1.]]]]), size=(1, 4), mode="bilinear") = [0, .25, .75, 1].
        let up = BilinearUpsampler(from: 2, 1, to: 4, 1)
        var row = [Float](repeating: 9, count: 4)
        let plane: [Float] = [0, 1]
        up.row(0, of: plane, scale: 1, into: &row)
        XCTAssertEqual(row, [0, 0.25, 0.75, 1])
        // 2×2 → 3×3 (scale 2/3): source positions 0, 5/6·… : [[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]] for [[1, 2], [3, 4]]
        let up3 = BilinearUpsampler(from: 2, 2, to: 3, 3)
        let square: [Float] = [1, 2, 3, 4]
        var out = [Float](repeating: 0, count: 3)
        up3.row(1, of: square, scale: 2, into: &out)
        XCTAssertEqual(out, [4, 5, 6])   // the centre row, times 2
    }

    func testLightnessMatchesTheReference() {
        var rgb: [UInt8] = []
        for v in 0..<256 { rgb += [UInt8(v), UInt8(v), UInt8(v)] }
        var state: UInt32 = 7
        for _ in 0..<2000 {
            for _ in 0..<3 { state = state &* 1_664_525 &+ 1_013_904_223; rgb.append(UInt8(state >> 24)) }
        }
        let n = rgb.count / 3
        var l = [Float](repeating: 0, count: n)
        LightnessPlane.compute(rgb: rgb, pixels: n, into: &l)
        for p in 0..<n {
            let expected = CIELAB.lab(r: rgb[3 * p], g: rgb[3 * p + 1], b: rgb[3 * p + 2]).l
            XCTAssertEqual(Double(l[p]), expected, accuracy: 2e-4, "pixel \(p)")
        }
    }

    /// Over the whole L*a*b* box (most of it outside sRGB, so the clipping and the
    /// clamped f(Z) run too): the float converter agrees with the double
    /// reference everywhere but at a handful of rounding boundaries.
    func testLabToRGBMatchesTheReference() {
        var l: [Float] = [], a: [Float] = [], b: [Float] = []
        var state: UInt32 = 99
        func uniform(_ lo: Float, _ hi: Float) -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return lo + (hi - lo) * Float(state >> 8) / Float(1 << 24)
        }
        for _ in 0..<50_000 {
            l.append(uniform(0, 100)); a.append(uniform(-110, 110)); b.append(uniform(-110, 110))
        }
        for v in 0...100 { l.append(Float(v)); a.append(0); b.append(0) }
        var rgb = [UInt8](repeating: 0, count: 3 * l.count)
        LabToRGB8.convert(l: l, a: a, b: b, count: l.count, into: &rgb)
        var differing = 0
        for p in 0..<l.count {
            let e = CIELAB.rgb8(l: Double(l[p]), a: Double(a[p]), b: Double(b[p]))
            for (x, y) in zip([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]], [e.r, e.g, e.b]) {
                XCTAssertLessThanOrEqual(abs(Int(x) - Int(y)), 1, "L \(l[p]) a \(a[p]) b \(b[p])")
                if x != y { differing += 1 }
            }
        }
        XCTAssertLessThan(Double(differing) / Double(3 * l.count), 1e-3)
        // The planar form (for Y′CbCr) gives the same codes, plane by plane.
        var planes = [UInt8](repeating: 0, count: 3 * l.count), scratch = [Float](repeating: 0, count: 3 * l.count)
        LabToRGB8.convert(l: l, a: a, b: b, count: l.count, intoPlanes: &planes, scratch: &scratch)
        for p in 0..<l.count {
            XCTAssertEqual([planes[p], planes[l.count + p], planes[2 * l.count + p]], [rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]])
        }
    }

    /// The table lookup gives exactly the code the thresholds define: at every
    /// threshold and the floats either side of it, at every bin edge and the
    /// float below it, outside [0, 1], at NaN and the infinities, and at random values.
    func testLabToRGBCodesAreTheThresholds() {
        var values: [Float] = [0, -0, 1, -1, 2, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, Float(1).nextDown]
        for k in 1...255 {
            let t = LabToRGB8.thresholds[k]
            values += [t, t.nextUp, t.nextDown]
        }
        for i in 0...LabToRGB8.bins {
            let edge = Float(i) / Float(LabToRGB8.bins)
            values += [edge, edge.nextDown, edge.nextUp]
        }
        var state: UInt32 = 5
        for _ in 0..<200_000 {
            state = state &* 1_664_525 &+ 1_013_904_223
            values.append(-0.1 + 1.2 * Float(state >> 8) / Float(1 << 24))
        }
        LabToRGB8.table.withUnsafeBufferPointer { table in
            for c in values {
                XCTAssertEqual(LabToRGB8.code(c, table.baseAddress!), LabToRGB8.referenceCode(c), "linear value \(c)")
            }
        }
    }

    /// The premise of the one comparison a code takes: no bin reaches the
    /// threshold after its next one, and each starts at its lower edge's code.
    func testLabToRGBBinsHoldOneThresholdAtMost() {
        let bins = LabToRGB8.bins, th = LabToRGB8.thresholds
        for i in 0..<bins {
            let bin = LabToRGB8.table[i], start = Int(bin.code)
            let low = Float(i) / Float(bins), high = Float(i + 1) / Float(bins)
            XCTAssertEqual(UInt8(start), LabToRGB8.referenceCode(low), "bin \(i)")
            XCTAssertEqual(bin.next, th[start + 1], "bin \(i)")
            if start + 2 <= 256 { XCTAssertGreaterThanOrEqual(th[start + 2], high, "bin \(i)") }
        }
        XCTAssertEqual(LabToRGB8.table[bins].code, 255)
    }

    /// Grey pixels take their L* from a table, colour ones compute it: both
    /// give the float the general per-pixel arithmetic gives, bit for bit.
    func testGreyLightnessIsTheGeneralPathsFloat() {
        var rgb: [UInt8] = []
        for v in 0..<256 { rgb += [UInt8(v), UInt8(v), UInt8(v), UInt8(v), UInt8(255 - v), UInt8(v)] }
        let n = rgb.count / 3
        var l = [Float](repeating: 0, count: n)
        LightnessPlane.compute(rgb: rgb, pixels: n, into: &l)
        LightnessPlane.tables.withUnsafeBufferPointer { t in
            for p in 0..<n {
                let y = t[Int(rgb[3 * p])] + t[256 + Int(rgb[3 * p + 1])] + t[512 + Int(rgb[3 * p + 2])]
                let general = 116 * LightnessPlane.f(y) - 16
                XCTAssertEqual(l[p].bitPattern, general.bitPattern, "pixel \(rgb[3 * p]), \(rgb[3 * p + 1]), \(rgb[3 * p + 2])")
            }
        }
    }
}
