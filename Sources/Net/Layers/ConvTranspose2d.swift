/// 2-D transposed convolution, NCHW (PyTorch's `nn.ConvTranspose2d`, no
/// output padding, dilation 1, one group): the adjoint of `Conv2d` with the
/// same kernel, stride and padding, so its output is `(H−1)·s − 2p + k`.
///
/// Weight `[in, out, k, k]` (PyTorch's layout) read as `W [in, out·k·k]`.
/// Forward is `cols = Wᵀ · x` then col2im into the output; backward is
/// `cols = im2col(dy)`, `dx = W · cols`, `dW += x · colsᵀ` — Conv2d's
/// backward and forward with the roles swapped. Geometry for im2col/col2im is
/// that of the convolution whose *input* is this layer's output.
public final class ConvTranspose2d: ConvolutionBase {
    override class func weightShape(in inChannels: Int, out outChannels: Int, kernel: Int) -> [Int] {
        [inChannels, outChannels, kernel, kernel]
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
        beginForward(x, outputShape: Shape(n, outChannels, g.height, g.width), macs: n * c * p * k)
        let pass = columnPass(images: n, rows: k, positions: p, channels: c)
        pass.forEachChunk(n) { first, chunk in
            // cols [k, ld] = Wᵀ [k, c] · x [c, ld], then col2im.
            let xChunk = x.data + first * c * p
            chunk.loadChannelMajor(xChunk)
            chunk.columnsFromImage(xChunk)
            Im2col.col2im(pass.columns, ld: chunk.ld, images: chunk.images, geometry: g,
                          output: output.data + first * g.channels * g.height * g.width)
        }
        return endForward()
    }

    /// Adds dL/dW (and dL/db) into the parameters' gradients when
    /// `parameterGradients`, and returns dL/dx when `inputGradient` (otherwise
    /// the returned tensor's contents are unspecified). Valid until the next `backward`.
    public func backward(_ dy: Tensor, inputGradient wantInput: Bool = true,
                         parameterGradients wantParameters: Bool = true) -> Tensor {
        let x = savedInput()
        let g = geometry(x.shape)
        let n = x.shape.n, c = inChannels, k = g.rows, p = g.positions
        guard beginBackward(dy, outputShape: Shape(n, outChannels, g.height, g.width), input: x, macs: n * c * p * k,
                            inputGradient: wantInput, parameterGradients: wantParameters) else { return inputGradient }
        let pass = columnPass(images: n, rows: k, positions: p, channels: c)
        let dw = weight.grad!
        pass.forEachChunk(n) { first, chunk in
            Im2col.im2col(dy.data + first * g.channels * g.height * g.width, images: chunk.images, geometry: g,
                          columns: pass.columns, ld: chunk.ld)
            if wantParameters {  // dW [c, k] += x [c, ld] · colsᵀ [ld, k]
                let xChunk = x.data + first * c * p
                chunk.loadChannelMajor(xChunk)
                chunk.addWeightGradient(xChunk, into: dw)
            }
            if wantInput {  // dx [c, ld] = W [c, k] · cols [k, ld]
                chunk.imageFromColumns(into: inputGradient.data + first * c * p)
            }
        }
        return inputGradient
    }
}
