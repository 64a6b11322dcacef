import Foundation

/// Binary cross-entropy on logits against a constant target (1 for "real",
/// 0 for "fake"), averaged over all elements: the PatchGAN loss of pix2pix.
///
/// Per element, in the overflow-free form
/// `max(x, 0) − x·t + log(1 + exp(−|x|))`; its derivative is `σ(x) − t`.
/// The mean is accumulated in Double.
public final class BCEWithLogitsLoss {
    private let gradient = Tensor(Shape(0, 0))
    private var logits: Tensor?
    private var target: Float = 0

    public init() {}

    /// Mean loss over every element of `logits`. Keeps a reference to `logits` for `backward`.
    public func forward(_ logits: Tensor, target: Float) -> Float {
        precondition(logits.count > 0, "BCEWithLogitsLoss: empty input")
        self.logits = logits
        self.target = target
        let x = logits.data, t = Double(target)
        var sum = 0.0
        for i in 0..<logits.count {
            let v = Double(x[i])
            sum += max(v, 0) - v * t + log1p(exp(-abs(v)))
        }
        return Float(sum / Double(logits.count))
    }

    /// d(scale · loss)/d logits = scale · (σ(x) − t) / count.
    public func backward(scale: Float = 1) -> Tensor {
        guard let logits else { preconditionFailure("BCEWithLogitsLoss.backward before forward") }
        gradient.resize(logits.shape)
        let x = logits.data, g = gradient.data, t = target
        let k = scale / Float(logits.count)
        for i in 0..<logits.count {
            g[i] = k * (1 / (1 + expf(-x[i])) - t)
        }
        return gradient
    }
}
