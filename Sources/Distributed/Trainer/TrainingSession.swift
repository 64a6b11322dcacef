import DataPrep
import Foundation
import ModelFiles
import Net

/// The state of one run between `Trainer.setUp` and its end: what was set up
/// (data, model, loader, validator, log) and where the run is (step, cursor,
/// random generator, newest checkpoint).
final class TrainingSession {
    let options: TrainingOptions
    let data: TrainingData
    let config: TrainingConfiguration
    let sampler: Sampler
    let model: Pix2PixTrainer
    let checkpoints: CheckpointDirectory
    let loader: ClipLoader
    let validator: Validator
    /// Rank 0 only.
    let log: TrainingLog?
    /// The per-step all-reduce's buffer, allocated once.
    let summary: StepSummary
    /// Every rank's compute time in the newest step, by rank (`rank_compute_s`):
    /// the per-step all-gather's buffer, allocated once.
    let rankComputeSeconds: UnsafeMutableBufferPointer<Double>
    let framesPerStep: Double

    var rng: RandomGenerator
    /// Completed steps.
    var step = 0
    /// Where the sampler continues.
    var cursor = SamplerCursor()
    /// The step of the newest checkpoint on disk, if any.
    var lastCheckpoint: Int?

    init(options: TrainingOptions, data: TrainingData, config: TrainingConfiguration, sampler: Sampler,
         model: Pix2PixTrainer, rng: RandomGenerator, checkpoints: CheckpointDirectory, worldSize: Int,
         loader: ClipLoader, validator: Validator, log: TrainingLog?) {
        self.options = options
        self.data = data
        self.config = config
        self.sampler = sampler
        self.model = model
        self.rng = rng
        self.checkpoints = checkpoints
        self.loader = loader
        self.validator = validator
        self.log = log
        self.summary = StepSummary(model: model, replicated: options.reproducible)
        self.rankComputeSeconds = .allocate(capacity: worldSize)
        self.framesPerStep = Double(options.accumulate * options.batch * options.clip * worldSize)
        rankComputeSeconds.initialize(repeating: 0)
    }

    deinit { rankComputeSeconds.deallocate() }

    /// True once the run has its `--steps` or `--epochs`.
    func finished(_ step: Int, _ cursor: SamplerCursor) -> Bool {
        switch options.length {
        case .steps(let n): return step >= n
        case .epochs(let n): return cursor.epoch >= n
        }
    }

    /// Steps left, saturating (`--epochs` is the user's and may be absurdly large).
    func remaining(_ step: Int, _ cursor: SamplerCursor) -> Int {
        switch options.length {
        case .steps(let n): return max(0, n - step)
        case .epochs(let n):
            let (steps, overflow) = max(0, n - cursor.epoch).multipliedReportingOverflow(by: sampler.stepsPerEpoch)
            return overflow ? Int.max : max(0, steps - cursor.stepInEpoch)
        }
    }
}
