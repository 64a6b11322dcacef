import Foundation

/// Peak signal-to-noise ratio of two sRGB 8-bit images, over all three channels:
/// `10·log10(255² / MSE)` with MSE the mean squared difference of every R, G
/// and B value.
///
/// Identical images have MSE 0 and an infinite PSNR, which would poison every
/// mean it enters; we report `cap` (100 dB) instead. The cap only merges tiny
/// differences: a single value off by one in a 768×576 frame is already 109 dB,
/// so read 100 as "identical, or all but a handful of values".
public enum PSNR {
    public static let cap = 100.0

    public static func rgb8(_ a: RGBImage, _ b: RGBImage) throws -> Double {
        try MetricError.requireSameSize(a, b, "PSNR")
        guard !a.pixels.isEmpty else { throw MetricError("PSNR: empty images") }
        var sum = 0.0
        a.pixels.withUnsafeBufferPointer { x in
            b.pixels.withUnsafeBufferPointer { y in
                // Integer squared differences summed per row: exact, and fast.
                let n = x.count
                var start = 0
                while start < n {
                    let end = min(n, start + 65_536)
                    var partial = 0
                    for i in start..<end {
                        let d = Int(x[i]) - Int(y[i])
                        partial += d * d
                    }
                    sum += Double(partial)
                    start = end
                }
            }
        }
        return fromMSE(sum / Double(a.pixels.count))
    }

    /// PSNR for 8-bit data of the given mean squared error, capped at `cap`.
    public static func fromMSE(_ mse: Double) -> Double {
        guard mse > 0 else { return cap }
        return min(cap, 10 * log10(255 * 255 / mse))
    }
}
