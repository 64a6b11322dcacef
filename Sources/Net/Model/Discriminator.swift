/// The PatchGAN discriminator (docs/model.md): per frame, concat(L, ab) → three
/// `Conv(4, 2, 1, no bias) → BN → LeakyReLU(0.2)` levels → `Conv(4, 1, 1, bias)`,
/// one logit per overlapping 46×46 patch (15×15 logits for a 128 input).
///
/// It is run three times a step (real, fake for D's update, fake again for G's),
/// each call with its own batch statistics, as PyTorch does.
public final class Discriminator {
    public let config: ModelConfig
    public let parameters = ParameterSet()

    private let concat = Concat()
    /// layer1…layer3 and the head, in forward order (`Architecture.discriminator`).
    let levels: [ConvBlock]
    private let batchNorms: [BatchNorm2d]

    /// True: batch statistics (training); false: running statistics.
    public var training: Bool = true {
        didSet { batchNorms.setMode(training: training) }
    }

    public init(config: ModelConfig, rng: inout RandomGenerator) throws {
        try config.validate()
        self.config = config
        let parameters = parameters
        levels = Architecture(config).discriminator.map { ConvBlock($0, parameters: parameters) }
        batchNorms = levels.compactMap(\.norm)
        parameters.finalize()
        parameters.initialize(using: &rng)
    }

    /// The patch logits `[n, 1, S/8 − 1, S/8 − 1]` for frames `L` `[n, 1, S, S]`
    /// and colours `ab` `[n, 2, S, S]`; owned by the discriminator until its next forward.
    public func forward(L: Tensor, ab: Tensor) -> Tensor {
        precondition(L.shape.n == ab.shape.n && L.shape.c == 1 && ab.shape.c == 2
                     && L.shape.h == ab.shape.h && L.shape.w == ab.shape.w,
                     "discriminator inputs \(L.shape) and \(ab.shape)")
        var x = concat.forward(L, ab)
        for level in levels { x = level.forward(x) }
        return x
    }

    /// Back-propagates `dLogits`.
    ///
    /// - Parameters:
    ///   - inputGradient: compute the gradient w.r.t. `ab` (G's update needs it;
    ///     D's own update does not, which saves the first conv's input gradient).
    ///   - parameterGradients: add into `parameters.grads` (false in G's update,
    ///     where D is a fixed function whose gradients must not be accumulated).
    /// - Returns: the gradient w.r.t. `ab` `[n, 2, S, S]` when `inputGradient`,
    ///   else unspecified.
    @discardableResult
    public func backward(_ dLogits: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor {
        var d = dLogits
        for i in levels.indices.reversed() {
            d = levels[i].backward(d, inputGradient: i > 0 || inputGradient, parameterGradients: parameterGradients)
        }
        guard inputGradient else { return d }
        return concat.backward(d).1
    }

    /// Installs (or removes) the sync-BN reducer on every BatchNorm layer.
    public func setBatchNormReducer(_ reducer: ((UnsafeMutableBufferPointer<Double>) -> Void)?) {
        batchNorms.setReducer(reducer)
    }
}
