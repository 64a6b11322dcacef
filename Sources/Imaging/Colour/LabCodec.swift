/// lab8 ⇄ network tensors (docs/format.md §Colour): `L_in = L/50 − 1` with `L = code·100/255`,
/// `ab = (code − 128)/110`; and back from network output to sRGB 8-bit.
///
/// Planes are NCHW-style: a lab8 frame is `[3, H, W]` (L, a, b planes); the network
/// sees L as `[1, H, W]` and ab as `[2, H, W]` per frame.
public enum LabCodec {
    /// The network's normalisation, defined here once: `L_in = L/lightnessHalfRange − 1`
    /// (L* 0…100 → −1…1) and `ab_in = ab/chromaRange`.
    public static let lightnessHalfRange = 50.0
    public static let chromaRange = 110.0

    /// The network's L input for a lightness L*.
    @inlinable public static func network(lightness L: Float) -> Float { L / Float(lightnessHalfRange) - 1 }

    /// L_in for each L code.
    static let lTable: [Float] = (0..<256).map { Float(Double($0) * 100 / 255 / lightnessHalfRange - 1) }
    /// ab/110 for each a or b code.
    static let abTable: [Float] = (0..<256).map { Float((Double($0) - 128) / chromaRange) }

    /// Splits `frames` lab8 frames of `pixels` pixels each into the network's L
    /// input (`frames × pixels`) and ab target (`frames × 2 × pixels`).
    public static func lab8ToNetwork(_ lab8: UnsafePointer<UInt8>, frames: Int, pixels: Int,
                                     l: UnsafeMutablePointer<Float>, ab: UnsafeMutablePointer<Float>) {
        lTable.withUnsafeBufferPointer { lt in
            abTable.withUnsafeBufferPointer { abt in
                for frame in 0..<frames {
                    let src = lab8 + frame * 3 * pixels
                    let lDst = l + frame * pixels, abDst = ab + frame * 2 * pixels
                    for p in 0..<pixels { lDst[p] = lt[Int(src[p])] }
                    for p in 0..<(2 * pixels) { abDst[p] = abt[Int(src[pixels + p])] }
                }
            }
        }
    }

    /// L* of a network L input value.
    @inlinable public static func lightness(fromNetwork v: Float) -> Double { (Double(v) + 1) * lightnessHalfRange }
    /// a* or b* of a network ab value.
    @inlinable public static func chroma(fromNetwork v: Float) -> Double { Double(v) * chromaRange }

    /// Turns network L input and ab output planes (`pixels` each; ab is a plane
    /// then b plane) into interleaved sRGB 8-bit (rgb24), via `CIELAB.rgb8`.
    public static func networkToRGB8(l: UnsafePointer<Float>, ab: UnsafePointer<Float>, pixels: Int,
                                     rgb: UnsafeMutablePointer<UInt8>) {
        for p in 0..<pixels {
            let c = CIELAB.rgb8(l: lightness(fromNetwork: l[p]), a: chroma(fromNetwork: ab[p]),
                                b: chroma(fromNetwork: ab[pixels + p]))
            rgb[3 * p] = c.r
            rgb[3 * p + 1] = c.g
            rgb[3 * p + 2] = c.b
        }
    }

    /// A stored lab8 frame (`[3, H, W]`) back to interleaved sRGB 8-bit.
    public static func lab8ToRGB8(_ lab8: UnsafePointer<UInt8>, pixels: Int, rgb: UnsafeMutablePointer<UInt8>) {
        for p in 0..<pixels {
            let v = CIELAB.lab(fromLab8: lab8[p], lab8[pixels + p], lab8[2 * pixels + p])
            let c = CIELAB.rgb8(l: v.l, a: v.a, b: v.b)
            rgb[3 * p] = c.r
            rgb[3 * p + 1] = c.g
            rgb[3 * p + 2] = c.b
        }
    }
}
