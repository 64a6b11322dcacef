/// Hasler & Süsstrunk's colourfulness (2003), on 8-bit values:
/// `rg = R − G`, `yb = ½(R + G) − B`, `M = σ_rgyb + 0.3·μ_rgyb` with
/// `σ_rgyb = √(σ_rg² + σ_yb²)`, `μ_rgyb = √(μ_rg² + μ_yb²)` (population σ).
///
/// Why it is in eval: an L1-trained colouriser that hedges paints everything
/// sepia-grey and still scores well on PSNR; comparing the output's M with the
/// truth's shows whether it dares to colour. Grey images score 0, the paper's
/// "extremely colourful" starts near 109.
public enum Colourfulness {
    public static func hasler(_ image: RGBImage) -> Double {
        let n = image.pixelCount
        guard n > 0 else { return 0 }
        var sumRG = 0.0, sumYB = 0.0, sumRG2 = 0.0, sumYB2 = 0.0
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let r = Double(p[3 * i]), g = Double(p[3 * i + 1]), b = Double(p[3 * i + 2])
                let rg = r - g, yb = 0.5 * (r + g) - b
                sumRG += rg
                sumYB += yb
                sumRG2 += rg * rg
                sumYB2 += yb * yb
            }
        }
        let count = Double(n)
        let meanRG = sumRG / count, meanYB = sumYB / count
        let varRG = max(0, sumRG2 / count - meanRG * meanRG)
        let varYB = max(0, sumYB2 / count - meanYB * meanYB)
        return (varRG + varYB).squareRoot() + 0.3 * (meanRG * meanRG + meanYB * meanYB).squareRoot()
    }
}
