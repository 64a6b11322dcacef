import CBLAS
import Foundation

/// Inference over a film of any length, a chunk of frames at a time, with the
/// LSTM's state carried from one chunk to the next (training's `forward`
/// starts every clip from zero state, which is right for clips and wrong for a
/// shot longer than one batch of frames).
///
/// The convolutions see a chunk as independent images, as in training; the
/// LSTM steps through the chunk's frames in order, starting from the state the
/// previous chunk ended with. `reset()` zeroes the state (at a scene cut, or
/// between films). For `temporal = none` there is no state and this is just
/// `forward` with every frame its own clip.
///
/// Evaluation only: BatchNorm should be in `training = false` mode, and
/// nothing is kept for a backward pass.
public final class GeneratorStream {
    public let generator: Generator
    private let lstm: LSTMStream?

    public init(_ generator: Generator) {
        self.generator = generator
        lstm = generator.lstm.map(LSTMStream.init)
    }

    /// Zero LSTM state: the next frame starts a new shot.
    public func reset() { lstm?.reset() }

    /// The normalised ab `[frames, 2, H, W]` for the next `frames` consecutive
    /// frames `L` `[frames, 1, H, W]` (H, W multiples of 128, not only the
    /// training size: the network is convolutional, and the LSTM runs at each
    /// bottleneck position); owned by the generator until its next forward.
    public func forward(L: Tensor, frames: Int) -> Tensor {
        // Any rectangle the U-Net can halve seven times: colorize's picture keeps the frame's shape.
        let unit = 1 << ModelConfig.levels, shape = L.shape
        precondition(shape.n == frames && shape.c == 1 && shape.h >= unit && shape.w >= unit
                     && shape.h % unit == 0 && shape.w % unit == 0,
                     "stream input \(L.shape), expected [\(frames), 1, H, W] with H and W multiples of \(unit)")
        return generator.walk(L) { x in lstm.map { $0.forward(x) } ?? x }
    }
}

/// The generator LSTM's cell (PyTorch's, gates i, f, g, o) run forward only,
/// for one sequence per spatial position, with `(h, c)` kept between calls.
final class LSTMStream {
    let lstm: LSTM
    private var hasState = false
    private let h = Tensor(Shape(0, 0))        // [P, H]
    private let c = Tensor(Shape(0, 0))        // [P, H]
    private let rows = Tensor(Shape(0, 0))     // [T·P, I]
    private let gates = Tensor(Shape(0, 0))    // [T·P, 4H]
    private let hidden = Tensor(Shape(0, 0))   // [T·P, H]
    private let cellTanh = Tensor(Shape(0, 0)) // [P, H], scratch for the shared cell step
    private let output = Tensor(Shape(0, 0))   // [T, H, h, w]

    init(_ lstm: LSTM) { self.lstm = lstm }

    func reset() { hasState = false }

    /// `x` `[T, I, h, w]`: T consecutive frames of one shot.
    func forward(_ x: Tensor) -> Tensor {
        let s = x.shape, T = s.n, P = s.plane
        let I = lstm.inputSize, H = lstm.hiddenSize, G = 4 * H
        precondition(s.c == I, "LSTM stream: input \(s) has \(s.c) channels, expected \(I)")
        if hasState, h.shape != Shape(P, H) { hasState = false }
        rows.resize(Shape(T * P, I))
        LSTM.imagesToRows(x.data, rows.data, batch: 1, time: T, channels: I, plane: P)
        gates.resize(Shape(T * P, G))
        let a = gates.data
        lstm.inputProjection(rows.data, rows: T * P, into: a)
        if !hasState {
            h.resize(Shape(P, H)); h.zero()
            c.resize(Shape(P, H)); c.zero()
        }
        hidden.resize(Shape(T * P, H))
        cellTanh.resize(Shape(P, H))
        for t in 0..<T {
            let at = a + t * P * G, ht = hidden.data + t * P * H
            if hasState || t > 0 {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(P), Int32(G), Int32(H),
                            1, h.data, Int32(H), lstm.weightHH.value, Int32(H), 1, at, Int32(G))
            }
            let cs = c.data, hs = h.data, tc = cellTanh.data
            for p in 0..<P {
                let o = p * H
                LSTM.cellStep(gates: at + p * G, units: H, previousCell: UnsafePointer(cs + o),
                              cell: cs + o, cellTanh: tc + o, hidden: hs + o)
            }
            ht.update(from: hs, count: P * H)
        }
        hasState = true
        output.resize(Shape(T, H, s.h, s.w))
        LSTM.rowsToImages(hidden.data, output.data, batch: 1, time: T, channels: H, plane: P)
        return output
    }
}
