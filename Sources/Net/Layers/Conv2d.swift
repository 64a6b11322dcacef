/// 2-D convolution, NCHW, square kernel, zero padding (PyTorch's `nn.Conv2d`).
///
/// Weight `[out, in, k, k]` read as the matrix `W [out, in·k·k]`. Forward is
/// im2col then `Y = W · cols`; backward is `dW += dY · colsᵀ`,
/// `dcols = Wᵀ · dY` then col2im (Caffe). The column matrix is not kept
/// between forward and backward: backward recomputes it from the saved input,
/// which costs one memory pass instead of holding up to 134 MB per layer.
/// See `ConvPlan` for how a batch is cut into GEMMs. Layers with few output
/// channels (the PatchGAN head) skip im2col and work on the input grid
/// (`ShiftedSum`).
public final class Conv2d: ConvolutionBase {
    override class func weightShape(in inChannels: Int, out outChannels: Int, kernel: Int) -> [Int] {
        [outChannels, inChannels, kernel, kernel]
    }

    /// The im2col geometry for an input of `shape`, checked.
    private func geometry(_ shape: Shape) -> ConvGeometry {
        precondition(shape.c == inChannels, "\(name): input has \(shape.c) channels, expected \(inChannels)")
        precondition(shape.h + 2 * padding >= kernel && shape.w + 2 * padding >= kernel,
                     "\(name): input \(shape) smaller than the \(kernel)×\(kernel) kernel")
        return ConvGeometry(channels: inChannels, height: shape.h, width: shape.w,
                            kernel: kernel, stride: stride, padding: padding)
    }

    /// `y = conv(x, W) + b`. The result is valid until the next `forward`.
    public func forward(_ x: Tensor) -> Tensor {
        let g = geometry(x.shape)
        let n = x.shape.n, m = outChannels
        beginForward(x, outputShape: Shape(n, m, g.outHeight, g.outWidth), macs: n * m * g.positions * g.rows)
        if ConvPlan.usesShiftedSum(inChannels: inChannels, outChannels: m, stride: stride) {
            forwardShifted(x, g)
        } else {
            forwardColumns(x, g)
        }
        return endForward()
    }

    /// im2col + GEMM (Caffe), see `ConvPlan`: `y = W · cols`.
    private func forwardColumns(_ x: Tensor, _ g: ConvGeometry) {
        let n = x.shape.n, m = outChannels, p = g.positions
        let pass = columnPass(images: n, rows: g.rows, positions: p, channels: m)
        pass.forEachChunk(n) { first, chunk in
            Im2col.im2col(x.data + first * g.channels * g.height * g.width, images: chunk.images, geometry: g,
                          columns: pass.columns, ld: chunk.ld)
            chunk.imageFromColumns(into: output.data + first * m * p)
        }
    }

    /// Per output channel `o`, `T_o [k², H·W] = W_oᵀ · x` on the input grid,
    /// then `y = ShiftedSum.gather(T)` (few output channels; see `ShiftedSum`).
    private func forwardShifted(_ x: Tensor, _ g: ConvGeometry) {
        let n = x.shape.n, m = outChannels, c = inChannels, kk = kernel * kernel
        let plane = g.height * g.width
        let plan = ConvPlan(images: n, rows: m * kk, positions: plane)
        let t = workspace.buffer(.columns, count: m * kk * plan.chunk * plane)
        let w = weight.value!
        plan.forEachChunk(n) { first, images in
            let ld = images * plane
            for j in 0..<images {
                let xj = x.data + (first + j) * c * plane
                for o in 0..<m {
                    sgemm(transposeA: true, m: kk, n: plane, k: c, w + o * c * kk, lda: kk, xj, ldb: plane,
                          beta: 0, t + o * kk * ld + j * plane, ldc: ld)
                }
            }
            ShiftedSum.gather(t, ld: ld, images: images, outChannels: m, geometry: g,
                              output: output.data + first * m * g.positions)
        }
    }

