/// `exp`, `tanh` and the logistic sigmoid in plain float arithmetic, so that
/// loops over them vectorise (glibc's `tanhf`/`expf` are opaque calls, ~20 ns
/// each). Within 2 ulps (exp) and 3 ulps (tanh, sigmoid) of the exact value
/// (FastMathTests); NaN stays NaN.
///
/// `e^z` is split as `2^k · e^r` with `k = round(z / ln 2)` and |r| ≤ ln2/2;
/// `e^r − 1` is its Taylor series to r⁷ (the next term is < 6e-9 of e^r, below
/// float precision), and 2^k is built in the exponent bits. Rounding uses the
/// 1.5·2²³ trick and k is read from the bits, so there is no Float→Int
/// conversion (which would trap on NaN and does not vectorise).
enum FastMath {
    /// ln 2 in two parts: `k · ln2High` is exact for |k| < 2⁹ (ln2High has 15 bits).
    private static let ln2High: Float = 0.693145751953125
    private static let ln2Low: Float = 1.428606765330187045e-06
    private static let log2e: Float = 1.4426950408889634
    /// 1.5 · 2²³: adding it rounds a float of magnitude < 2²² to an integer,
    /// which then sits in the low mantissa bits.
    private static let roundingMagic: Float = 12_582_912

    /// `(2^k, e^r − 1)` with `z = k·ln 2 + r`; `z` must lie in [−87, 88].
    @inline(__always)
    private static func split(_ z: Float) -> (scale: Float, expm1r: Float) {
        let shifted = z * log2e + roundingMagic
        let k = shifted - roundingMagic
        let kBits = Int32(bitPattern: shifted.bitPattern) &- Int32(bitPattern: roundingMagic.bitPattern)
        let r = (z - k * ln2High) - k * ln2Low
        let p = r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040)))))))
        let scale = Float(bitPattern: UInt32(bitPattern: (kBits &+ 127) &<< 23))
        return (scale, p)
    }

    /// `e^x`; arguments beyond [−87, 88] are clamped (results ~1.6e-38 and ~1.65e38).
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let z = x < -87 ? -87 : (x > 88 ? 88 : x)
        let (scale, p) = split(z)
        return scale * p + scale
    }

    /// `tanh x = (e^{2x} − 1) / (e^{2x} + 1)`, from e^{2x} − 1 directly so that
    /// small |x| keeps its relative precision, and for |x| with the sign put
    /// back (for x < 0 the quotient of two near-opposite terms loses a bit).
    /// Beyond |x| = 9, tanh rounds to ±1.
    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        let a = x.magnitude
        let z = a > 9 ? 18 : 2 * a
        let (scale, p) = split(z)
        let em1 = scale * p + (scale - 1)   // 2^k − 1 is exact for 0 ≤ k ≤ 24
        return Float(signOf: x, magnitudeOf: em1 / (em1 + 2))
    }

    /// `σ(x) = 1 / (1 + e^{−x})`.
    @inline(__always)
    static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exp(-x))
    }
}
