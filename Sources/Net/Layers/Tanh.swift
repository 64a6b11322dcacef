import Foundation

/// `y = tanh(x)`, the generator's last activation (ab channels in [−1, 1]).
///
/// Backward uses the output: `dx = dy · (1 − y²)`.
public final class Tanh {
    private let output = Tensor(Shape(0, 0))
    private let inputGradient = Tensor(Shape(0, 0))
    private var hasOutput = false

    public init() {}

    public func forward(_ x: Tensor) -> Tensor {
        output.resize(x.shape)
        let src = x.data, dst = output.data
        // tanh costs ~20× an add, so a smaller grain pays for the threads.
        ParallelChunks.run(x.count, grain: LeakyReLU.grain / 8) { r in
            for i in r { dst[i] = FastMath.tanh(src[i]) }
        }
        hasOutput = true
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        precondition(hasOutput, "Tanh.backward before forward")
        precondition(dy.shape == output.shape, "Tanh.backward: gradient \(dy.shape) for output \(output.shape)")
        inputGradient.resize(dy.shape)
        let y = output.data, g = dy.data, dst = inputGradient.data
        ParallelChunks.run(dy.count, grain: LeakyReLU.grain) { r in
            for i in r {
                let v = y[i]
                dst[i] = g[i] * (1 - v * v)
            }
        }
        return inputGradient
    }
}
