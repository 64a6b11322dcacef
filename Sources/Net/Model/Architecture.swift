/// The architecture table of docs/model.md: the channel widths every part of
/// the program builds or counts the networks from (`Generator`,
/// `Discriminator`, the FLOP counter `StepCost`, the layer bench).
extension ModelConfig {
    /// Multiples of the base width of down1…down7's outputs; up_i mirrors down_i.
    static let encoderMultiples = [1, 2, 4, 8, 8, 8, 8]

    /// Output channels of down1…down7: w, 2w, 4w, 8w, 8w, 8w, 8w.
    public var encoderWidths: [Int] { Self.encoderMultiples.map { $0 * baseWidth } }

    /// Channels at the bottleneck (down7's output, the LSTM's input and hidden size): 8w.
    public var bottleneckWidth: Int { encoderWidths[Self.levels - 1] }

    /// Channels into the discriminator's layer1, layer2, layer3 and head:
    /// 3 (L and a*b*), w, 2w, 4w.
    public var discriminatorWidths: [Int] { [3, baseWidth, 2 * baseWidth, 4 * baseWidth] }
}
