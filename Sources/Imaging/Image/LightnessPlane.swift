
/// sRGB 8-bit (rgb24) → CIELAB L* plane, in float, as docs/format.md §Colour defines L*:
/// `L = 116·f(Y) − 16` with `Y` the linearised values through the matrix's
/// middle row. Colour and grey input alike: colorize keeps only L.
///
/// Speed (a 768×576 frame is 442k pixels, 20+ times a second): Y is three
/// lookups in 256-entry tables, and the cube root is an exponent bit trick
/// refined by two Newton steps (relative error ~1e-7, far below what 8-bit
/// output can show). A grey pixel (r = g = b: all of a black-and-white film)
/// takes its L* from a 256-entry table of the same arithmetic instead, so it
/// costs one lookup and gives the very same float.
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

    /// `grey[v]`: L* of the pixel (v, v, v), computed as `lightness` computes it.
    static let grey: [Float] = tables.withUnsafeBufferPointer { t in
        (0..<256).map { lightness(UInt8($0), UInt8($0), UInt8($0), t.baseAddress!) }
    }

    /// Writes `pixels` L* values (0…100) for the rgb24 pixels at `rgb`.
    public static func compute(rgb: UnsafePointer<UInt8>, pixels: Int, into l: UnsafeMutablePointer<Float>) {
        tables.withUnsafeBufferPointer { t in
            grey.withUnsafeBufferPointer { grey in
                let t = t.baseAddress!, grey = grey.baseAddress!
                for p in 0..<pixels {
                    let r = rgb[3 * p], g = rgb[3 * p + 1], b = rgb[3 * p + 2]
                    l[p] = r == g && g == b ? grey[Int(r)] : lightness(r, g, b, t)
                }
            }
        }
    }

    /// L* of one pixel: Y from the three tables (at `t`), then `116·f(Y) − 16`.
    @inline(__always)
    static func lightness(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ t: UnsafePointer<Float>) -> Float {
        let y = t[Int(r)] + t[256 + Int(g)] + t[512 + Int(b)]
        return 116 * f(y) - 16
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
