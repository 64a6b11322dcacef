/// Resizes a float plane by area averaging, exactly PyTorch's
/// `F.interpolate(mode="area")` (= `adaptive_avg_pool2d`): output pixel `i`
/// of `n` from `m` inputs averages inputs `⌊i·m/n⌋ ..< ⌈(i+1)·m/n⌉`. This is
/// how colorize brings a frame's L to the model's size (either direction;
/// windows are then 1–2 pixels wide when enlarging).
///
/// The window is a product of a row range and a column range with equal
/// weights, so it is done separably (columns, then rows) over a scratch plane
/// that is kept between calls.
public final class AreaResizer {
    public let inputWidth: Int, inputHeight: Int, outputWidth: Int, outputHeight: Int
    private let columns: [Range<Int>]
    private let rows: [Range<Int>]
    private var scratch: [Float]

    public init(from width: Int, _ height: Int, to outputWidth: Int, _ outputHeight: Int) {
        precondition(width > 0 && height > 0 && outputWidth > 0 && outputHeight > 0)
        inputWidth = width; inputHeight = height
        self.outputWidth = outputWidth; self.outputHeight = outputHeight
        columns = Self.windows(input: width, output: outputWidth)
        rows = Self.windows(input: height, output: outputHeight)
        scratch = [Float](repeating: 0, count: height * outputWidth)
    }

    static func windows(input m: Int, output n: Int) -> [Range<Int>] {
        (0..<n).map { i in (i * m / n)..<(((i + 1) * m + n - 1) / n) }
    }

    /// `input` is `inputHeight × inputWidth`, `output` `outputHeight × outputWidth`.
    public func resize(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let w = inputWidth, ow = outputWidth
        scratch.withUnsafeMutableBufferPointer { s in
            let tmp = s.baseAddress!
            for y in 0..<inputHeight {
                let src = input + y * w, dst = tmp + y * ow
                for (x, window) in columns.enumerated() {
                    var sum: Float = 0
                    for k in window { sum += src[k] }
                    dst[x] = sum / Float(window.count)
                }
            }
            for (y, window) in rows.enumerated() {
                let dst = output + y * ow
                for x in 0..<ow { dst[x] = 0 }
                for k in window {
                    let src = tmp + k * ow
                    for x in 0..<ow { dst[x] += src[x] }
                }
                let scale = 1 / Float(window.count)
                for x in 0..<ow { dst[x] *= scale }
            }
        }
    }
}
