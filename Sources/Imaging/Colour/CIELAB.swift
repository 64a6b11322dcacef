import Foundation

/// The colour maths of docs/format.md §Colour in double precision, formula by formula as
/// scikit-image's `rgb2lab` / `lab2rgb` do it. This is the reference the fast
/// frame converter (`Lab8Converter`) and the tests are checked against; it is
/// also what `LabCodec` uses to turn network output back into sRGB.
public enum CIELAB {
    /// sRGB → XYZ (D65), the matrix scikit-image uses.
    public static let xyzFromRGB: [[Double]] = [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
    /// D65 white, 2° observer.
    public static let white: (x: Double, y: Double, z: Double) = (0.95047, 1.0, 1.08883)

    /// The inverse matrix, computed once (scikit-image uses `linalg.inv` too).
    public static let rgbFromXYZ: [[Double]] = invert3x3(xyzFromRGB)

    /// sRGB 8-bit value → linear light in [0, 1].
    @inlinable
    public static func linearise(_ v: UInt8) -> Double {
        let c = Double(v) / 255
        return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
    }

    @inlinable
    static func f(_ t: Double) -> Double {
        t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116.0
    }

    /// sRGB 8-bit → (L*, a*, b*).
    public static func lab(r: UInt8, g: UInt8, b: UInt8) -> (l: Double, a: Double, b: Double) {
        let rl = linearise(r), gl = linearise(g), bl = linearise(b)
        let m = xyzFromRGB
        let x = (m[0][0] * rl + m[0][1] * gl + m[0][2] * bl) / white.x
        let y = (m[1][0] * rl + m[1][1] * gl + m[1][2] * bl) / white.y
        let z = (m[2][0] * rl + m[2][1] * gl + m[2][2] * bl) / white.z
        let fx = f(x), fy = f(y), fz = f(z)
        return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))
    }

    /// (L*, a*, b*) → sRGB in [0, 1] per channel, clipped, as `lab2rgb` returns it.
    public static func rgb(l: Double, a: Double, b: Double) -> (r: Double, g: Double, b: Double) {
        let fy = (l + 16) / 116
        let fx = a / 500 + fy
        var fz = fy - b / 200
        if fz < 0 { fz = 0 }
        func finv(_ t: Double) -> Double { t > 0.2068966 ? t * t * t : (t - 16.0 / 116.0) / 7.787 }
        let x = finv(fx) * white.x, y = finv(fy) * white.y, z = finv(fz) * white.z
        let m = rgbFromXYZ
        func gamma(_ c: Double) -> Double {
            let v = c > 0.0031308 ? 1.055 * pow(c, 1 / 2.4) - 0.055 : c * 12.92
            return min(max(v, 0), 1)
        }
        return (gamma(m[0][0] * x + m[0][1] * y + m[0][2] * z),
                gamma(m[1][0] * x + m[1][1] * y + m[1][2] * z),
                gamma(m[2][0] * x + m[2][1] * y + m[2][2] * z))
    }

    /// (L*, a*, b*) → sRGB 8-bit, rounding half away from zero.
    public static func rgb8(l: Double, a: Double, b: Double) -> (r: UInt8, g: UInt8, b: UInt8) {
        let c = rgb(l: l, a: a, b: b)
        return (UInt8((c.r * 255).rounded()), UInt8((c.g * 255).rounded()), UInt8((c.b * 255).rounded()))
    }

    /// The lab8 code of each channel (docs/format.md §lab8): round(L·255/100), round(a)+128,
    /// round(b)+128, clipped to 0…255; rounding half away from zero.
    public static func lab8(l: Double, a: Double, b: Double) -> (l: UInt8, a: UInt8, b: UInt8) {
        func clip(_ v: Double) -> UInt8 { UInt8(min(max(v, 0), 255)) }
        return (clip((l * 255 / 100).rounded()), clip(a.rounded() + 128), clip(b.rounded() + 128))
    }

    /// The (L*, a*, b*) a lab8 code stands for.
    @inlinable
    public static func lab(fromLab8 l: UInt8, _ a: UInt8, _ b: UInt8) -> (l: Double, a: Double, b: Double) {
        (Double(l) * 100 / 255, Double(a) - 128, Double(b) - 128)
    }

    static func invert3x3(_ m: [[Double]]) -> [[Double]] {
        let (a, b, c) = (m[0][0], m[0][1], m[0][2])
        let (d, e, f) = (m[1][0], m[1][1], m[1][2])
        let (g, h, i) = (m[2][0], m[2][1], m[2][2])
        let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
        return [
            [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
            [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
            [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
        ]
    }
}
