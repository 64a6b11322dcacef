/// `y = max(x, 0)`.
///
/// Backward masks by the output (`y > 0`), as PyTorch's `threshold_backward`
/// does, so the derivative at `x = 0` is 0. Forward keeps a reference to its
/// own output, which stays valid until the next `forward`.
public final class ReLU: ElementwiseLayer {
    private let output = Tensor(Shape(0, 0))
    let inputGradient = Tensor(Shape(0, 0))
    private var hasOutput = false

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        output.resize(x.shape)
        let src = x.data, dst = output.data
        ParallelChunks.run(x.count, grain: LeakyReLU.grain) { r in
            for i in r {
                let v = src[i]
                dst[i] = v > 0 ? v : 0
            }
        }
        hasOutput = true
        return output
    }

    func backward(_ dy: Tensor, into dst: Tensor) {
        precondition(hasOutput, "ReLU.backward before forward")
        precondition(dy.shape == output.shape, "ReLU.backward: gradient \(dy.shape) for output \(output.shape)")
        let y = output.data, g = dy.data, d = dst.data
        ParallelChunks.run(dy.count, grain: LeakyReLU.grain) { r in
            for i in r {
                d[i] = y[i] > 0 ? g[i] : 0
            }
        }
    }
}
