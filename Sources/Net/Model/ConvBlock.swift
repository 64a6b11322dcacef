import CBLAS

/// One encoder level of the U-Net: `[LeakyReLU(0.2)] → Conv(4, 2, 1, no bias) → [BN]`.
///
/// down1 is a bare conv (no activation, no BN), down2…down6 have both, down7
/// has the activation but no BN (docs/model.md). The block's output is also the skip
/// tensor its decoder partner concatenates, so it must stay untouched until
/// the generator's backward pass.
final class EncoderBlock {
    let activation: LeakyReLU?
    let conv: Conv2d
    let norm: BatchNorm2d?

    init(_ name: String, in inChannels: Int, out outChannels: Int,
         activation: Bool, norm: Bool, parameters: ParameterSet) {
        self.activation = activation ? LeakyReLU(slope: 0.2) : nil
        conv = Conv2d("\(name).conv", in: inChannels, out: outChannels, bias: false, parameters: parameters)
        self.norm = norm ? BatchNorm2d("\(name).bn", channels: outChannels, parameters: parameters) : nil
    }

    func forward(_ x: Tensor) -> Tensor {
        var y = x
        if let activation { y = activation.forward(y) }
        y = conv.forward(y)
        if let norm { y = norm.forward(y) }
        return y
    }

    /// Returns the gradient w.r.t. the block's input (unspecified when `inputGradient` is false).
    func backward(_ dy: Tensor, inputGradient: Bool = true) -> Tensor {
        var d = dy
        if let norm { d = norm.backward(d) }
        d = conv.backward(d, inputGradient: inputGradient)
        // The conv's input gradient is ours to overwrite until its next backward.
        if inputGradient, let activation { d = activation.backward(inPlace: d) }
        return d
    }
}

/// One decoder level: `ReLU([concat(prev, skip)]) → ConvT(4, 2, 1) → BN | tanh`.
///
/// up7 has no skip input; up6…up2 concatenate the previous decoder output with
/// their encoder partner's output (previous first, docs/model.md); up1 ends in a
/// biased ConvT and tanh instead of BN.
final class DecoderBlock {
    let concat: Concat?
    let activation = ReLU()
    let conv: ConvTranspose2d
    let norm: BatchNorm2d?
    let tanh: Tanh?

    /// After `backward`: the gradient w.r.t. the skip input (owned by `concat`,
    /// valid until its next backward), nil for a block without a skip.
    private(set) var skipGradient: Tensor?

    init(_ name: String, in inChannels: Int, out outChannels: Int, skip: Bool,
         outermost: Bool, parameters: ParameterSet) {
        concat = skip ? Concat() : nil
        conv = ConvTranspose2d("\(name).conv", in: inChannels, out: outChannels, bias: outermost,
                               parameters: parameters)
        norm = outermost ? nil : BatchNorm2d("\(name).bn", channels: outChannels, parameters: parameters)
        tanh = outermost ? Tanh() : nil
    }

    func forward(_ previous: Tensor, skip: Tensor?) -> Tensor {
        var x = previous
        if let concat {
            guard let skip else { preconditionFailure("decoder block with a skip needs its skip tensor") }
            x = concat.forward(previous, skip)
        }
        var y = conv.forward(activation.forward(x))
        if let norm { y = norm.forward(y) }
        if let tanh { y = tanh.forward(y) }
        return y
    }

    /// Returns the gradient w.r.t. `previous`; the skip's gradient is left in `skipGradient`.
    func backward(_ dy: Tensor) -> Tensor {
        var d = dy
        if let tanh { d = tanh.backward(d) }
        if let norm { d = norm.backward(d) }
        d = activation.backward(inPlace: conv.backward(d))
        if let concat {
            let (dPrevious, dSkip) = concat.backward(d)
            skipGradient = dSkip
            return dPrevious
        }
        return d
    }
}

/// `y += x` over the whole tensor (the two must have the same shape).
@inline(__always)
func addInPlace(_ y: Tensor, _ x: Tensor) {
    precondition(y.shape == x.shape, "adding \(x.shape) into \(y.shape)")
    cblas_saxpy(Int32(y.count), 1, x.data, 1, y.data, 1)
}
