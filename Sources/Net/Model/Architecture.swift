/// Both networks as data: the tables of docs/model.md for one configuration,
/// level by level, with the side of the frames every layer sees.
///
/// This is the one description of the networks. `Generator` and
/// `Discriminator` build their layers from it (`ConvBlock`), `StepCost` counts
/// its multiply-adds and `LayerBench` times its convolutions, so a level
/// changed here reaches all four. `ArchitectureTests` runs a real training
/// step with `LayerTrace` on and checks that the layers that ran are exactly
/// these, with these shapes, at the cost `StepCost` predicts.
public struct Architecture: Equatable, Sendable {
    /// down1…down7 in forward order. Each level's output is also the skip
    /// tensor of the decoder level whose `skip` names it.
    public let encoder: [Level]
    /// The LSTM at the bottleneck (down7's output in, up7's input out); nil for `temporal = none`.
    public let bottleneck: Layer?
    /// up7…up1 in forward order.
    public let decoder: [Level]
    /// The discriminator after its `concat(L, ab)`: layer1…layer3, then the head.
    public let discriminator: [Level]

    /// Multiples of the base width of down1…down7's outputs: w, 2w, 4w, 8w, 8w, 8w, 8w.
    static let encoderMultiples = [1, 2, 4, 8, 8, 8, 8]
    /// Multiples of the base width of the discriminator's layer1…layer3: w, 2w, 4w.
    static let discriminatorMultiples = [1, 2, 4]
    static let leakySlope: Float = 0.2

    public init(_ config: ModelConfig) {
        let w = config.baseWidth
        let widths = Self.encoderMultiples.map { $0 * w }
        precondition(widths.count == ModelConfig.levels)

        // down1 is a bare conv of L; down2…down7 start with LeakyReLU; down2…down6 end in BN.
        var encoder: [Level] = []
        var channels = 1, side = config.size
        for (i, width) in widths.enumerated() {
            let name = "down\(i + 1)"
            let conv = Layer(name: name + ".conv", kind: .convolution, inChannels: channels, outChannels: width,
                             inSide: side)
            encoder.append(Level(name: name, before: i == 0 ? nil : .leakyReLU(slope: Self.leakySlope), layer: conv,
                                 norm: i > 0 && i < widths.count - 1))
            (channels, side) = (width, conv.outSide)
        }
        bottleneck = config.temporal == .lstm
            ? Layer(name: "lstm", kind: .lstm, inChannels: channels, outChannels: channels, inSide: side) : nil

        // up_i mirrors down_i: ReLU(concat(previous, down_i's output)) → ConvT → BN, giving
        // down_i's input width back; up7 has no skip, up1 gives a*b* (2 channels, biased) and ends in tanh.
        var decoder: [Level] = []
        for i in stride(from: widths.count, through: 1, by: -1) {
            let skip = i < widths.count ? i - 1 : nil
            let output = i == 1 ? 2 : widths[i - 2]
            let conv = Layer(name: "up\(i).conv", kind: .transposedConvolution,
                             inChannels: channels + (skip.map { widths[$0] } ?? 0), outChannels: output,
                             bias: i == 1, inSide: side)
            decoder.append(Level(name: "up\(i)", skip: skip, before: .relu, layer: conv, norm: i > 1,
                                 after: i == 1 ? .tanh : nil))
            (channels, side) = (output, conv.outSide)
        }

        // The PatchGAN: three Conv → BN → LeakyReLU levels on concat(L, ab), then a stride-1 biased head.
        var discriminator: [Level] = []
        channels = 3
        side = config.size
        for (i, multiple) in Self.discriminatorMultiples.enumerated() {
            let name = "layer\(i + 1)"
            let conv = Layer(name: name + ".conv", kind: .convolution, inChannels: channels, outChannels: multiple * w,
                             inSide: side)
            discriminator.append(Level(name: name, layer: conv, norm: true, after: .leakyReLU(slope: Self.leakySlope)))
            (channels, side) = (conv.outChannels, conv.outSide)
        }
        discriminator.append(Level(name: "head", layer: Layer(name: "head", kind: .convolution, inChannels: channels,
                                                              outChannels: 1, stride: 1, bias: true, inSide: side)))
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator = discriminator
    }

    /// The generator's layers that multiply matrices, in forward order: the
    /// encoder's convolutions, the LSTM, the decoder's. The first reads the input.
    public var generatorLayers: [Layer] { encoder.map(\.layer) + (bottleneck.map { [$0] } ?? []) + decoder.map(\.layer) }

    /// The discriminator's layers that multiply matrices, in forward order. The first reads the input.
    public var discriminatorLayers: [Layer] { discriminator.map(\.layer) }

    /// One row of a table of docs/model.md:
    /// `[concat(previous, skip)] → [activation] → layer → [BN] → [activation]`.
    public struct Level: Equatable, Sendable {
        /// The level's name ("down2"), the start of its tensors' names ("down2.bn.weight").
        public var name: String
        /// The encoder level (an index into `encoder`) whose output is joined
        /// after the previous level's output; nil: none.
        public var skip: Int? = nil
        public var before: Activation? = nil
        /// A convolution or a transposed convolution.
        public var layer: Layer
        /// Whether BatchNorm (named `name.bn`) follows the layer.
        public var norm = false
        public var after: Activation? = nil
    }

    public enum Activation: Equatable, Sendable {
        case relu
        case leakyReLU(slope: Float)
        case tanh
    }

    /// A layer that multiplies matrices, with the shapes it sees at the
    /// configuration's frame size and what it costs.
    public struct Layer: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            /// `Conv2d`: halves the side at stride 2.
            case convolution
            /// `ConvTranspose2d`: doubles the side at stride 2.
            case transposedConvolution
            /// `LSTM` over time at every position: keeps the side.
            case lstm
        }

        /// The start of its tensors' names: "down2.conv" (→ "down2.conv.weight"), "head", "lstm".
        public var name: String
        public var kind: Kind
        public var inChannels: Int
        public var outChannels: Int
        public var kernel = 4
        public var stride = 2
        public var padding = 1
        public var bias = false
        /// The side of the frames it takes.
        public var inSide: Int

        /// The side of the frames it gives.
        public var outSide: Int {
            switch kind {
            case .convolution: (inSide + 2 * padding - kernel) / stride + 1
            case .transposedConvolution: (inSide - 1) * stride - 2 * padding + kernel
            case .lstm: inSide
            }
        }

        /// Multiply-adds of the forward pass over one frame: `in · out · k²`
        /// for every output position of a convolution and every input position
        /// of a transposed one; `4H · (I + H)` per position for the LSTM (its
        /// input and recurrent projections, the first frame's counted as the
        /// others'). The weight gradients cost as much again, and so do the
        /// input gradients. Element-wise work (BN, activations, the cell's
        /// gates) is memory-bound and not counted.
        public var macsPerFrame: Int {
            switch kind {
            case .convolution: outSide * outSide * inChannels * outChannels * kernel * kernel
            case .transposedConvolution: inSide * inSide * inChannels * outChannels * kernel * kernel
            case .lstm: inSide * inSide * 4 * outChannels * (inChannels + outChannels)
            }
        }
    }
}
