import CBLAS
import Foundation

/// A single-layer LSTM run over the time axis of a clip batch, independently
/// at every spatial position (docs/model.md: the generator's bottleneck).
///
/// PyTorch's cell, gates in the order i, f, g, o:
///
///     a = W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh        (4H pre-activations)
///     i = σ(a_i), f = σ(a_f), g = tanh(a_g), o = σ(a_o)
///     c_t = f·c_{t−1} + i·g,   h_t = o·tanh(c_t),      h_{−1} = c_{−1} = 0
///
/// Input `x` is `[batch·time, I, h, w]` with image `n = b·time + t`; each
/// `(b, y, x)` is its own sequence of length `time` and the output is
/// `[batch·time, H, h, w]` in the same order.
///
/// Internally every per-step quantity is a row-major matrix whose rows are
/// ordered `(t, b, position)`, so that the `S = batch·h·w` rows of one time step
/// are contiguous. That makes the input projection of all steps one GEMM, the
/// recurrent projection one GEMM per step, and the weight gradients one GEMM each
/// (the `dW_hh` one pairs step t's gate gradients with step t−1's hidden state,
/// which is just the same matrices shifted by S rows).
public final class LSTM {
    public let name: String
    public let inputSize: Int
    public let hiddenSize: Int
    public let weightIH: Parameter   // [4H, I]
    public let weightHH: Parameter   // [4H, H]
    public let biasIH: Parameter     // [4H]
    public let biasHH: Parameter     // [4H]

    private var batch = 0, time = 0
    private var inputShape = Shape(0, 0)

    // Forward state kept for backpropagation through time; rows (t, b, position).
    private let inputRows = Tensor(Shape(0, 0))     // [T·S, I]  x transposed
    private let gates = Tensor(Shape(0, 0))         // [T·S, 4H] activated i, f, g, o
    private let cells = Tensor(Shape(0, 0))         // [T·S, H]  c_t
    private let cellTanh = Tensor(Shape(0, 0))      // [T·S, H]  tanh(c_t)
    private let hidden = Tensor(Shape(0, 0))        // [T·S, H]  h_t
    private let output = Tensor(Shape(0, 0))        // [B·T, H, h, w]

    // Backward buffers.
    private let hiddenGradient = Tensor(Shape(0, 0))  // [T·S, H]  dL/dh_t
    private let gateGradient = Tensor(Shape(0, 0))    // [T·S, 4H] dL/da_t
    private let cellGradient = Tensor(Shape(0, 0))    // [S, H]    dL/dc_t flowing to t−1
    private let inputRowsGradient = Tensor(Shape(0, 0)) // [T·S, I]
    private let biasGradient = Tensor(Shape(0, 0))    // [4H]
    private let inputGradient = Tensor(Shape(0, 0))   // [B·T, I, h, w]

    public init(_ name: String, input: Int, hidden: Int, parameters: ParameterSet) {
        precondition(input > 0 && hidden > 0, "LSTM \(name): sizes must be positive")
        self.name = name
        inputSize = input
        hiddenSize = hidden
        // PyTorch's default: every tensor U(−1/√H, 1/√H).
        let k = 1 / Float(hidden).squareRoot()
        let u = Initializer.uniform(low: -k, high: k)
        weightIH = parameters.declare("\(name).weight_ih", shape: [4 * hidden, input], initializer: u)
        weightHH = parameters.declare("\(name).weight_hh", shape: [4 * hidden, hidden], initializer: u)
        biasIH = parameters.declare("\(name).bias_ih", shape: [4 * hidden], initializer: u)
        biasHH = parameters.declare("\(name).bias_hh", shape: [4 * hidden], initializer: u)
    }

