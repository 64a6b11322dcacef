
/// sRGB 8-bit (rgb24) → CIELAB L* plane, in float, as docs/format.md §Colour defines L*:
/// `L = 116·f(Y) − 16` with `Y` the linearised values through the matrix's
/// middle row. Colour and grey input alike: colorize keeps only L.
///
/// Speed (a 768×576 frame is 442k pixels, 20+ times a second): Y is three
/// lookups in 256-entry tables, and the cube root is an exponent bit trick
/// refined by two Newton steps (relative error ~1e-7, far below what 8-bit
/// output can show).
public enum LightnessPlane {
    /// `tables[k*256 + v]` = linearise(v) · M[1][k] (Y's white is 1).
    static let tables: [Float] = {
        var t = [Float](repeating: 0, count: 3 * 256)
        for v in 0..<256 {
            let lin = CIELAB.linearise(UInt8(v))
            for k in 0..<3 { t[k * 256 + v] = Float(CIELAB.xyzFromRGB[1][k] * lin / CIELAB.white.y) }
        }
        return t
    }()

    /// Writes `pixels` L* values (0…100) for the rgb24 pixels at `rgb`.
    public static func compute(rgb: UnsafePointer<UInt8>, pixels: Int, into l: UnsafeMutablePointer<Float>) {
        tables.withUnsafeBufferPointer { t in
            let t0 = t.baseAddress!, t1 = t0 + 256, t2 = t0 + 512
            for p in 0..<pixels {
                let y = t0[Int(rgb[3 * p])] + t1[Int(rgb[3 * p + 1])] + t2[Int(rgb[3 * p + 2])]
                l[p] = 116 * f(y) - 16
            }
        }
    }

    /// CIELAB's f(t) for t ≥ 0.
    @inline(__always)
    static func f(_ t: Float) -> Float {
        t > 0.008856 ? cubeRoot(t) : 7.787 * t + 16.0 / 116.0
    }

    /// ∛t for t > 0: a first guess from the bit pattern (exponent ÷ 3), then Newton.
    @inline(__always)
    static func cubeRoot(_ t: Float) -> Float {
        var y = Float(bitPattern: t.bitPattern / 3 &+ 0x2A51_4067)
        y = (2 * y + t / (y * y)) * (1 / 3 as Float)
        y = (2 * y + t / (y * y)) * (1 / 3 as Float)
        return y
    }
}
