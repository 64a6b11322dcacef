/// 2-D convolution, NCHW, square kernel, zero padding (PyTorch's `nn.Conv2d`).
///
/// Weight `[out, in, k, k]` read as the matrix `W [out, in·k·k]`. Forward is
/// im2col then `Y = W · cols`; backward is `dW += dY · colsᵀ`,
/// `dcols = Wᵀ · dY` then col2im (Caffe). The column matrix is not kept
/// between forward and backward: backward recomputes it from the saved input,
/// which costs one memory pass instead of holding up to 134 MB per layer.
/// See `ConvPlan` for how a batch is cut into GEMMs.
public final class Conv2d {
    public let name: String
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    /// `"\(name).weight"`, `[out, in, k, k]`, N(0, 0.02).
    public let weight: Parameter
    /// `"\(name).bias"`, `[out]`, zeros; nil when the conv has none.
    public let bias: Parameter?

    private let workspace: Workspace
    private let output = Tensor(Shape(0, 0))
    private let inputGradient = Tensor(Shape(0, 0))
    /// The input of the last `forward`, read by `backward`.
    private var input: Tensor?

    public init(_ name: String, in inChannels: Int, out outChannels: Int, kernel: Int = 4, stride: Int = 2,
                padding: Int = 1, bias: Bool, parameters: ParameterSet, workspace: Workspace = .shared) {
        precondition(inChannels > 0 && outChannels > 0 && kernel > 0 && stride > 0 && padding >= 0,
                     "\(name): invalid conv configuration")
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.workspace = workspace
        weight = parameters.declare("\(name).weight", shape: [outChannels, inChannels, kernel, kernel],
                                    initializer: .normal(mean: 0, std: 0.02))
        self.bias = bias ? parameters.declare("\(name).bias", shape: [outChannels], initializer: .zeros) : nil
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
        let n = x.shape.n, m = outChannels, k = g.rows, p = g.positions
        output.resize(Shape(n, m, g.outHeight, g.outWidth))
        input = x
        let plan = ConvPlan(images: n, rows: k, positions: p)
        let columns = workspace.buffer(.columns, count: k * plan.chunk * p)
        let yT = plan.perImage ? columns : workspace.buffer(.transposed, count: m * plan.chunk * p)
        let w = weight.value!, y = output.data
        plan.forEachChunk(n) { first, images in
            let ld = images * p
            Im2col.im2col(x.data + first * g.channels * g.height * g.width, images: images, geometry: g,
                          columns: columns, ld: ld)
            if plan.perImage {
                for j in 0..<images {
                    sgemm(m: m, n: p, k: k, w, lda: k, columns + j * p, ldb: ld,
                          beta: 0, y + (first + j) * m * p, ldc: p)
                }
            } else {
                sgemm(m: m, n: ld, k: k, w, lda: k, columns, ldb: ld, beta: 0, yT, ldc: ld)
                ChannelMajor.toNCHW(yT, ld: ld, images: images, channels: m, positions: p,
                                    to: y + first * m * p)
            }
        }
        if let b = bias {
            ChannelMajor.addBias(b.value, to: y, images: n, channels: m, positions: p)
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
        let n = x.shape.n, m = outChannels, k = g.rows, p = g.positions
        precondition(dy.shape == Shape(n, m, g.outHeight, g.outWidth),
                     "\(name): output gradient \(dy.shape), expected \(Shape(n, m, g.outHeight, g.outWidth))")
        let dx = inputGradient
        dx.resize(x.shape)
        if wantParameters, let b = bias {
            ChannelMajor.accumulateBiasGradient(dy.data, images: n, channels: m, positions: p, into: b.grad!)
        }
        guard wantInput || wantParameters else { return dx }

        let plan = ConvPlan(images: n, rows: k, positions: p)
        let columns = workspace.buffer(.columns, count: k * plan.chunk * p)
        let dyT = plan.perImage ? columns : workspace.buffer(.transposed, count: m * plan.chunk * p)
        let w = weight.value!, dw = weight.grad!
        plan.forEachChunk(n) { first, images in
            let ld = images * p
            let dyChunk = dy.data + first * m * p
            if !plan.perImage {
                ChannelMajor.fromNCHW(dyChunk, images: images, channels: m, positions: p, to: dyT, ld: ld)
            }
            if wantParameters {
                // dW [m, k] += dY [m, ld] · colsᵀ [ld, k]
                Im2col.im2col(x.data + first * g.channels * g.height * g.width, images: images, geometry: g,
                              columns: columns, ld: ld)
                if plan.perImage {
                    for j in 0..<images {
                        sgemm(transposeB: true, m: m, n: k, k: p, dyChunk + j * m * p, lda: p,
                              columns + j * p, ldb: ld, beta: 1, dw, ldc: k)
                    }
                } else {
                    sgemm(transposeB: true, m: m, n: k, k: ld, dyT, lda: ld, columns, ldb: ld, beta: 1, dw, ldc: k)
                }
            }
            if wantInput {
                // dcols [k, ld] = Wᵀ [k, m] · dY [m, ld], then col2im.
                if plan.perImage {
                    for j in 0..<images {
                        sgemm(transposeA: true, m: k, n: p, k: m, w, lda: k, dyChunk + j * m * p, ldb: p,
                              beta: 0, columns + j * p, ldc: ld)
                    }
                } else {
                    sgemm(transposeA: true, m: k, n: ld, k: m, w, lda: k, dyT, ldb: ld, beta: 0, columns, ldc: ld)
                }
                Im2col.col2im(columns, ld: ld, images: images, geometry: g,
                              output: dx.data + first * g.channels * g.height * g.width)
            }
        }
        return dx
    }
}
