/// The PatchGAN discriminator (docs/model.md): per frame, concat(L, ab) → three
/// `Conv(4, 2, 1, no bias) → BN → LeakyReLU(0.2)` levels → `Conv(4, 1, 1, bias)`,
/// one logit per 70×70 patch (15×15 logits for a 128 input).
///
/// It is run three times a step (real, fake for D's update, fake again for G's),
/// each call with its own batch statistics, as PyTorch does.
public final class Discriminator {
    public let config: ModelConfig
    public let parameters = ParameterSet()

    private let concat = Concat()
    private let convs: [Conv2d]
    private let norms: [BatchNorm2d]
    private let activations: [LeakyReLU]
    private let head: Conv2d

    /// True: batch statistics (training); false: running statistics.
    public var training: Bool = true {
        didSet { for bn in norms { bn.training = training } }
    }

    public init(config: ModelConfig, rng: inout RandomGenerator) throws {
        try config.validate()
        self.config = config
        let widths = config.discriminatorWidths
        var convs: [Conv2d] = [], norms: [BatchNorm2d] = [], activations: [LeakyReLU] = []
        for i in 1...3 {
            convs.append(Conv2d("layer\(i).conv", in: widths[i - 1], out: widths[i], bias: false,
                                parameters: parameters))
            norms.append(BatchNorm2d("layer\(i).bn", channels: widths[i], parameters: parameters))
            activations.append(LeakyReLU(slope: 0.2))
        }
        head = Conv2d("head", in: widths[3], out: 1, kernel: 4, stride: 1, padding: 1, bias: true,
                      parameters: parameters)
        self.convs = convs
        self.norms = norms
        self.activations = activations
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
        for i in 0..<3 {
            x = activations[i].forward(norms[i].forward(convs[i].forward(x)))
        }
        return head.forward(x)
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
        var d = head.backward(dLogits, inputGradient: true, parameterGradients: parameterGradients)
        for i in stride(from: 2, through: 0, by: -1) {
            d = activations[i].backward(inPlace: d)   // the next conv's input gradient, done with
            d = norms[i].backward(d, parameterGradients: parameterGradients)
            d = convs[i].backward(d, inputGradient: i > 0 || inputGradient,
                                  parameterGradients: parameterGradients)
        }
        guard inputGradient else { return d }
        return concat.backward(d).1
    }

    /// Installs (or removes) the sync-BN reducer on every BatchNorm layer.
    public func setBatchNormReducer(_ reducer: ((UnsafeMutableBufferPointer<Double>) -> Void)?) {
        for bn in norms { bn.reduceStatistics = reducer }
    }
}
