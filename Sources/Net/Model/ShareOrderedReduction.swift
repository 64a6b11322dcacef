/// The reduction of `vcolor train --reproducible`: a step's result that does
/// not depend on how its M = ranks × K micro-batches are grouped.
///
/// A step's global batch is M shares; micro-batch k of rank r is share
/// rK + k (`Sampler`). Each micro-batch's gradients (of both networks, with no
/// 1/K folded into its losses), BatchNorm running statistics and losses go
/// into a slot of their own; `gather` brings every rank's slots together in
/// share order (an in-place all-gather; nothing to do in one process); and
/// every rank adds the M slots in share order 0 … M − 1 and scales by 1/M.
/// The float operations are then the same for `-np 4`, `-np 2 --accumulate 2`
/// and `--accumulate 4`, so are the bits. The default path's all-reduce adds
/// in an order MPI picks and the accumulated step adds K micro-batches before
/// the ranks' sums, so it agrees only to float rounding.
///
/// The price (docs/training.md): M slots of both networks' gradients on every
/// rank, gathered instead of all-reduced (M times the bytes) and with no
/// overlap with G's backward. All buffers are allocated here, once.
public final class ShareOrderedReduction {
    /// Brings every rank's slots into place: `slots` holds M slots, and this
    /// rank's K are already in theirs. Collective: every rank calls it in step.
    public typealias Gather = (_ slots: UnsafeMutableBufferPointer<Float>) -> Void

    /// M, the step's micro-batches over all ranks.
    public let shares: Int
    /// K, this rank's micro-batches per step.
    public let microBatches: Int
    /// This rank's first share, rK.
    let first: Int
    private let gather: Gather?
    private let generator: ParameterSet
    private let discriminator: ParameterSet
    /// M slots of D's gradients (reduced before D's update), then M slots of
    /// G's gradients, G's and D's running statistics and the three losses.
    private let storage: FlatBuffers<Float>
    private let generatorStride: Int

    private enum Loss: Int { case discriminator, generatorGAN, generatorL1 }

    /// - Parameters:
    ///   - gather: nil in one process, where all M slots are this rank's.
    public init(generator: ParameterSet, discriminator: ParameterSet, ranks: Int, rank: Int, microBatches: Int,
                gather: Gather?) {
        precondition(ranks >= 1 && (0..<ranks).contains(rank) && microBatches >= 1, "rank \(rank) of \(ranks) × \(microBatches)")
        precondition(ranks == 1 || gather != nil, "\(ranks) ranks need a gather")
        self.generator = generator
        self.discriminator = discriminator
        shares = ranks * microBatches
        self.microBatches = microBatches
        first = rank * microBatches
        self.gather = gather
        generatorStride = generator.grads.count + generator.bufferValues.count + discriminator.bufferValues.count + 3
        storage = FlatBuffers([(shares * discriminator.grads.count, 0), (shares * generatorStride, 0)])
    }

    private var discriminatorSlots: UnsafeMutableBufferPointer<Float> { storage[0] }
    private var generatorSlots: UnsafeMutableBufferPointer<Float> { storage[1] }