    /// Gate pre-activations for `rows` input rows `[rows, I]`: both biases plus
    /// `x · W_ihᵀ`, one GEMM for all rows. Shared with the streaming generator.
    func inputProjection(_ x: UnsafePointer<Float>, rows: Int, into a: UnsafeMutablePointer<Float>) {
        let I = inputSize, G = 4 * hiddenSize
        let bih = biasIH.value!, bhh = biasHH.value!
        for k in 0..<G { a[k] = bih[k] + bhh[k] }
        for r in 1..<max(rows, 1) { (a + r * G).update(from: a, count: G) }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(G), Int32(I),
                    1, x, Int32(I), weightIH.value, Int32(I), 1, a, Int32(G))
    }

    /// One cell update of `units` hidden units (PyTorch's gate order i, f, g, o):
    /// `gates` holds the pre-activations and receives the activations (backward
    /// reads them); c' = f·c + i·g (c = 0 when `previousCell` is nil), h' = o·tanh(c').
    /// `previousCell` may equal `cell` (the streaming generator updates in place).
    /// The one definition of the cell, for training and for inference.
    @inline(__always)
    static func cellStep(gates g: UnsafeMutablePointer<Float>, units H: Int, previousCell: UnsafePointer<Float>?,
                         cell c: UnsafeMutablePointer<Float>, cellTanh tc: UnsafeMutablePointer<Float>,
                         hidden h: UnsafeMutablePointer<Float>) {
        for j in 0..<H {
            let ig = FastMath.sigmoid(g[j])
            let fg = FastMath.sigmoid(g[H + j])
            let gg = FastMath.tanh(g[2 * H + j])
            let og = FastMath.sigmoid(g[3 * H + j])
            g[j] = ig; g[H + j] = fg; g[2 * H + j] = gg; g[3 * H + j] = og
            let cell = (previousCell.map { fg * $0[j] } ?? 0) + ig * gg
            let th = FastMath.tanh(cell)
            c[j] = cell
            tc[j] = th
            h[j] = og * th
        }
    }

    /// Rows per thread chunk for the element-wise cell loops (~16k gate values).
    private var rowGrain: Int { max(1, (1 << 14) / hiddenSize) }

    public func forward(_ x: Tensor, batch: Int, time: Int) -> Tensor {
        let s = x.shape
        precondition(batch > 0 && time > 0 && s.n == batch * time,
                     "LSTM \(name): input has \(s.n) images, expected batch \(batch) × time \(time)")
        precondition(s.c == inputSize, "LSTM \(name): input \(s) has \(s.c) channels, expected \(inputSize)")
        self.batch = batch
        self.time = time
        inputShape = s
        let I = inputSize, H = hiddenSize, G = 4 * H
        let P = s.plane, S = batch * P, R = time * S
        LayerTrace.forward(name, input: s, output: Shape(s.n, H, s.h, s.w), macs: R * G * (I + H))

        inputRows.resize(Shape(R, I))
        Self.imagesToRows(x.data, inputRows.data, batch: batch, time: time, channels: I, plane: P)

        // All steps' input projections at once, on top of both biases.
        gates.resize(Shape(R, G))
        let a = gates.data
        inputProjection(inputRows.data, rows: R, into: a)

        cells.resize(Shape(R, H))
        cellTanh.resize(Shape(R, H))
        hidden.resize(Shape(R, H))
        let c = cells.data, tc = cellTanh.data, h = hidden.data
        for t in 0..<time {
            let at = a + t * S * G
            if t > 0 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(S), Int32(G), Int32(H),
                            1, h + (t - 1) * S * H, Int32(H), weightHH.value, Int32(H), 1, at, Int32(G))
            }
            let ct = c + t * S * H, tct = tc + t * S * H, ht = h + t * S * H
            let cPrev: UnsafeMutablePointer<Float>? = t > 0 ? c + (t - 1) * S * H : nil
            ParallelChunks.run(S, grain: rowGrain) { rows in
                for row in rows {
                    let o = row * H
                    Self.cellStep(gates: at + row * G, units: H, previousCell: cPrev.map { UnsafePointer($0 + o) },
                                  cell: ct + o, cellTanh: tct + o, hidden: ht + o)
                }
            }
        }

        output.resize(Shape(s.n, H, s.h, s.w))
        Self.rowsToImages(h, output.data, batch: batch, time: time, channels: H, plane: P)
        return output
    }

    /// Backpropagation through all `time` steps. Returns dL/dx; adds the
    /// gradients of all four parameter tensors when `parameterGradients`.
    public func backward(_ dy: Tensor, parameterGradients: Bool = true) -> Tensor {
        precondition(time > 0, "LSTM \(name): backward before forward")
        precondition(dy.shape == output.shape, "LSTM \(name): gradient \(dy.shape) for output \(output.shape)")
        let I = inputSize, H = hiddenSize, G = 4 * H
        let P = inputShape.plane, S = batch * P, R = time * S
        LayerTrace.backward(name, weights: parameterGradients, inputGradient: true, input: inputShape, output: dy.shape,
                            macs: R * G * (I + H))

        hiddenGradient.resize(Shape(R, H))
        Self.imagesToRows(dy.data, hiddenGradient.data, batch: batch, time: time, channels: H, plane: P)
        gateGradient.resize(Shape(R, G))
        cellGradient.resize(Shape(S, H))
        cellGradient.zero()
        let dh = hiddenGradient.data, da = gateGradient.data, dcNext = cellGradient.data
        let a = gates.data, c = cells.data, tc = cellTanh.data

        for t in stride(from: time - 1, through: 0, by: -1) {
            let dht = dh + t * S * H
            if t < time - 1 {
                // dL/dh_t also flows back from step t+1's gates through W_hh.
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(S), Int32(H), Int32(G),
                            1, da + (t + 1) * S * G, Int32(G), weightHH.value, Int32(H), 1, dht, Int32(H))
            }
            let at = a + t * S * G, dat = da + t * S * G, tct = tc + t * S * H
            let cPrev: UnsafeMutablePointer<Float>? = t > 0 ? c + (t - 1) * S * H : nil
            ParallelChunks.run(S, grain: rowGrain) { rows in
                for row in rows {
                    let g = at + row * G, d = dat + row * G, o = row * H
                    for j in 0..<H {
                        let ig = g[j], fg = g[H + j], gg = g[2 * H + j], og = g[3 * H + j]
                        let th = tct[o + j], dhj = dht[o + j]
                        let dc = dcNext[o + j] + dhj * og * (1 - th * th)
                        let prev = cPrev.map { $0[o + j] } ?? 0
                        d[j] = dc * gg * ig * (1 - ig)
                        d[H + j] = dc * prev * fg * (1 - fg)
                        d[2 * H + j] = dc * ig * (1 - gg * gg)
                        d[3 * H + j] = dhj * th * og * (1 - og)
                        dcNext[o + j] = dc * fg
                    }
                }
            }
        }

        if parameterGradients {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(G), Int32(I), Int32(R),
                        1, da, Int32(G), inputRows.data, Int32(I), 1, weightIH.grad, Int32(I))
            if time > 1 {
                // Σ_t da_t^T · h_{t−1}: rows S… of da against rows …(T−1)S of h.
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(G), Int32(H), Int32((time - 1) * S),
                            1, da + S * G, Int32(G), hidden.data, Int32(H), 1, weightHH.grad, Int32(H))
            }
            biasGradient.resize(Shape(G, 1))
            let db = biasGradient.data
            db.update(from: da, count: G)
            for r in 1..<max(R, 1) {
                let row = da + r * G
                for k in 0..<G { db[k] += row[k] }
            }
            let gih = biasIH.grad!, ghh = biasHH.grad!
            for k in 0..<G {
                gih[k] += db[k]
                ghh[k] += db[k]
            }
        }

        inputRowsGradient.resize(Shape(R, I))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(R), Int32(I), Int32(G),
                    1, da, Int32(G), weightIH.value, Int32(I), 0, inputRowsGradient.data, Int32(I))
        inputGradient.resize(inputShape)
        Self.rowsToImages(inputRowsGradient.data, inputGradient.data, batch: batch, time: time,
                          channels: I, plane: P)
        return inputGradient
    }

    /// NCHW images `n = b·T + t` → rows `(t·B + b)·P + p` of `channels` values.
    static func imagesToRows(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                             batch: Int, time: Int, channels: Int, plane: Int) {
        transpose(images: UnsafeMutablePointer(mutating: src), rows: dst, toRows: true,
                  batch: batch, time: time, channels: channels, plane: plane)
    }

    /// Inverse of `imagesToRows`.
    static func rowsToImages(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                             batch: Int, time: Int, channels: Int, plane: Int) {
        transpose(images: dst, rows: UnsafeMutablePointer(mutating: src), toRows: false,
                  batch: batch, time: time, channels: channels, plane: plane)
    }

    /// The one place that maps image values to rows: copies `images` into
    /// `rows` when `toRows`, else back (only the destination is written).
    private static func transpose(images: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>, toRows: Bool,
                                  batch: Int, time: Int, channels: Int, plane: Int) {
        for b in 0..<batch {
            for t in 0..<time {
                let image = images + (b * time + t) * channels * plane
                let first = rows + (t * batch + b) * plane * channels
                if plane == 1 {
                    if toRows { first.update(from: image, count: channels) } else { image.update(from: first, count: channels) }
                    continue
                }
                for p in 0..<plane {
                    let row = first + p * channels
                    if toRows {
                        for k in 0..<channels { row[k] = image[k * plane + p] }
                    } else {
                        for k in 0..<channels { image[k * plane + p] = row[k] }
                    }
                }
            }
        }
    }
}
