import Foundation

/// Adam over one network's flat parameter buffer, PyTorch's single-tensor
/// update (torch/optim/adam.py `_single_tensor_adam`, no weight decay, no amsgrad):
///
///     m = β1·m + (1 − β1)·g                 (PyTorch writes it m.lerp_(g, 1 − β1))
///     v = β2·v + (1 − β2)·g²
///     step_size = lr / (1 − β1^t)
///     denom = √v / √(1 − β2^t) + eps
///     p −= step_size · m / denom
///
/// The bias corrections are computed in Double from `stepCount`, as Python
/// does with its float scalars. `m` and `v` have the layout of `parameters.values`,
/// so a checkpoint stores them per tensor with the same offsets.
public final class Adam {
    public let parameters: ParameterSet
    public var learningRate: Float {
        get { storedLearningRate }
        set {
            storedLearningRate = newValue
            learningRateDecimal = Self.decimal(newValue)
        }
    }

    /// Sets the learning rate from a Double, as PyTorch's schedulers compute it
    /// (and without `Float.description`, which allocates: a warm-up changes the
    /// rate every step).
    public func setLearningRate(_ rate: Double) {
        storedLearningRate = Float(rate)
        learningRateDecimal = rate
    }
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// Number of completed steps (t of the last update); restored from checkpoints.
    public var stepCount = 0
    /// First moments, layout of `parameters.values`.
    public let m: UnsafeMutableBufferPointer<Float>
    /// Second moments, layout of `parameters.values`.
    public let v: UnsafeMutableBufferPointer<Float>
    /// Owns `m` and `v`.
    private let moments: FlatBuffers<Float>

    // The hyper-parameters as the decimals they were written as (see `decimal`),
    // formed once here because `Float.description` allocates.
    private var learningRateDecimal: Double
    private var storedLearningRate: Float
    private let beta1Decimal: Double
    private let beta2Decimal: Double

    public init(parameters: ParameterSet, learningRate: Float = 2e-4, beta1: Float = 0.5,
                beta2: Float = 0.999, epsilon: Float = 1e-8) {
        precondition(parameters.isFinalized, "Adam needs a finalized ParameterSet")
        self.parameters = parameters
        storedLearningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        learningRateDecimal = Self.decimal(learningRate)
        beta1Decimal = Self.decimal(beta1)
        beta2Decimal = Self.decimal(beta2)
        moments = FlatBuffers([(parameters.trainableCount, 0), (parameters.trainableCount, 0)])
        (m, v) = (moments[0], moments[1])
    }

    /// One update of every trainable value from `parameters.grads`.
    ///
    /// Written in the order PyTorch's CPU kernels evaluate it, so results agree
    /// to the last bit or two: `lerp` for m (end + (w − 1)·(end − start) when the
    /// weight w = 1 − β1 is ≥ 0.5, start + w·(end − start) otherwise), `addcmul`
    /// for v, and `addcdiv` (p + (−step_size · m) / denom) for p.
    public func step() {
        let count = parameters.trainableCount
        stepCount += 1
        if count == 0 { return }
        let t = Double(stepCount)
        let b1d = beta1Decimal, b2d = beta2Decimal
        let bc1 = 1 - pow(b1d, t)
        let bc2 = 1 - pow(b2d, t)
        let negativeStepSize = Float(-learningRateDecimal / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        let b2 = beta2, eps = epsilon
        let w = Float(1 - b1d), a2 = Float(1 - b2d)
        let small = abs(w) < 0.5
        let coefficient = small ? w : w - 1
        let p = parameters.values.baseAddress!, g = parameters.grads.baseAddress!
        let mp = m.baseAddress!, vp = v.baseAddress!
        ParallelChunks.run(count, grain: 1 << 16) { r in
            for i in r {
                let gi = g[i], mOld = mp[i]
                let mi = (small ? mOld : gi) + coefficient * (gi - mOld)
                let vi = vp[i] * b2 + a2 * gi * gi
                mp[i] = mi
                vp[i] = vi
                p[i] += negativeStepSize * mi / (vi.squareRoot() / bc2Sqrt + eps)
            }
        }
    }

    /// The decimal number a Float hyper-parameter was written as (0.999, not
    /// 0.99900001287…): PyTorch keeps β, lr and eps as Python doubles, so
    /// 1 − β2 and β2^t must be formed from the decimal value to match it.
    static func decimal(_ x: Float) -> Double {
        Double(x.description) ?? Double(x)
    }
}
