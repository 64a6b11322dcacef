/// Converts interleaved sRGB 8-bit frames (ffmpeg's rgb24) to planar lab8
/// `[3, H, W]` fast enough for hundreds of frames a second.
///
/// Exactness: the result equals `CIELAB.lab8` of the double-precision formulas
/// within one code (in practice it differs only where a value sits within float
/// rounding of a .5 boundary). Speed comes from:
/// - linearisation + matrix as nine 256-entry tables (each XYZ component is a sum of
///   three table entries, already divided by the white point),
/// - a cube root from an exponent bit trick refined by two Newton steps in float
///   (exact to ~1e-6 over t in [0.008856, 1.1]),
/// - after the table pass, passes that are pure arithmetic over contiguous float
///   arrays, which the compiler vectorises (no table lookups, traps or branches).
/// One converter per thread: it owns its scratch buffers.
public final class Lab8Converter {
    /// tables[k * 256 + v]: contribution of channel value v to component k/white,
    /// k = 3·row + column of the sRGB→XYZ matrix.
    private let tables: UnsafeMutablePointer<Float>
    private var scratch: UnsafeMutablePointer<Float>
    private var capacity = 0

    public init() {
        tables = .allocate(capacity: 9 * 256)
        let white = [CIELAB.white.x, CIELAB.white.y, CIELAB.white.z]
        for v in 0..<256 {
            let lin = CIELAB.linearise(UInt8(v))
            for row in 0..<3 {
                for column in 0..<3 {
                    tables[(3 * row + column) * 256 + v] = Float(CIELAB.xyzFromRGB[row][column] * lin / white[row])
                }
            }
        }
        scratch = .allocate(capacity: 1)
    }

    deinit {
        tables.deallocate()
        scratch.deallocate()
    }

    /// Converts `pixels` rgb24 pixels into `lab`: L plane, then a, then b
    /// (each `pixels` long).
    public func convert(rgb: UnsafePointer<UInt8>, pixels: Int, lab: UnsafeMutablePointer<UInt8>) {
        if capacity < pixels {
            scratch.deallocate()
            scratch = .allocate(capacity: 3 * pixels)
            capacity = pixels
        }
        let xs = scratch, ys = scratch + pixels, zs = scratch + 2 * pixels
        // Pass 1: table lookups (gathers) to X/Xn, Y/Yn, Z/Zn.
        let t = tables
        for p in 0..<pixels {
            let r = Int(rgb[3 * p]), g = Int(rgb[3 * p + 1]) &+ 256, b = Int(rgb[3 * p + 2]) &+ 512
            xs[p] = t[r] + t[g] + t[b]
            ys[p] = t[768 + r] + t[768 + g] + t[768 + b]
            zs[p] = t[1536 + r] + t[1536 + g] + t[1536 + b]
        }
        // Pass 2: f() over all three planes; straight-line float arithmetic the
        // compiler vectorises (the branch is a select).
        for i in 0..<(3 * pixels) { scratch[i] = Self.f(scratch[i]) }
        // Pass 3: L/a/b and their lab8 codes, one plane at a time (vectorised too).
        let lOut = lab, aOut = lab + pixels, bOut = lab + 2 * pixels
        for p in 0..<pixels { lOut[p] = Self.code((116 * ys[p] - 16) * (255 / 100 as Float)) }
        for p in 0..<pixels { aOut[p] = Self.code(500 * (xs[p] - ys[p]) + 128) }
        for p in 0..<pixels { bOut[p] = Self.code(200 * (ys[p] - zs[p]) + 128) }
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
