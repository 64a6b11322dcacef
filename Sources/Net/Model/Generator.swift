
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

    /// down1…down7, in forward order (`Architecture.encoder`).
    let encoder: [ConvBlock]
    let lstm: LSTM?
    /// up7…up1, in forward order (`Architecture.decoder`); a level with a skip
    /// joins `skips[level.skip]`.
    let decoder: [ConvBlock]
    let batchNorms: [BatchNorm2d]
    /// For each encoder level, the decoder level that joins its output (nil:
    /// none): backward adds that level's skip gradient into the encoder path.
    private let skipPartner: [Int?]

    /// Saved by forward: the encoder outputs, which are the skip tensors.
    private var skips: [Tensor] = []

    /// Called during `backward` after each block with the lowest offset into
    /// `parameters.grads` whose gradients are now final: parameters are declared
    /// in forward order and backward visits the blocks in reverse, so everything
    /// from that offset to the end of the buffer is complete. The distributed
    /// trainer starts averaging those gradients while the rest of backward runs.
    public var gradientsFinal: ((Int) -> Void)?
    /// First trainable offset of each block, for `gradientsFinal`.
    private var encoderOffsets: [Int] = []
    private var decoderOffsets: [Int] = []
    private var lstmOffset = 0

    /// True (the default): BatchNorm uses batch statistics and updates its
    /// running statistics. False: `evaluationStatistics` (inference).
    public var training: Bool = true {
        didSet { batchNorms.setMode(training: training, evaluationStatistics: evaluationStatistics) }
    }
    /// BatchNorm's statistics when not training (training always uses the batch's).
    public var evaluationStatistics = BatchNormStatistics.running {
        didSet { batchNorms.setMode(training: training, evaluationStatistics: evaluationStatistics) }
    }

    /// Builds the network of `Architecture(config)` and draws its initial
    /// values from `rng` (docs/model.md §Initialisation), in declaration order.
    public init(config: ModelConfig, rng: inout RandomGenerator) throws {
        try config.validate()
        self.config = config
        let architecture = Architecture(config), parameters = parameters
        let encoder = architecture.encoder.map { ConvBlock($0, parameters: parameters) }
        lstm = architecture.bottleneck.map {
            LSTM($0.name, input: $0.inChannels, hidden: $0.outChannels, parameters: parameters)
        }
        let decoder = architecture.decoder.map { ConvBlock($0, parameters: parameters) }
        skipPartner = encoder.indices.map { i in decoder.firstIndex { $0.level.skip == i } }
        batchNorms = (encoder + decoder).compactMap(\.norm)
        self.encoder = encoder
        self.decoder = decoder
        parameters.finalize()
        parameters.initialize(using: &rng)
        skips.reserveCapacity(encoder.count)
        let trainable = parameters.trainable
        func firstOffset(_ name: String) -> Int {
            trainable.filter { $0.name.hasPrefix(name + ".") }.map(\.offset).min() ?? 0
        }
        encoderOffsets = encoder.map { firstOffset($0.level.name) }
        decoderOffsets = decoder.map { firstOffset($0.level.name) }
        lstmOffset = lstm.map { firstOffset($0.name) } ?? 0
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

    /// `forward` once more on a batch it has already run in this step, for its
    /// activations (an accumulated step's G phase): the same batch statistics,
    /// so the same output bits, but the running statistics are not moved twice.
    public func forwardAgain(L: Tensor, batch: Int, time: Int) -> Tensor {
        for bn in batchNorms { bn.updatesRunningStatistics = false }
        defer { batchNorms.setMode(training: training, evaluationStatistics: evaluationStatistics) }
        return forward(L: L, batch: batch, time: time)
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
        for block in decoder {
            x = block.forward(x, skip: block.level.skip.map { skips[$0] })
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
        for i in decoder.indices.reversed() {
            d = decoder[i].backward(d)
            gradientsFinal?(decoderOffsets[i])
        }
        if let lstm {
            d = lstm.backward(d)
            gradientsFinal?(lstmOffset)
        }
        for i in encoder.indices.reversed() {
            if let partner = skipPartner[i], let dSkip = decoder[partner].skipGradient { addInPlace(d, dSkip) }
            d = encoder[i].backward(d, inputGradient: i > 0 || inputGradient)
            gradientsFinal?(encoderOffsets[i])
        }
        return d
    }

    /// Installs (or removes, with nil) the sync-BN reducer on every BatchNorm layer.
    public func setBatchNormReducer(_ reducer: ((UnsafeMutableBufferPointer<Double>) -> Void)?) {
        batchNorms.setReducer(reducer)
    }
}
