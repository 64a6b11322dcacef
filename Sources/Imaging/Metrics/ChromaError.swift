
/// Mean absolute a*b* error: the mean over every pixel of both |Δa*| and |Δb*|
/// (so it is in CIELAB units, comparable with the 1…2 units of a just
/// noticeable difference). It scores the colour alone: the output's L is the
/// input's, so an RGB metric would mix in nothing but rounding.
public enum ChromaError {
    /// `predicted` and `truth` each hold an a* plane then a b* plane of the same size.
    public static func meanAbsolute(_ predicted: UnsafeBufferPointer<Float>,
                                    _ truth: UnsafeBufferPointer<Float>) throws -> Double {
        guard predicted.count == truth.count, !predicted.isEmpty, predicted.count % 2 == 0 else {
            throw MetricError("a*b* error: planes of \(predicted.count) and \(truth.count) values")
        }
        return meanAbsoluteDifference(predicted.baseAddress!, truth.baseAddress!, count: predicted.count)
    }

    /// The a* and b* planes of an sRGB image (docs/format.md §Colour, double precision).
    public static func abPlanes(of image: RGBImage) -> [Float] {
        let n = image.pixelCount
        var ab = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n {
            let lab = CIELAB.lab(r: image.pixels[3 * i], g: image.pixels[3 * i + 1], b: image.pixels[3 * i + 2])
            ab[i] = Float(lab.a)
            ab[n + i] = Float(lab.b)
        }
        return ab
    }

    /// Σ|a − b| / count, summed in Double.
    static func meanAbsoluteDifference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Double {
        var sum = 0.0
        var start = 0
        while start < count {
            // Float partial sums over short runs vectorise; Double keeps the total exact enough.
            let end = min(count, start + 4096)
            var partial: Float = 0
            for i in start..<end { partial += abs(a[i] - b[i]) }
            sum += Double(partial)
            start = end
        }
        return sum / Double(count)
    }
}
