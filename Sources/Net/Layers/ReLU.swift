/// `y = max(x, 0)`.
///
/// Backward masks by the output (`y > 0`), as PyTorch's `threshold_backward`
/// does, so the derivative at `x = 0` is 0. Forward keeps a reference to its
/// own output, which stays valid until the next `forward`.
public final class ReLU {
    private let output = Tensor(Shape(0, 0))
    private let inputGradient = Tensor(Shape(0, 0))
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

    public func backward(_ dy: Tensor) -> Tensor {
        precondition(hasOutput, "ReLU.backward before forward")
        precondition(dy.shape == output.shape, "ReLU.backward: gradient \(dy.shape) for output \(output.shape)")
        inputGradient.resize(dy.shape)
        let y = output.data, g = dy.data, dst = inputGradient.data
        ParallelChunks.run(dy.count, grain: LeakyReLU.grain) { r in
            for i in r {
                dst[i] = y[i] > 0 ? g[i] : 0
            }
        }
        return inputGradient
    }
}
