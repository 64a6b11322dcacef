import Foundation

/// (L*, a*, b*) in float → sRGB 8-bit, the inverse of docs/format.md §Colour (skimage `lab2rgb`:
/// negative f(Z) clamped to 0, linear RGB clipped to [0, 1], rounding half
/// away from zero), fast enough for every pixel of every output frame.
///
/// The gamma curve and the rounding are one step: `thresholds[k]` is the
/// linear value at which the 8-bit code reaches k (the inverse gamma of
/// (k − ½)/255), so a code is found exactly by comparing against thresholds.
/// The linear range is cut into 4096 bins; the curve never climbs more than
/// ~0.8 codes a bin, so a bin holds at most one threshold, and a code is its
/// bin's starting code plus one comparison with the bin's next threshold:
/// no loop and no branch per value (`binsHoldOneThresholdAtMost` in the tests
/// checks the premise on the tables themselves).
public enum LabToRGB8 {
    static let bins = 4096
    /// thresholds[k] for k = 0…256 (thresholds[0] = −∞, thresholds[256] = +∞).
    static let thresholds: [Float] = {
        var t = [Float](repeating: 0, count: 257)
        t[0] = -.infinity
        t[256] = .infinity
        for k in 1...255 {
            let v = (Double(k) - 0.5) / 255
            t[k] = Float(v > 0.04045 ? pow((v + 0.055) / 1.055, 2.4) : v / 12.92)
        }
        return t
    }()

    /// One bin of linear values [i/bins, (i+1)/bins): the code at its lower
    /// edge and the threshold of the code after it.
    struct Bin {
        var next: Float
        var code: Int32
    }

    /// `bins + 1` entries: the last is the bin of exactly 1.0 (code 255).
    static let table: [Bin] = {
        var table: [Bin] = []
        table.reserveCapacity(bins + 1)
        var code = 0
        for i in 0...bins {
            let low = Float(i) / Float(bins)
            while code < 255 && low >= thresholds[code + 1] { code += 1 }
            table.append(Bin(next: thresholds[code + 1], code: Int32(code)))
        }
        return table
    }()
    static let matrix: [Float] = CIELAB.rgbFromXYZ.flatMap { $0.map(Float.init) }

    /// Converts `count` pixels: L, a, b rows (float) → interleaved rgb24.
    /// `scratch` holds `3 * count` floats. Two passes: straight-line float
    /// arithmetic to linear RGB (which the compiler vectorises), then the code
    /// lookups.
    public static func convert(l: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                               count: Int, into rgb: UnsafeMutablePointer<UInt8>,
                               scratch: UnsafeMutablePointer<Float>) {
        linear(l: l, a: a, b: b, count: count, into: scratch)
        let rs = scratch, gs = scratch + count, bs = scratch + 2 * count
        table.withUnsafeBufferPointer { table in
            let t = table.baseAddress!
            for p in 0..<count {
                rgb[3 * p] = code(rs[p], t)
                rgb[3 * p + 1] = code(gs[p], t)
                rgb[3 * p + 2] = code(bs[p], t)
            }
        }
    }

    /// The same codes into three rows, R then G then B (`3 * count` bytes at
    /// `planes`): what a conversion to Y′CbCr (`YCbCr420`) reads.
    public static func convert(l: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                               count: Int, intoPlanes planes: UnsafeMutablePointer<UInt8>,
                               scratch: UnsafeMutablePointer<Float>) {
        linear(l: l, a: a, b: b, count: count, into: scratch)
        table.withUnsafeBufferPointer { table in
            let t = table.baseAddress!
            for p in 0..<(3 * count) { planes[p] = code(scratch[p], t) }
        }
    }

    /// Linear R, G, B rows (`count` each, in that order) of L*, a*, b* rows.
    @inline(__always)
    private static func linear(l: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                               count: Int, into scratch: UnsafeMutablePointer<Float>) {
        let m = matrix
        let m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5], m6 = m[6], m7 = m[7], m8 = m[8]
        let wx = Float(CIELAB.white.x), wz = Float(CIELAB.white.z)
        let rs = scratch, gs = scratch + count, bs = scratch + 2 * count
        for p in 0..<count {
            let fy = (l[p] + 16) * (1 / 116 as Float)
            let fx = a[p] * (1 / 500 as Float) + fy
            let fz = max(fy - b[p] * (1 / 200 as Float), 0)
            let x = finv(fx) * wx, y = finv(fy), z = finv(fz) * wz
            rs[p] = m0 * x + m1 * y + m2 * z
            gs[p] = m3 * x + m4 * y + m5 * z
            bs[p] = m6 * x + m7 * y + m8 * z
        }
    }

    /// Convenience for tests and small images (allocates its scratch).
    public static func convert(l: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                               count: Int, into rgb: UnsafeMutablePointer<UInt8>) {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, 3 * count))
        defer { scratch.deallocate() }
        convert(l: l, a: a, b: b, count: count, into: rgb, scratch: scratch)
    }

    @inline(__always)
    static func finv(_ t: Float) -> Float {
        t > 0.2068966 ? t * t * t : (t - 16.0 / 116.0) / 7.787
    }

    /// The 8-bit code of linear value `c`: 0 at or below 0 (and for NaN), 255 at or above 1.
    @inline(__always)
    static func code(_ c: Float, _ table: UnsafePointer<Bin>) -> UInt8 {
        let x = c > 0 ? (c < 1 ? c : 1) : 0
        let bin = table[Int(x * Float(bins))]
        return UInt8(truncatingIfNeeded: bin.code &+ (x >= bin.next ? 1 : 0))
    }

    /// `code` as the thresholds define it, by searching them (for tests).
    static func referenceCode(_ c: Float) -> UInt8 {
        guard c > 0 else { return 0 }
        var k = 0
        while k < 255 && c >= thresholds[k + 1] { k += 1 }
        return UInt8(k)
    }
}
