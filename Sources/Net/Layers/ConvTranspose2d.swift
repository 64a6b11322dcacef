/// 2-D transposed convolution, NCHW (PyTorch's `nn.ConvTranspose2d`, no
/// output padding, dilation 1, one group): the adjoint of `Conv2d` with the
/// same kernel, stride and padding, so its output is `(H−1)·s − 2p + k`.
///
/// Weight `[in, out, k, k]` (PyTorch's layout) read as `W [in, out·k·k]`.
/// Forward is `cols = Wᵀ · x` then col2im into the output; backward is
/// `cols = im2col(dy)`, `dx = W · cols`, `dW += x · colsᵀ` — Conv2d's
/// backward and forward with the roles swapped. Geometry for im2col/col2im is
/// that of the convolution whose *input* is this layer's output.
public final class ConvTranspose2d {
    public let name: String
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    /// `"\(name).weight"`, `[in, out, k, k]`, N(0, 0.02).
    public let weight: Parameter
    /// `"\(name).bias"`, `[out]`, zeros; nil when the layer has none.
    public let bias: Parameter?

    private let workspace: Workspace
    private let output = Tensor(Shape(0, 0))
    private let inputGradient = Tensor(Shape(0, 0))
    private var input: Tensor?

    public init(_ name: String, in inChannels: Int, out outChannels: Int, kernel: Int = 4, stride: Int = 2,
                padding: Int = 1, bias: Bool, parameters: ParameterSet, workspace: Workspace = .shared) {
        precondition(inChannels > 0 && outChannels > 0 && kernel > 0 && stride > 0 && padding >= 0,
                     "\(name): invalid transposed-conv configuration")
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.workspace = workspace
        weight = parameters.declare("\(name).weight", shape: [inChannels, outChannels, kernel, kernel],
                                    initializer: .normal(mean: 0, std: 0.02))
        self.bias = bias ? parameters.declare("\(name).bias", shape: [outChannels], initializer: .zeros) : nil
    }

    /// The geometry of the adjoint convolution (output side) for an input of `shape`, checked.
    private func geometry(_ shape: Shape) -> ConvGeometry {
        precondition(shape.c == inChannels, "\(name): input has \(shape.c) channels, expected \(inChannels)")
        let oh = (shape.h - 1) * stride - 2 * padding + kernel
        let ow = (shape.w - 1) * stride - 2 * padding + kernel
        precondition(shape.h > 0 && shape.w > 0 && oh > 0 && ow > 0,
                     "\(name): input \(shape) gives an empty output")
        let g = ConvGeometry(channels: outChannels, height: oh, width: ow,
                             kernel: kernel, stride: stride, padding: padding)
        assert(g.outHeight == shape.h && g.outWidth == shape.w)
        return g
    }

    /// `y = convᵀ(x, W) + b`. The result is valid until the next `forward`.
    public func forward(_ x: Tensor) -> Tensor {
        let g = geometry(x.shape)
        let n = x.shape.n, c = inChannels, k = g.rows, p = g.positions
        output.resize(Shape(n, outChannels, g.height, g.width))
        input = x
        LayerTrace.forward(name, input: x.shape, output: output.shape, macs: n * c * p * k)
        let plan = ConvPlan(images: n, rows: k, positions: p)
        let columns = workspace.buffer(.columns, count: k * plan.chunk * p)
        let xT = plan.perImage ? columns : workspace.buffer(.transposed, count: c * plan.chunk * p)
        let w = weight.value!, y = output.data
        plan.forEachChunk(n) { first, images in
            let ld = images * p
            let xChunk = x.data + first * c * p
            // cols [k, ld] = Wᵀ [k, c] · x [c, ld]
            if plan.perImage {
                for j in 0..<images {
                    sgemm(transposeA: true, m: k, n: p, k: c, w, lda: k, xChunk + j * c * p, ldb: p,
                          beta: 0, columns + j * p, ldc: ld)
                }
            } else {
                ChannelMajor.fromNCHW(xChunk, images: images, channels: c, positions: p, to: xT, ld: ld)
                sgemm(transposeA: true, m: k, n: ld, k: c, w, lda: k, xT, ldb: ld, beta: 0, columns, ldc: ld)
            }
            Im2col.col2im(columns, ld: ld, images: images, geometry: g,
                          output: y + first * g.channels * g.height * g.width)
        }
        if let b = bias {
            ChannelMajor.addBias(b.value, to: y, images: n, channels: outChannels, positions: g.height * g.width)
        }
        return output
    }

    /// Adds dL/dW (and dL/db) into the parameters' gradients when
    /// `parameterGradients`, and returns dL/dx when `inputGradient` (otherwise
    /// the returned tensor's contents are unspecified). Valid until the next `backward`.
    public func backward(_ dy: Tensor, inputGradient wantInput: Bool = true,
                         parameterGradients wantParameters: Bool = true) -> Tensor {
        guard let x = input else { preconditionFailure("\(name): backward before forward") }
        let g = geometry(x.shape)
        let n = x.shape.n, c = inChannels, k = g.rows, p = g.positions
        let expected = Shape(n, outChannels, g.height, g.width)
        precondition(dy.shape == expected, "\(name): output gradient \(dy.shape), expected \(expected)")
        let dx = inputGradient
        dx.resize(x.shape)
        if wantParameters, let b = bias {
            ChannelMajor.accumulateBiasGradient(dy.data, images: n, channels: outChannels,
                                                positions: g.height * g.width, into: b.grad!)
        }
        guard wantInput || wantParameters else { return dx }
        LayerTrace.backward(name, weights: wantParameters, inputGradient: wantInput, input: x.shape, output: dy.shape,
                            macs: n * c * p * k)

        let plan = ConvPlan(images: n, rows: k, positions: p)
        let columns = workspace.buffer(.columns, count: k * plan.chunk * p)
        let xT = plan.perImage ? columns : workspace.buffer(.transposed, count: c * plan.chunk * p)
        let w = weight.value!, dw = weight.grad!
        plan.forEachChunk(n) { first, images in
            let ld = images * p
            let xChunk = x.data + first * c * p
            let dxChunk = dx.data + first * c * p
            Im2col.im2col(dy.data + first * g.channels * g.height * g.width, images: images, geometry: g,
                          columns: columns, ld: ld)
            if plan.perImage {
                for j in 0..<images {
                    if wantParameters {  // dW [c, k] += x [c, p] · colsᵀ [p, k]
                        sgemm(transposeB: true, m: c, n: k, k: p, xChunk + j * c * p, lda: p,
                              columns + j * p, ldb: ld, beta: 1, dw, ldc: k)
                    }
                    if wantInput {  // dx [c, p] = W [c, k] · cols [k, p]
                        sgemm(m: c, n: p, k: k, w, lda: k, columns + j * p, ldb: ld,
                              beta: 0, dxChunk + j * c * p, ldc: p)
                    }
                }
            } else {
                if wantParameters {
                    ChannelMajor.fromNCHW(xChunk, images: images, channels: c, positions: p, to: xT, ld: ld)
                    sgemm(transposeB: true, m: c, n: k, k: ld, xT, lda: ld, columns, ldb: ld, beta: 1, dw, ldc: k)
                }
                if wantInput {
                    sgemm(m: c, n: ld, k: k, w, lda: k, columns, ldb: ld, beta: 0, xT, ldc: ld)
                    ChannelMajor.toNCHW(xT, ld: ld, images: images, channels: c, positions: p, to: dxChunk)
                }
            }
        }
        return dx
    }
}
