/// Bilinear resampling of a float plane as PyTorch's
/// `F.interpolate(mode="bilinear", align_corners=False)`: output pixel `i`
/// samples input position `max(0, (i + ½)·m/n − ½)`, between inputs `⌊·⌋` and
/// the next one (clamped at the edge). Colorize uses it to bring the model's
/// a*b* up to the frame's resolution, one output row at a time so the row can
/// go straight into the RGB conversion.
public struct BilinearUpsampler: Sendable {
    public let inputWidth: Int, inputHeight: Int, outputWidth: Int, outputHeight: Int
    let x0: [Int32], x1: [Int32], wx: [Float]
    let y0: [Int32], y1: [Int32], wy: [Float]

    public init(from width: Int, _ height: Int, to outputWidth: Int, _ outputHeight: Int) {
        precondition(width > 0 && height > 0 && outputWidth > 0 && outputHeight > 0)
        inputWidth = width; inputHeight = height
        self.outputWidth = outputWidth; self.outputHeight = outputHeight
        (x0, x1, wx) = Self.taps(input: width, output: outputWidth)
        (y0, y1, wy) = Self.taps(input: height, output: outputHeight)
    }

    static func taps(input m: Int, output n: Int) -> ([Int32], [Int32], [Float]) {
        let scale = Double(m) / Double(n)
        var i0 = [Int32](), i1 = [Int32](), w = [Float]()
        for i in 0..<n {
            let source = max(0, (Double(i) + 0.5) * scale - 0.5)
            let lo = min(Int(source), m - 1)
            i0.append(Int32(lo))
            i1.append(Int32(min(lo + 1, m - 1)))
            w.append(Float(source - Double(lo)))
        }
        return (i0, i1, w)
    }

    /// Writes output row `y` of `plane` (`inputHeight × inputWidth`) times `scale` into `row`.
    @inline(__always)
    public func row(_ y: Int, of plane: UnsafePointer<Float>, scale: Float, into row: UnsafeMutablePointer<Float>) {
        self.row(y, of: plane, stride: inputWidth, scale: scale, into: row)
    }

    /// The same of a plane whose rows are `stride` values apart: a rectangle
    /// inside a larger plane (colorize's picture inside a padded network output).
    @inline(__always)
    public func row(_ y: Int, of plane: UnsafePointer<Float>, stride: Int, scale: Float, into row: UnsafeMutablePointer<Float>) {
        let top = plane + Int(y0[y]) * stride, bottom = plane + Int(y1[y]) * stride
        let b = wy[y] * scale, a = scale - b
        x0.withUnsafeBufferPointer { x0 in
            x1.withUnsafeBufferPointer { x1 in
                wx.withUnsafeBufferPointer { wx in
                    for x in 0..<outputWidth {
                        let l = Int(x0[x]), r = Int(x1[x]), f = wx[x]
                        let t = top[l] + f * (top[r] - top[l])
                        let u = bottom[l] + f * (bottom[r] - bottom[l])
                        row[x] = a * t + b * u
                    }
                }
            }
        }
    }
}
