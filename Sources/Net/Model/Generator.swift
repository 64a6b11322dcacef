
/// The colourising generator: a pix2pix U-Net with an LSTM at its bottleneck (docs/model.md).
///
///     L ─ down1 ─ down2 ─ … ─ down7 ─ [lstm] ─ up7 ─ up6 ─ … ─ up2 ─ up1 ─ ab
///           │       │                            │            │     │
///           └───────┼────────────── skip ────────┼────────────┼─────┘
///                   └────────────── skip ────────┼────────────┘   (down_i → up_i)
///
/// The convolutions see a clip batch as `batch*time` independent images; only
/// the LSTM sees time (each bottleneck position is its own sequence, state zero
/// at the clip's first frame). Parameters are declared in network order, which
/// is the deterministic order of `parameters.entries`: down1…down7, lstm, up7…up1.
public final class Generator {
    public let config: ModelConfig
    public let parameters = ParameterSet()

    /// down1…down7 at indices 0…6.
    let encoder: [EncoderBlock]
    let lstm: LSTM?
    /// up1…up7 at indices 0…6 (so `decoder[i]` takes `encoder[i]`'s output as its skip).
    let decoder: [DecoderBlock]
    let batchNorms: [BatchNorm2d]

    /// Saved by forward: the encoder outputs, which are the skip tensors.
    private var skips: [Tensor] = []

    /// True (the default): BatchNorm uses batch statistics and updates its
    /// running statistics. False: running statistics (inference).
    /// Called during `backward` after each block with the lowest offset into
    /// `parameters.grads` whose gradients are now final: parameters are declared
    /// in forward order and backward visits the blocks in reverse, so everything
    /// from that offset to the end of the buffer is complete. The distributed
    /// trainer starts averaging those gradients while the rest of backward runs.
    public var gradientsFinal: ((Int) -> Void)?
    /// First trainable offset of each block, for `gradientsFinal`: up1…up7,
    /// down1…down7 and the LSTM.
    private var decoderOffsets: [Int] = []
    private var encoderOffsets: [Int] = []
    private var lstmOffset = 0

    public var training: Bool = true {
        didSet { setBatchNormMode() }
    }
    /// BatchNorm's statistics when not training (training always uses the batch's).
    public var evaluationStatistics = BatchNormStatistics.running {
        didSet { setBatchNormMode() }
    }

    private func setBatchNormMode() {
        for bn in batchNorms {
            bn.training = training || evaluationStatistics == .clip
            bn.updatesRunningStatistics = training
        }
    }

    /// Builds the network and draws its initial values from `rng` (docs/model.md
    /// §Initialisation), in declaration order.
    public init(config: ModelConfig, rng: inout RandomGenerator) throws {
        try config.validate()
        self.config = config
        // Encoder widths: down_i outputs enc[i-1] channels.
        let enc = config.encoderWidths
        var encoder: [EncoderBlock] = []
        for i in 0..<7 {
            encoder.append(EncoderBlock("down\(i + 1)", in: i == 0 ? 1 : enc[i - 1], out: enc[i],
                                        activation: i > 0, norm: i > 0 && i < 6,
                                        parameters: parameters))
        }
        lstm = config.temporal == .lstm
            ? LSTM("lstm", input: config.bottleneckWidth, hidden: config.bottleneckWidth, parameters: parameters) : nil
        // Decoder, declared up7 first so names appear in network order. up_i
        // outputs enc[i-2] channels (up1: 2) and takes up_{i+1}'s output
        // (enc[i-1] channels) concatenated with down_i's (enc[i-1] channels);
        // up7 takes down7's output (or the LSTM's) alone.
        var decoderFromTop: [DecoderBlock] = []
        for i in stride(from: 7, through: 1, by: -1) {
            let input = i == 7 ? enc[6] : 2 * enc[i - 1]
            let output = i == 1 ? 2 : enc[i - 2]
            decoderFromTop.append(DecoderBlock("up\(i)", in: input, out: output, skip: i < 7,
                                               outermost: i == 1, parameters: parameters))
        }
        self.encoder = encoder
        self.decoder = decoderFromTop.reversed()
        batchNorms = encoder.compactMap(\.norm) + decoderFromTop.compactMap(\.norm)
        parameters.finalize()
        parameters.initialize(using: &rng)
        skips.reserveCapacity(7)
        let trainable = parameters.trainable
        func firstOffset(_ block: String) -> Int {
            trainable.filter { $0.name.hasPrefix(block + ".") }.map(\.offset).min() ?? 0
        }
        decoderOffsets = (1...7).map { firstOffset("up\($0)") }
        encoderOffsets = (1...7).map { firstOffset("down\($0)") }
        lstmOffset = firstOffset("lstm")
    }

    /// Runs the network on a clip batch.
    ///
    /// - Parameter L: `[batch*time, 1, S, S]`, normalised lightness `L/50 − 1`.
    /// - Returns: `[batch*time, 2, S, S]` in [−1, 1], the normalised ab (`ab/110`);
    ///   owned by the generator, valid until the next forward.
    public func forward(L: Tensor, batch: Int, time: Int) -> Tensor {
        let s = config.size
        precondition(L.shape == Shape(batch * time, 1, s, s),
                     "generator input \(L.shape), expected [\(batch * time), 1, \(s), \(s)]")
        return walk(L) { x in lstm.map { $0.forward(x, batch: batch, time: time) } ?? x }
    }

    /// The U-Net's one forward walk, shared with `GeneratorStream`: down1…down7
    /// (each output kept as its level's skip), `bottleneck` on down7's output,
    /// then up7…up1, each joined with its skip.
    func walk(_ L: Tensor, bottleneck: (Tensor) -> Tensor) -> Tensor {
        skips.removeAll(keepingCapacity: true)
        var x = L
        for block in encoder {
            x = block.forward(x)
            skips.append(x)
        }
        x = bottleneck(x)
        x = decoder[6].forward(x, skip: nil)
        for i in stride(from: 5, through: 0, by: -1) {
            x = decoder[i].forward(x, skip: skips[i])
        }
        return x
    }

    /// Back-propagates `dOut` (the gradient w.r.t. forward's output), adding
    /// every parameter's gradient into `parameters.grads`.
    ///
    /// A skip tensor feeds two consumers, the next encoder level and its decoder
    /// partner, so its gradient is the sum of both paths: the decoder's part is
    /// added into the encoder path's gradient before that level's backward.
    ///
    /// - Returns: the gradient w.r.t. `L` when `inputGradient` is true
    ///   (training never needs it; gradient checks do), else unspecified.
    @discardableResult
    public func backward(_ dOut: Tensor, inputGradient: Bool = false) -> Tensor {
        var d = dOut
        for i in 0..<7 {
            d = decoder[i].backward(d)
            gradientsFinal?(decoderOffsets[i])
        }
        if let lstm {
            d = lstm.backward(d)
            gradientsFinal?(lstmOffset)
        }
        for i in stride(from: 6, through: 0, by: -1) {
            if i < 6, let dSkip = decoder[i].skipGradient { addInPlace(d, dSkip) }
            d = encoder[i].backward(d, inputGradient: i > 0 || inputGradient)
            gradientsFinal?(encoderOffsets[i])
        }
        return d
    }

    /// Installs (or removes, with nil) the sync-BN reducer on every BatchNorm layer.
    public func setBatchNormReducer(_ reducer: ((UnsafeMutableBufferPointer<Double>) -> Void)?) {
        for bn in batchNorms { bn.reduceStatistics = reducer }
    }
}
