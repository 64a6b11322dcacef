/// An element-wise layer (ReLU, LeakyReLU): element i of its input
/// gradient depends on element i of `dy` alone, so it may be written over `dy`.
/// The layer says how (`backward(_:into:)`); both ways of calling it are here.
protocol ElementwiseLayer: AnyObject {
    /// The layer's own gradient tensor, for `backward(_:)`.
    var inputGradient: Tensor { get }
    /// dL/dx from `dy` into `dst`, which may be `dy` itself.
    func backward(_ dy: Tensor, into dst: Tensor)
}

extension ElementwiseLayer {
    /// dL/dx into the layer's own tensor; `dy` is left as it is.
    func backward(_ dy: Tensor) -> Tensor {
        inputGradient.resize(dy.shape)
        backward(dy, into: inputGradient)
        return inputGradient
    }

    /// dL/dx written over `dy`, which is returned. For callers that own `dy`
    /// and are done with it (a level passes its convolution's input gradient):
    /// the layer then needs no gradient buffer of its own, a tensor the size
    /// of the activation.
    func backward(inPlace dy: Tensor) -> Tensor {
        backward(dy, into: dy)
        return dy
    }
}
