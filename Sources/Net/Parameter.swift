/// How a tensor's initial values are drawn (docs/model.md §Initialisation).
public enum Initializer: Sendable, Equatable {
    case zeros
    case ones
    case normal(mean: Float, std: Float)
    case uniform(low: Float, high: Float)
}

/// One named tensor of a network, stored in its `ParameterSet`'s flat buffers.
///
/// `shape` is the PyTorch shape (e.g. `[out, in, 4, 4]` for a conv weight,
/// `[in, out, 4, 4]` for a transposed conv); `name` is its name in docs/format.md §Tensor names.
public final class Parameter {
    public enum Kind: Sendable { case trainable, buffer }

    public let name: String
    public let shape: [Int]
    public let count: Int
    public let kind: Kind
    public let initializer: Initializer
    /// Offset into `ParameterSet.values`/`.grads` (trainable) or `.bufferValues` (buffer).
    public internal(set) var offset: Int = 0
    /// The values; bound when the set is finalised.
    public internal(set) var value: UnsafeMutablePointer<Float>!
    /// The gradient (trainable only; nil for buffers). Backward passes add into it.
    public internal(set) var grad: UnsafeMutablePointer<Float>?
    /// Keeps the memory `value` and `grad` point into alive.
    var storage: FlatBuffers<Float>?

    init(name: String, shape: [Int], kind: Kind, initializer: Initializer) {
        self.name = name
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.kind = kind
        self.initializer = initializer
    }

    public var values: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: value, count: count)
    }
}
