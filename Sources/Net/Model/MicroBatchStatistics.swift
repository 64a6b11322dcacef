/// The BatchNorm running statistics of an accumulated step (`Pix2PixTrainer`
/// with K micro-batches). K ranks each move their running statistics from the
/// step's starting values with their own batch, and the per-step all-reduce
/// leaves their mean; so here every micro-batch starts from the values the
/// step began with, and the step ends on the mean of the K results.
///
/// G moves its statistics once per micro-batch (its forward in D's phase;
/// the recomputed forward of G's phase leaves them alone). D moves its
/// statistics three times per micro-batch, twice in D's phase and once in
/// G's, which comes after every micro-batch's D phase: each micro-batch's D
/// statistics are kept between the phases in a slot of their own.
///
/// Buffers are allocated for the largest K seen; after the first step at
/// that K nothing is allocated.
final class MicroBatchStatistics {
    private let generator: UnsafeMutableBufferPointer<Float>
    private let discriminator: UnsafeMutableBufferPointer<Float>
    /// G's and D's values at the start of the step, then D's per micro-batch.
    private var start: FlatBuffers<Float>?
    /// G's and D's sums over the micro-batches, in Double.
    private var sums: FlatBuffers<Double>?
    private var capacity = 0

    init(generator: UnsafeMutableBufferPointer<Float>, discriminator: UnsafeMutableBufferPointer<Float>) {
        self.generator = generator
        self.discriminator = discriminator
    }

    private var generatorStart: UnsafeMutableBufferPointer<Float> { start![0] }
    private var discriminatorStart: UnsafeMutableBufferPointer<Float> { start![1] }
    private func slot(_ k: Int) -> UnsafeMutableBufferPointer<Float> { start![2 + k] }

    /// Remembers the step's starting values and clears the sums.
    func begin(microBatches: Int) {
        if microBatches > capacity {
            start = FlatBuffers([(generator.count, 0), (discriminator.count, 0)]
                                + Array(repeating: (discriminator.count, 0), count: microBatches))
            sums = FlatBuffers([(generator.count, 0), (discriminator.count, 0)])
            capacity = microBatches
        }
        _ = generatorStart.update(fromContentsOf: generator)
        _ = discriminatorStart.update(fromContentsOf: discriminator)
        sums![0].update(repeating: 0)
        sums![1].update(repeating: 0)
    }

    /// Before micro-batch k's first forward: both networks at the step's starting values.
    func resetToStart() {
        _ = generator.update(fromContentsOf: generatorStart)
        _ = discriminator.update(fromContentsOf: discriminatorStart)
    }

    /// After G's forward of a micro-batch moved its statistics.
    func addGenerator() { Self.add(generator, into: sums![0]) }

    /// After D's phase of micro-batch k: keep D's statistics for its G phase.
    func keepDiscriminator(_ k: Int) { _ = slot(k).update(fromContentsOf: discriminator) }

    /// Before G's phase of micro-batch k: D's statistics as its D phase left them.
    func restoreDiscriminator(_ k: Int) { _ = discriminator.update(fromContentsOf: slot(k)) }

    /// After D's last forward of a micro-batch.
    func addDiscriminator() { Self.add(discriminator, into: sums![1]) }

    /// The step's result: each network's mean over the micro-batches (D's only
    /// when D ran, `adversarial`).
    func finish(microBatches: Int, adversarial: Bool) {
        Self.mean(sums![0], of: microBatches, into: generator)
        if adversarial { Self.mean(sums![1], of: microBatches, into: discriminator) }
    }

    private static func add(_ values: UnsafeMutableBufferPointer<Float>, into sum: UnsafeMutableBufferPointer<Double>) {
        for i in 0..<values.count { sum[i] += Double(values[i]) }
    }

    /// `sum / count` rounded to Float, as the per-step all-reduce averages in Double.
    private static func mean(_ sum: UnsafeMutableBufferPointer<Double>, of count: Int,
                             into values: UnsafeMutableBufferPointer<Float>) {
        let scale = 1 / Double(count)
        for i in 0..<values.count { values[i] = Float(sum[i] * scale) }
    }
}
