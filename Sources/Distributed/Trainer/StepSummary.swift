import Net
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// The one all-reduce after every step, in Double: the three losses, one
/// slot per stop signal (how many ranks received it), and the BatchNorm
/// running statistics of both networks.
///
/// - Losses: every rank sees the same numbers, so a NaN stops every rank at
///   the same step.
/// - Stop signals: a signal reaching one rank (SLURM signals one process, a
///   user may `kill` one rank) stops them all after the same step, with no
///   collective of its own.
/// - Running statistics: each rank's differ (each normalises its own batch);
///   their mean is what one process with all ranks' batches would hold (the
///   update is affine). Averaging them every step keeps the replicas
///   bit-identical buffers included, so a checkpoint can be written after any
///   step and a resumed run equals an uninterrupted one wherever it stopped.
///   They are a few thousand floats (8 KB for the seed model's G and D).
///
/// `replicated` (`--reproducible`): the step's reduction already left every
/// rank with the same losses and running statistics, reduced in share order;
/// only the stop signals are all-reduced, so that nothing is rounded again.
final class StepSummary {
    static let signals: [Int32] = [SIGTERM, SIGUSR1, SIGINT]
    private let buffer: UnsafeMutableBufferPointer<Double>
    private let generatorBuffers: UnsafeMutableBufferPointer<Float>
    private let discriminatorBuffers: UnsafeMutableBufferPointer<Float>
    private let replicated: Bool
    private var headCount: Int { 3 + Self.signals.count }

    init(model: Pix2PixTrainer, replicated: Bool = false) {
        self.replicated = replicated
        generatorBuffers = model.generator.parameters.bufferValues
        discriminatorBuffers = model.discriminator.parameters.bufferValues
        buffer = .allocate(capacity: 3 + Self.signals.count + generatorBuffers.count + discriminatorBuffers.count)
        buffer.initialize(repeating: 0)
    }

    deinit { buffer.deallocate() }

    /// The losses after `reduce`, averaged over ranks.
    var losses: [Double] { [buffer[0], buffer[1], buffer[2]] }

    /// Averages losses and running statistics over the ranks (in place in the
    /// model) and returns the stop signal any rank received, if any.
    func reduce(losses local: StepLosses, stopSignal: Int32?, comm: Communicator) throws -> Int32? {
        buffer[0] = Double(local.discriminator)
        buffer[1] = Double(local.generatorGAN)
        buffer[2] = Double(local.generatorL1)
        for (i, s) in Self.signals.enumerated() { buffer[3 + i] = stopSignal == s ? 1 : 0 }
        guard comm.size > 1 else { return stopSignal }
        let b = buffer.baseAddress!
        if replicated {
            try comm.allReduceSum(UnsafeMutableBufferPointer(start: b + 3, count: Self.signals.count))
            return signal()
        }
        let g = generatorBuffers, d = discriminatorBuffers
        for i in 0..<g.count { b[headCount + i] = Double(g[i]) }
        for i in 0..<d.count { b[headCount + g.count + i] = Double(d[i]) }
        try comm.allReduceAverage(buffer)
        for i in 0..<g.count { g[i] = Float(b[headCount + i]) }
        for i in 0..<d.count { d[i] = Float(b[headCount + g.count + i]) }
        return signal()
    }

    /// The stop signal some rank received, from the all-reduced slots.
    private func signal() -> Int32? {
        Self.signals.indices.first { buffer[3 + $0] > 0 }.map { Self.signals[$0] }
    }
}
