/// An exponential moving average of one network's weights and BatchNorm
/// running statistics, for validation, eval and colorize (docs/model.md
/// §Training recipe, `--ema`).
///
/// It is PyTorch's `torch.optim.swa_utils.AveragedModel(model,
/// multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)`: the first
/// update copies the network, each later one moves every value a fraction
/// `1 − decay` of the way to the network's (`torch.lerp`, evaluated as Adam
/// evaluates its lerp). Buffers are averaged too, as `use_buffers=True` does
/// (and timm's ModelEma): running statistics that belong to the averaged
/// weights rather than to the last step's.
///
/// Replicas stay identical because every rank updates after the step's
/// all-reduce, from the same weights and averaged buffers.
public final class ExponentialMovingAverage {
    public let parameters: ParameterSet
    public let decay: Float
    /// Averaged trainable values, the layout of `parameters.values`.
    public let values: UnsafeMutableBufferPointer<Float>
    /// Averaged buffers, the layout of `parameters.bufferValues`.
    public let buffers: UnsafeMutableBufferPointer<Float>
    /// Owns `values` and `buffers`.
    private let storage: FlatBuffers<Float>
    /// Whether the average holds anything yet (the first update copies).
    public var isStarted = false
    /// Whether `swap()` has put the average into the network.
    public private(set) var isSwappedIn = false

    public init(parameters: ParameterSet, decay: Float) {
        precondition(parameters.isFinalized, "an average needs a finalized ParameterSet")
        precondition(decay >= 0 && decay < 1, "decay \(decay) outside [0, 1)")
        self.parameters = parameters
        self.decay = decay
        storage = FlatBuffers([(parameters.trainableCount, 0), (parameters.bufferCount, 0)])
        (values, buffers) = (storage[0], storage[1])
    }

    /// Folds the network's current values and buffers into the average.
    public func update() {
        precondition(!isSwappedIn, "update while the average is swapped into the network")
        guard isStarted else {
            _ = values.update(fromContentsOf: parameters.values)
            _ = buffers.update(fromContentsOf: parameters.bufferValues)
            isStarted = true
            return
        }
        Self.lerp(values, toward: UnsafeBufferPointer(parameters.values), weight: 1 - decay)
        Self.lerp(buffers, toward: UnsafeBufferPointer(parameters.bufferValues), weight: 1 - decay)
    }

    /// Exchanges the average with the network's own values and buffers; a
    /// second call exchanges them back. Exact (no arithmetic) and allocation-free,
    /// so validation can run on the average between two training steps.
    public func swap() {
        precondition(isStarted, "swap before the first update")
        Self.exchange(values, parameters.values)
        Self.exchange(buffers, parameters.bufferValues)
        isSwappedIn.toggle()
    }

    /// Runs `body` with the average in the network, then puts the network's own back.
    public func withAverage<R>(_ body: () throws -> R) rethrows -> R {
        swap()
        defer { swap() }
        return try body()
    }

    /// `average = torch.lerp(average, current, weight)`, element by element.
    static func lerp(_ average: UnsafeMutableBufferPointer<Float>, toward current: UnsafeBufferPointer<Float>,
                     weight: Float) {
        let count = average.count
        guard count > 0 else { return }
        // PyTorch's CPU lerp: start + w·(end − start) when |w| < 0.5, else end − (1 − w)·(end − start).
        let small = abs(weight) < 0.5
        let coefficient = small ? weight : weight - 1
        let a = average.baseAddress!, c = current.baseAddress!
        ParallelChunks.run(count, grain: 1 << 16) { r in
            for i in r {
                let start = a[i], end = c[i]
                a[i] = (small ? start : end) + coefficient * (end - start)
            }
        }
    }

    static func exchange(_ x: UnsafeMutableBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>) {
        let count = x.count
        guard count > 0 else { return }
        let p = x.baseAddress!, q = y.baseAddress!
        ParallelChunks.run(count, grain: 1 << 16) { r in
            for i in r {
                let t = p[i]
                p[i] = q[i]
                q[i] = t
            }
        }
    }
}
