/// sRGB 8-bit codes → Y′CbCr 4:2:0 with the BT.601 matrix in limited range
/// (Y′ 16…235, Cb and Cr 16…240): what ffmpeg's swscale makes of an rgb24
/// frame for a yuv420p encoder, so colorize can hand its encoder Y′CbCr
/// directly (no swscale pass in the encoder, half the pipe's bytes) and the
/// video comes out as it did from rgb24.
///
/// - Y′ is swscale's own integer arithmetic: BT.601's weights × 219/255 in
///   units of 2⁻¹⁵ (8414, 16519, 3208: swscale derives them from its
///   Y′CbCr → RGB table, which makes green 16519 where the nearest integer is
///   16520), rounded to 1/64 of a code and then to a code. Equal to ffmpeg
///   5.1's for every one of the 2²⁴ colours
///   (`YCbCr420Tests.testLumaIsSwscalesForEveryColour` pins the arithmetic;
///   `ColorizeCLITests.testVideoIsBT601LimitedRangeTagged` the real encoder).
/// - Cb and Cr are the BT.601 weights × 224/255 (nearest integers in units of
///   2⁻¹⁵) of the sum of each 2×2 block of pixels, rounded once: the block's
///   mean colour, sited at the block's centre, which is where swscale puts a
///   4:2:0 chroma sample by default. swscale itself averages pixel pairs
///   across and filters down the rows with its bicubic scaler, whose SIMD
///   arithmetic rounds about 1/8 of a code low; on flat colour the two differ
///   by at most one code, and on colorize's output (its colour is upsampled
///   from the network's small picture, so it is smooth) by about as much
///   (docs/colorize.md gives the measured differences).
public enum YCbCr420 {
    /// Y′ weights of R, G, B in units of 2⁻¹⁵.
    static let lumaWeights: (r: Int32, g: Int32, b: Int32) = (8414, 16519, 3208)
    /// Cb and Cr weights: (−0.168736, −0.331264, 0.5) and (0.5, −0.418688,
    /// −0.081312) × 224/255, in units of 2⁻¹⁵, each the nearest integer.
    static let cbWeights: (r: Int32, g: Int32, b: Int32) = (-4857, -9535, 14392)
    static let crWeights: (r: Int32, g: Int32, b: Int32) = (14392, -12052, -2341)

    /// Y′ of `count` pixels whose codes are the rows `r`, `g`, `b`.
    public static func luma(r: UnsafePointer<UInt8>, g: UnsafePointer<UInt8>, b: UnsafePointer<UInt8>,
                            count: Int, into y: UnsafeMutablePointer<UInt8>) {
        let wr = lumaWeights.r, wg = lumaWeights.g, wb = lumaWeights.b
        // 16 and half of a 64th, in units of 2⁻¹⁵.
        let offset: Int32 = (16 << 15) + (1 << 8)
        for p in 0..<count {
            let weighted: Int32 = wr &* Int32(r[p]) &+ wg &* Int32(g[p]) &+ wb &* Int32(b[p])
            let sixtyFourths: Int32 = (weighted &+ offset) &>> 9
            y[p] = UInt8(truncatingIfNeeded: (sixtyFourths &+ 32) &>> 6)
        }
    }

    /// Cb and Cr of the 2×2 blocks of two rows of `count` pixels (even):
    /// `count / 2` values each. `top` and `bottom` hold a row's R, G and B
    /// codes one after another (`3 * count` bytes, as
    /// `LabToRGB8.convert(…intoPlanes:…)` writes them).
    public static func chroma(top: UnsafePointer<UInt8>, bottom: UnsafePointer<UInt8>, count: Int,
                              cb: UnsafeMutablePointer<UInt8>, cr: UnsafeMutablePointer<UInt8>) {
        let r0 = top, g0 = top + count, b0 = top + 2 * count
        let r1 = bottom, g1 = bottom + count, b1 = bottom + 2 * count
        let (ur, ug, ub) = cbWeights, (vr, vg, vb) = crWeights
        // The sums of four codes carry two more bits: 2⁻¹⁷, plus 128 and a half.
        let offset: Int32 = (128 << 17) + (1 << 16)
        for i in 0..<(count / 2) {
            let p = 2 * i, q = 2 * i + 1
            let r: Int32 = Int32(r0[p]) &+ Int32(r0[q]) &+ Int32(r1[p]) &+ Int32(r1[q])
            let g: Int32 = Int32(g0[p]) &+ Int32(g0[q]) &+ Int32(g1[p]) &+ Int32(g1[q])
            let b: Int32 = Int32(b0[p]) &+ Int32(b0[q]) &+ Int32(b1[p]) &+ Int32(b1[q])
            let u: Int32 = ur &* r &+ ug &* g &+ ub &* b &+ offset
            let v: Int32 = vr &* r &+ vg &* g &+ vb &* b &+ offset
            cb[i] = UInt8(truncatingIfNeeded: u &>> 17)
            cr[i] = UInt8(truncatingIfNeeded: v &>> 17)
        }
    }
}
