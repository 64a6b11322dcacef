/// `y = x` for `x > 0`, `slope · x` otherwise (pix2pix's encoder uses slope 0.2).
///
/// Backward needs the sign of the input, so forward keeps a reference to `x`;
/// at `x = 0` the derivative is `slope`, as in PyTorch (`x > 0 ? 1 : slope`).
public final class LeakyReLU: ElementwiseLayer {
    public let slope: Float
    private let output = Tensor(Shape(0, 0))
    let inputGradient = Tensor(Shape(0, 0))
    private var input: Tensor?

    /// Elements per thread below which a loop stays on one thread.
    static let grain = 1 << 15

    public init(slope: Float = 0.2) {
        self.slope = slope
    }

    public func forward(_ x: Tensor) -> Tensor {
        input = x
        output.resize(x.shape)
        let src = x.data, dst = output.data, slope = slope
        ParallelChunks.run(x.count, grain: Self.grain) { r in
            for i in r {
                let v = src[i]
                dst[i] = v > 0 ? v : v * slope
            }
        }
        return output
    }

    func backward(_ dy: Tensor, into dst: Tensor) {
        guard let x = input else { preconditionFailure("LeakyReLU.backward before forward") }
        precondition(dy.shape == x.shape, "LeakyReLU.backward: gradient \(dy.shape) for input \(x.shape)")
        let src = x.data, g = dy.data, d = dst.data, slope = slope
        ParallelChunks.run(x.count, grain: Self.grain) { r in
            for i in r {
                d[i] = src[i] > 0 ? g[i] : g[i] * slope
            }
        }
    }
}
