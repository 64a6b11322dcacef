/// All parameters and buffers of one network, in one contiguous allocation each.
///
/// llm.c's idea: trainable values live in one flat buffer, their gradients in a
/// second of the same layout, BatchNorm running statistics in a third. All-reduce,
/// Adam, checkpointing and conversion are then each a loop over one buffer, and
/// the order of `entries` (declaration order) is the deterministic order of names.
///
/// Use: layers `declare` their tensors while the model is built, then the owner
/// calls `finalize()` once, which allocates and binds every `Parameter`.
public final class ParameterSet {
    /// Every tensor in declaration order (trainable and buffers interleaved as declared).
    public private(set) var entries: [Parameter] = []
    public private(set) var trainableCount = 0
    public private(set) var bufferCount = 0
    public private(set) var isFinalized = false

    /// Trainable values, `trainableCount` floats.
    public private(set) var values = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    /// Gradients, same layout as `values`.
    public private(set) var grads = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    /// Buffers (running statistics), `bufferCount` floats.
    public private(set) var bufferValues = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)

    private var byName: [String: Parameter] = [:]

    public init() {}

    /// Owns the three allocations. Every bound `Parameter` holds it too, so a layer
    /// that outlives its `ParameterSet` still points at live memory.
    private var storage: FlatBuffers<Float>?

    /// Registers a tensor. Names must be unique; call before `finalize()`.
    @discardableResult
    public func declare(_ name: String, shape: [Int], kind: Parameter.Kind = .trainable,
                        initializer: Initializer) -> Parameter {
        precondition(!isFinalized, "declare after finalize: \(name)")
        precondition(byName[name] == nil, "duplicate parameter name \(name)")
        let p = Parameter(name: name, shape: shape, kind: kind, initializer: initializer)
        switch kind {
        case .trainable: p.offset = trainableCount; trainableCount += p.count
        case .buffer: p.offset = bufferCount; bufferCount += p.count
        }
        entries.append(p)
        byName[name] = p
        return p
    }

    /// Allocates the flat buffers (zeroed) and binds every parameter to its slice.
    public func finalize() {
        precondition(!isFinalized, "finalize called twice")
        let storage = FlatBuffers<Float>([(trainableCount, 0), (trainableCount, 0), (bufferCount, 0)])
        self.storage = storage
        (values, grads, bufferValues) = (storage[0], storage[1], storage[2])
        for p in entries {
            p.storage = storage
            switch p.kind {
            case .trainable:
                p.value = values.baseAddress! + p.offset
                p.grad = grads.baseAddress! + p.offset
            case .buffer:
                p.value = bufferValues.baseAddress! + p.offset
                p.grad = nil
            }
        }
        isFinalized = true
    }

    /// Fills every tensor from its initializer, in declaration order, from `rng`.
    public func initialize(using rng: inout RandomGenerator) {
        precondition(isFinalized)
        for p in entries {
            let v = p.values
            switch p.initializer {
            case .zeros: v.update(repeating: 0)
            case .ones: v.update(repeating: 1)
            case let .normal(mean, std):
                for i in 0..<v.count { v[i] = mean + std * rng.nextNormal() }
            case let .uniform(low, high):
                for i in 0..<v.count { v[i] = low + (high - low) * rng.nextUniform() }
            }
        }
    }

    /// Sets all gradients to zero (before a backward pass).
    public func zeroGradients() {
        grads.update(repeating: 0)
    }

    public subscript(name: String) -> Parameter? { byName[name] }

    /// Trainable parameters in declaration order.
    public var trainable: [Parameter] { entries.filter { $0.kind == .trainable } }
}
