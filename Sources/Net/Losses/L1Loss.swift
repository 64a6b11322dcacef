/// Mean absolute error, pix2pix's reconstruction term (weighted by λ = 100).
///
/// The derivative is `sign(p − t) / count` with `sign(0) = 0`, as PyTorch's
/// `l1_loss` backward (so a perfect prediction gets no gradient).
public final class L1Loss {
    private let gradient = Tensor(Shape(0, 0))
    private var prediction: Tensor?
    private var target: Tensor?

    public init() {}

    /// Mean of |prediction − target| (accumulated in Double). Keeps references to both.
    public func forward(_ prediction: Tensor, _ target: Tensor) -> Float {
        precondition(prediction.shape == target.shape,
                     "L1Loss: prediction \(prediction.shape) and target \(target.shape) differ")
        precondition(prediction.count > 0, "L1Loss: empty input")
        self.prediction = prediction
        self.target = target
        let p = prediction.data, t = target.data, count = prediction.count
        // Float partial sums over short blocks keep the inner loop vectorisable;
        // the blocks are summed in Double.
        var sum = 0.0
        var start = 0
        while start < count {
            let end = min(start + 256, count)
            var block: Float = 0
            for i in start..<end { block += abs(p[i] - t[i]) }
            sum += Double(block)
            start = end
        }
        return Float(sum / Double(count))
    }

    /// d(scale · loss)/d prediction = scale · sign(p − t) / count.
    public func backward(scale: Float = 1) -> Tensor {
        guard let prediction, let target else { preconditionFailure("L1Loss.backward before forward") }
        gradient.resize(prediction.shape)
        let p = prediction.data, t = target.data, g = gradient.data
        let k = scale / Float(prediction.count)
        ParallelChunks.run(prediction.count, grain: LeakyReLU.grain) { r in
            for i in r {
                let d = p[i] - t[i]
                g[i] = d > 0 ? k : (d < 0 ? -k : 0)
            }
        }
        return gradient
    }
}