    /// Micro-batch k's part of share slot `slots`, `count` values from `offset`.
    private func part(_ slots: UnsafeMutableBufferPointer<Float>, stride: Int, share: Int, offset: Int,
                      count: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: slots.baseAddress! + share * stride + offset, count: count)
    }

    private func generatorPart(_ k: Int, offset: Int, count: Int) -> UnsafeMutableBufferPointer<Float> {
        part(generatorSlots, stride: generatorStride, share: first + k, offset: offset, count: count)
    }

    private var statisticsOffset: Int { generator.grads.count }
    private var discriminatorStatisticsOffset: Int { statisticsOffset + generator.bufferValues.count }
    private var lossOffset: Int { discriminatorStatisticsOffset + discriminator.bufferValues.count }

    /// Clears this rank's losses: a step without D's phase has no D loss.
    func begin(microBatches K: Int) {
        for k in 0..<K { generatorPart(k, offset: lossOffset, count: 3).update(repeating: 0) }
    }

    /// Moves D's gradients of micro-batch k into its slot, leaving them zero for the next.
    func takeDiscriminatorGradients(_ k: Int) {
        let d = discriminator.grads
        Self.move(d, into: part(discriminatorSlots, stride: d.count, share: first + k, offset: 0, count: d.count))
    }

    /// Moves G's gradients of micro-batch k into its slot, leaving them zero for the next.
    func takeGeneratorGradients(_ k: Int) {
        Self.move(generator.grads, into: generatorPart(k, offset: 0, count: generator.grads.count))
    }

    /// G's running statistics as micro-batch k's forward left them.
    func keepGeneratorStatistics(_ k: Int) {
        _ = generatorPart(k, offset: statisticsOffset, count: generator.bufferValues.count)
            .update(fromContentsOf: generator.bufferValues)
    }

    /// D's running statistics as micro-batch k's last forward left them.
    func keepDiscriminatorStatistics(_ k: Int) {
        _ = generatorPart(k, offset: discriminatorStatisticsOffset, count: discriminator.bufferValues.count)
            .update(fromContentsOf: discriminator.bufferValues)
    }

    func keepDiscriminatorLoss(_ k: Int, _ value: Float) { keep(k, .discriminator, value) }

    func keepGeneratorLosses(_ k: Int, gan: Float, l1: Float) {
        keep(k, .generatorGAN, gan)
        keep(k, .generatorL1, l1)
    }

    private func keep(_ k: Int, _ loss: Loss, _ value: Float) {
        generatorPart(k, offset: lossOffset + loss.rawValue, count: 1)[0] = value
    }

    /// D's gradients: every share's, gathered, added in share order and scaled by 1/M.
    func reduceDiscriminator() {
        gather?(discriminatorSlots)
        Self.sum(discriminatorSlots, stride: discriminator.grads.count, offset: 0, shares: shares, into: discriminator.grads)
    }

    /// G's gradients as `reduceDiscriminator` does D's; the running
    /// statistics (D's only when D ran, `adversarial`) and losses likewise, in
    /// Double as the default path's per-step all-reduce. Returns the losses.
    func reduceGenerator(adversarial: Bool) -> StepLosses {
        gather?(generatorSlots)
        let slots = generatorSlots, stride = generatorStride
        Self.sum(slots, stride: stride, offset: 0, shares: shares, into: generator.grads)
        Self.mean(slots, stride: stride, offset: statisticsOffset, shares: shares, into: generator.bufferValues)
        if adversarial {
            Self.mean(slots, stride: stride, offset: discriminatorStatisticsOffset, shares: shares,
                      into: discriminator.bufferValues)
        }
        func loss(_ which: Loss) -> Float {
            Self.mean(slots.baseAddress! + lossOffset + which.rawValue, stride: stride, shares: shares)
        }
        return StepLosses(discriminator: loss(.discriminator), generatorGAN: loss(.generatorGAN), generatorL1: loss(.generatorL1))
    }

    private static func move(_ values: UnsafeMutableBufferPointer<Float>, into slot: UnsafeMutableBufferPointer<Float>) {
        _ = slot.update(fromContentsOf: values)
        values.update(repeating: 0)
    }

    /// `result = (slot 0 + slot 1 + … + slot M−1) × 1/M`, added left to right,
    /// in Float as gradients are.
    private static func sum(_ slots: UnsafeMutableBufferPointer<Float>, stride: Int, offset: Int, shares: Int,
                            into result: UnsafeMutableBufferPointer<Float>) {
        let base = slots.baseAddress! + offset, out = result.baseAddress!, n = result.count
        for i in 0..<n { out[i] = base[i] }
        for s in 1..<max(shares, 1) {
            let slot = base + s * stride
            for i in 0..<n { out[i] += slot[i] }
        }
        let scale = 1 / Float(shares)
        for i in 0..<n { out[i] *= scale }
    }

    /// As `sum`, added in Double and rounded once to Float.
    private static func mean(_ slots: UnsafeMutableBufferPointer<Float>, stride: Int, offset: Int, shares: Int,
                             into result: UnsafeMutableBufferPointer<Float>) {
        let base = slots.baseAddress! + offset
        for i in 0..<result.count { result[i] = mean(base + i, stride: stride, shares: shares) }
    }

    /// The mean of one value over the shares, `first` the value in share 0.
    private static func mean(_ first: UnsafeMutablePointer<Float>, stride: Int, shares: Int) -> Float {
        var total = 0.0
        for s in 0..<shares { total += Double(first[s * stride]) }
        return Float(total * (1 / Double(shares)))
    }
}