    /// Adds dL/dW (and dL/db) into the parameters' gradients when
    /// `parameterGradients`, and returns dL/dx when `inputGradient` (otherwise
    /// the returned tensor's contents are unspecified). Valid until the next `backward`.
    public func backward(_ dy: Tensor, inputGradient wantInput: Bool = true,
                         parameterGradients wantParameters: Bool = true) -> Tensor {
        let x = savedInput()
        let g = geometry(x.shape)
        let n = x.shape.n, m = outChannels
        guard beginBackward(dy, outputShape: Shape(n, m, g.outHeight, g.outWidth), input: x,
                            macs: n * m * g.positions * g.rows,
                            inputGradient: wantInput, parameterGradients: wantParameters) else { return inputGradient }
        if ConvPlan.usesShiftedSum(inChannels: inChannels, outChannels: m, stride: stride) {
            backwardShifted(dy, x, g, wantInput: wantInput, wantParameters: wantParameters)
        } else {
            backwardColumns(dy, x, g, wantInput: wantInput, wantParameters: wantParameters)
        }
        return inputGradient
    }

    private func backwardColumns(_ dy: Tensor, _ x: Tensor, _ g: ConvGeometry, wantInput: Bool, wantParameters: Bool) {
        let n = x.shape.n, m = outChannels, p = g.positions
        let pass = columnPass(images: n, rows: g.rows, positions: p, channels: m)
        let dw = weight.grad!
        pass.forEachChunk(n) { first, chunk in
            let dyChunk = dy.data + first * m * p
            chunk.loadChannelMajor(dyChunk)
            if wantParameters {
                // dW [m, k] += dY [m, ld] · colsᵀ [ld, k]
                Im2col.im2col(x.data + first * g.channels * g.height * g.width, images: chunk.images, geometry: g,
                              columns: pass.columns, ld: chunk.ld)
                chunk.addWeightGradient(dyChunk, into: dw)
            }
            if wantInput {
                // dcols [k, ld] = Wᵀ [k, m] · dY [m, ld], then col2im.
                chunk.columnsFromImage(dyChunk)
                Im2col.col2im(pass.columns, ld: chunk.ld, images: chunk.images, geometry: g,
                              output: inputGradient.data + first * g.channels * g.height * g.width)
            }
        }
    }

    /// `dT = ShiftedSum.scatter(dy)`, then per output channel `o`
    /// `dW_o [c, k²] += x · dT_oᵀ` and `dx += W_o · dT_o`.
    private func backwardShifted(_ dy: Tensor, _ x: Tensor, _ g: ConvGeometry, wantInput: Bool, wantParameters: Bool) {
        let n = x.shape.n, m = outChannels, c = inChannels, kk = kernel * kernel
        let plane = g.height * g.width
        let plan = ConvPlan(images: n, rows: m * kk, positions: plane)
        let t = workspace.buffer(.columns, count: m * kk * plan.chunk * plane)
        let w = weight.value!, dw = weight.grad!, dx = inputGradient.data
        plan.forEachChunk(n) { first, images in
            let ld = images * plane
            ShiftedSum.scatter(dy.data + first * m * g.positions, images: images, outChannels: m, geometry: g,
                               into: t, ld: ld)
            for j in 0..<images {
                let xj = x.data + (first + j) * c * plane, dxj = dx + (first + j) * c * plane
                for o in 0..<m {
                    let tj = t + o * kk * ld + j * plane
                    if wantParameters {
                        sgemm(transposeB: true, m: c, n: kk, k: plane, xj, lda: plane, tj, ldb: ld,
                              beta: 1, dw + o * c * kk, ldc: kk)
                    }
                    if wantInput {
                        sgemm(m: c, n: plane, k: kk, w + o * c * kk, lda: kk, tj, ldb: ld,
                              beta: o == 0 ? 0 : 1, dxj, ldc: plane)
                    }
                }
            }
        }
    }
}
