import Foundation

/// Structural similarity of two sRGB 8-bit images (Wang et al. 2004), computed
/// per channel and averaged over R, G, B, exactly as scikit-image's
/// `structural_similarity(x, y, channel_axis=-1, data_range=255,
/// gaussian_weights=True, sigma=1.5, use_sample_covariance=False)` does it:
///
/// - local means, variances and covariance from an 11×11 Gaussian window
///   (σ 1.5, truncated at 3.5σ, normalised), applied separably with scipy's
///   `reflect` boundary (`d c b a | a b c d | d c b a`);
/// - `S = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))`,
///   `C1 = (0.01·255)²`, `C2 = (0.03·255)²`, population (biased) moments;
/// - the mean of S over the image minus a 5-pixel border (where the window
///   reaches outside), then the mean over the three channels.
///
/// Images must be at least 11×11, as scikit-image requires.
public enum SSIM {
    public static let sigma = 1.5
    public static let radius = 5
    public static let c1 = (0.01 * 255.0) * (0.01 * 255.0)
    public static let c2 = (0.03 * 255.0) * (0.03 * 255.0)

    /// The normalised 1-D Gaussian, 2·radius + 1 taps.
    static let kernel: [Double] = {
        let raw = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }()

    public static func rgb8(_ x: RGBImage, _ y: RGBImage) throws -> Double {
        try MetricError.requireSameSize(x, y, "SSIM")
        let side = 2 * radius + 1
        guard x.width >= side, x.height >= side else {
            throw MetricError("SSIM: images must be at least \(side)×\(side), got \(x.width)×\(x.height)")
        }
        var total = 0.0
        for channel in 0..<3 {
            total += channelSSIM(x, y, channel: channel)
        }
        return total / 3
    }

    /// Mean SSIM of one channel (0 = R, 1 = G, 2 = B).
    static func channelSSIM(_ x: RGBImage, _ y: RGBImage, channel: Int) -> Double {
        let w = x.width, h = x.height, n = w * h
        // Five moment planes, filtered in place: x, y, x², y², xy.
        var planes = [Double](repeating: 0, count: 5 * n)
        var scratch = [Double](repeating: 0, count: n)
        planes.withUnsafeMutableBufferPointer { p in
            x.pixels.withUnsafeBufferPointer { xs in
                y.pixels.withUnsafeBufferPointer { ys in
                    for i in 0..<n {
                        let a = Double(xs[3 * i + channel]), b = Double(ys[3 * i + channel])
                        p[i] = a
                        p[n + i] = b
                        p[2 * n + i] = a * a
                        p[3 * n + i] = b * b
                        p[4 * n + i] = a * b
                    }
                }
            }
            scratch.withUnsafeMutableBufferPointer { s in
                for k in 0..<5 {
                    gaussianFilter(p.baseAddress! + k * n, width: w, height: h, scratch: s.baseAddress!)
                }
            }
        }
        var sum = 0.0
        for row in radius..<(h - radius) {
            for column in radius..<(w - radius) {
                let i = row * w + column
                let mx = planes[i], my = planes[n + i]
                let vx = planes[2 * n + i] - mx * mx
                let vy = planes[3 * n + i] - my * my
                let vxy = planes[4 * n + i] - mx * my
                sum += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
            }
        }
        return sum / Double((h - 2 * radius) * (w - 2 * radius))
    }

    /// scipy's `reflect` index for a position up to `radius` outside `0..<n` (n > radius).
    @inline(__always)
    static func reflect(_ i: Int, _ n: Int) -> Int {
        i < 0 ? -i - 1 : (i >= n ? 2 * n - i - 1 : i)
    }

    /// Separable Gaussian in place: rows into `scratch`, then columns back.
    static func gaussianFilter(_ plane: UnsafeMutablePointer<Double>, width w: Int, height h: Int,
                               scratch: UnsafeMutablePointer<Double>) {
        kernel.withUnsafeBufferPointer { k in
            for row in 0..<h {
                let src = plane + row * w, dst = scratch + row * w
                for column in 0..<w {
                    var acc = 0.0
                    for t in -radius...radius {
                        acc += k[t + radius] * src[reflect(column + t, w)]
                    }
                    dst[column] = acc
                }
            }
            for row in 0..<h {
                let dst = plane + row * w
                for column in 0..<w {
                    var acc = 0.0
                    for t in -radius...radius {
                        acc += k[t + radius] * scratch[reflect(row + t, h) * w + column]
                    }
                    dst[column] = acc
                }
            }
        }
    }
}
