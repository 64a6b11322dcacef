/// A group of tensors in a model file (docs/format.md §Checkpoints): a network's
/// weights and buffers (or their moving average), or a network's Adam moments. A checkpoint keeps each
/// group as the HDF5 group at `path`; a flat file (safetensors) has only the
/// networks' groups, told apart by name (`network(ofFlatName:)`).
public struct TensorGroup: Hashable, Sendable, CustomStringConvertible {
    /// Where a checkpoint keeps it: "generator", "optimizer/generator".
    public let path: String

    public static let generator = TensorGroup(path: "generator")
    public static let discriminator = TensorGroup(path: "discriminator")
    /// A moving average of the generator's weights and buffers (optional; checkpoints only).
    public static let generatorAverage = TensorGroup(path: "ema/generator")

    /// Adam's moments of `network`'s trainable tensors, stored as `<name>/m` and `<name>/v`.
    public static func moments(of network: TensorGroup) -> TensorGroup {
        TensorGroup(path: "optimizer/" + network.path)
    }

    public var description: String { path }

    /// The network a tensor name of docs/format.md §Tensor names belongs to: the
    /// discriminator's start `layer` or `head.`, every other name is the generator's
    /// (the two never collide, so one flat namespace holds both).
    static func network(ofFlatName name: String) -> TensorGroup {
        name.hasPrefix("layer") || name.hasPrefix("head.") ? .discriminator : .generator
    }

    /// PyTorch's BatchNorm counter, an int64 scalar in every torch-saved
    /// state_dict. We never use it (momentum is fixed at 0.1), so it is accepted
    /// and ignored rather than rejected as a tensor the model lacks.
    static func isBatchCounter(_ name: String) -> Bool { name.hasSuffix(".num_batches_tracked") }
}
