import CBLAS

/// One level of either network, built from its `Architecture.Level`:
/// `[concat(previous, skip)] → [activation] → Conv or ConvT → [BN] → [activation]`.
///
/// The generator's encoder levels are `[LeakyReLU] → Conv → [BN]`, its decoder
/// levels `ReLU([concat]) → ConvT → BN | tanh`, the discriminator's
/// `Conv → [BN → LeakyReLU]` (docs/model.md). An encoder level's output is also
/// the skip tensor its decoder partner joins, so it must stay untouched until
/// the generator's backward pass.
final class ConvBlock {
    let level: Architecture.Level
    let concat: Concat?
    let before: Activation?
    let conv: any ConvolutionLayer
    let norm: BatchNorm2d?
    let after: Activation?

    /// After `backward`: the gradient w.r.t. the skip input (owned by `concat`,
    /// valid until its next backward), nil for a level without a skip.
    private(set) var skipGradient: Tensor?

    /// Declares the layer's tensors, then BatchNorm's, in `parameters` (the order
    /// of `parameters.entries`, and so of the initial values drawn).
    init(_ level: Architecture.Level, parameters: ParameterSet) {
        self.level = level
        concat = level.skip == nil ? nil : Concat()
        before = level.before.map(Activation.init)
        conv = Self.convolution(level.layer, parameters: parameters)
        norm = level.norm ? BatchNorm2d("\(level.name).bn", channels: level.layer.outChannels, parameters: parameters)
            : nil
        after = level.after.map(Activation.init)
    }

    /// The Conv2d or ConvTranspose2d `layer` describes.
    static func convolution(_ layer: Architecture.Layer, parameters: ParameterSet) -> any ConvolutionLayer {
        switch layer.kind {
        case .convolution:
            Conv2d(layer.name, in: layer.inChannels, out: layer.outChannels, kernel: layer.kernel,
                   stride: layer.stride, padding: layer.padding, bias: layer.bias, parameters: parameters)
        case .transposedConvolution:
            ConvTranspose2d(layer.name, in: layer.inChannels, out: layer.outChannels, kernel: layer.kernel,
                            stride: layer.stride, padding: layer.padding, bias: layer.bias, parameters: parameters)
        case .lstm:
            preconditionFailure("\(layer.name): an LSTM is not a level's layer")
        }
    }

    /// `skip` is the tensor the level joins after `previous` (nil for a level without a skip).
    func forward(_ previous: Tensor, skip: Tensor? = nil) -> Tensor {
        var x = previous
        if let concat {
            guard let skip else { preconditionFailure("\(level.name): a level with a skip needs its skip tensor") }
            x = concat.forward(previous, skip)
        }
        if let before { x = before.forward(x) }
        x = conv.forward(x)
        if let norm { x = norm.forward(x) }
        if let after { x = after.forward(x) }
        return x
    }

    /// Back-propagates `dy`, which a trailing LeakyReLU overwrites (callers
    /// hand over a gradient they are done with: the next level's input gradient).
    /// Returns the gradient w.r.t. `previous` when `inputGradient` (else
    /// unspecified); the skip's is left in `skipGradient`. `parameterGradients`
    /// false leaves `parameters.grads` alone.
    func backward(_ dy: Tensor, inputGradient: Bool = true, parameterGradients: Bool = true) -> Tensor {
        var d = dy
        if let after { d = after.backward(d) }
        if let norm { d = norm.backward(d, parameterGradients: parameterGradients) }
        d = conv.backward(d, inputGradient: inputGradient, parameterGradients: parameterGradients)
        guard inputGradient else { return d }
        // The conv's input gradient is ours to overwrite until its next backward.
        if let before { d = before.backward(d) }
        if let concat {
            let (dPrevious, dSkip) = concat.backward(d)
            skipGradient = dSkip
            return dPrevious
        }
        return d
    }

    /// A level's activation layer.
    enum Activation {
        case relu(ReLU)
        case leakyReLU(LeakyReLU)
        case tanh(Tanh)

        init(_ kind: Architecture.Activation) {
            switch kind {
            case .relu: self = .relu(ReLU())
            case .leakyReLU(let slope): self = .leakyReLU(LeakyReLU(slope: slope))
            case .tanh: self = .tanh(Tanh())
            }
        }

        func forward(_ x: Tensor) -> Tensor {
            switch self {
            case .relu(let layer): layer.forward(x)
            case .leakyReLU(let layer): layer.forward(x)
            case .tanh(let layer): layer.forward(x)
            }
        }

        /// ReLU and LeakyReLU write the gradient over `dy` (no buffer of their
        /// own, a tensor the size of the activation); tanh into its own tensor.
        func backward(_ dy: Tensor) -> Tensor {
            switch self {
            case .relu(let layer): layer.backward(inPlace: dy)
            case .leakyReLU(let layer): layer.backward(inPlace: dy)
            case .tanh(let layer): layer.backward(dy)
            }
        }
    }
}

/// `Conv2d` and `ConvTranspose2d` as a level uses them.
protocol ConvolutionLayer: AnyObject {
    func forward(_ x: Tensor) -> Tensor
    func backward(_ dy: Tensor, inputGradient: Bool, parameterGradients: Bool) -> Tensor
}

extension Conv2d: ConvolutionLayer {}
extension ConvTranspose2d: ConvolutionLayer {}

extension [BatchNorm2d] {
    /// In training, batch statistics that also move the running ones; outside
    /// it, `evaluationStatistics`: the running ones, or each call's own
    /// (running ones untouched).
    func setMode(training: Bool, evaluationStatistics: BatchNormStatistics = .running) {
        for bn in self {
            bn.training = training || evaluationStatistics == .clip
            bn.updatesRunningStatistics = training
        }
    }

    /// Installs (or removes, with nil) the sync-BN reducer on every layer.
    func setReducer(_ reducer: ((UnsafeMutableBufferPointer<Double>) -> Void)?) {
        for bn in self { bn.reduceStatistics = reducer }
    }
}

/// `y += x` over the whole tensor (the two must have the same shape).
@inline(__always)
func addInPlace(_ y: Tensor, _ x: Tensor) {
    precondition(y.shape == x.shape, "adding \(x.shape) into \(y.shape)")
    cblas_saxpy(Int32(y.count), 1, x.data, 1, y.data, 1)
}
