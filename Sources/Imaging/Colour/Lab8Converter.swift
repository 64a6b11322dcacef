/// Converts interleaved sRGB 8-bit frames (ffmpeg's rgb24) to planar lab8
/// `[3, H, W]` fast enough for hundreds of frames a second.
///
/// Exactness: the result equals `CIELAB.lab8` of the double-precision formulas
/// within one code (in practice it differs only where a value sits within float
/// rounding of a .5 boundary). Speed comes from:
/// - linearisation + matrix as three 256-entry tables of (X, Y, Z) contributions,
///   one per channel, already divided by the white point: a pixel's XYZ is R's
///   entry + G's + B's, three SIMD4 loads and two adds,
/// - a cube root from an exponent bit trick refined by two Newton steps in float
///   (exact to ~1e-6 over t in [0.008856, 1.1]),
/// - after the table pass, passes that are pure arithmetic over contiguous float
///   arrays, which the compiler vectorises (no table lookups, traps or branches),
///   a block of pixels at a time so that the arrays stay in the L1 cache.
/// One converter per thread: it owns its scratch buffers.
public final class Lab8Converter {
    /// tables[c * 256 + v]: contribution of value v of channel c (R, G, B) to
    /// (X/Xn, Y/Yn, Z/Zn, 0), column c of the sRGB→XYZ matrix.
    private let tables: UnsafeMutablePointer<SIMD4<Float>>
    /// X, Y, Z (then f of them) of one block of pixels, plane by plane.
    private let scratch: UnsafeMutablePointer<Float>
    /// Pixels converted at a time: small enough that the block's planes
    /// (24 KiB) stay in the L1 cache between the passes.
    static let block = 2048

    public init() {
        tables = .allocate(capacity: 3 * 256)
        let white = [CIELAB.white.x, CIELAB.white.y, CIELAB.white.z]
        for v in 0..<256 {
            let lin = CIELAB.linearise(UInt8(v))
            for column in 0..<3 {
                var entry = SIMD4<Float>(repeating: 0)
                for row in 0..<3 { entry[row] = Float(CIELAB.xyzFromRGB[row][column] * lin / white[row]) }
                tables[column * 256 + v] = entry
            }
        }
        scratch = .allocate(capacity: 3 * Self.block)
    }

    deinit {
        tables.deallocate()
        scratch.deallocate()
    }

    /// Converts `pixels` rgb24 pixels into `lab`: L plane, then a, then b
    /// (each `pixels` long).
    public func convert(rgb: UnsafePointer<UInt8>, pixels: Int, lab: UnsafeMutablePointer<UInt8>) {
        let t = tables
        var start = 0
        while start < pixels {
            let n = min(Self.block, pixels - start)
            let xs = scratch, ys = scratch + n, zs = scratch + 2 * n
            let source = rgb + 3 * start
            // Pass 1: three table lookups a pixel to X/Xn, Y/Yn, Z/Zn.
            for p in 0..<n {
                let xyz = t[Int(source[3 &* p])] + t[256 &+ Int(source[3 &* p &+ 1])] + t[512 &+ Int(source[3 &* p &+ 2])]
                xs[p] = xyz.x
                ys[p] = xyz.y
                zs[p] = xyz.z
            }
            // Pass 2: f() over all three planes; straight-line float arithmetic the
            // compiler vectorises (the branch is a select).
            for i in 0..<(3 * n) { scratch[i] = Self.f(scratch[i]) }
            // Pass 3: L/a/b and their lab8 codes, one plane at a time (vectorised too).
            let lOut = lab + start, aOut = lab + pixels + start, bOut = lab + 2 * pixels + start
            for p in 0..<n { lOut[p] = Self.code((116 * ys[p] - 16) * (255 / 100 as Float)) }
            for p in 0..<n { aOut[p] = Self.code(500 * (xs[p] - ys[p]) + 128) }
            for p in 0..<n { bOut[p] = Self.code(200 * (ys[p] - zs[p]) + 128) }
            start += n
        }
    }

    /// CIELAB's f(t), t ≥ 0 (XYZ of sRGB colours is never negative).
    @inline(__always)
    static func f(_ t: Float) -> Float {
        // Cube root: divide the exponent by three through the bit pattern, then Newton.
        var y = Float(bitPattern: t.bitPattern / 3 &+ 0x2A51_4067)
        y = (2 * y + t / (y * y)) * (1 / 3 as Float)
        y = (2 * y + t / (y * y)) * (1 / 3 as Float)
        let linear = 7.787 * t + (16.0 / 116.0 as Float)
        return t > 0.008856 ? y : linear
    }

    /// `v` clipped to 0…255 and rounded to the nearest integer.
    ///
    /// Adding 1.5·2²³ leaves the rounded integer in the low mantissa bits (the
    /// float unit rounds), which unlike `Int32(v)` has no trap path and so
    /// vectorises. It rounds exact .5 ties to even rather than away from zero;
    /// such ties are as rare as float noise at a .5 boundary, and both stay
    /// within the one-code contract (checked against scikit-image in the tests).
    @inline(__always)
    static func code(_ v: Float) -> UInt8 {
        UInt8(truncatingIfNeeded: (min(max(v, 0), 255) + 12_582_912).bitPattern)
    }
}
