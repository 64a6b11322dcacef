/// Everything besides the tensors that a resumed run needs to continue exactly
/// where the interrupted one stopped (docs/format.md §Checkpoints): stored as
/// attributes of the checkpoint's root group, beside the Adam moments under
/// `/optimizer`. A weights-only file (`vcolor convert`, safetensors) has none.
public struct TrainingState: Codable, Equatable, Sendable {
    /// Completed training steps (the file is `step-<step>.h5`).
    public var step: Int
    /// The epoch the next step belongs to.
    public var epoch: Int
    /// Where the sampler continues (the step after the last completed one).
    public var cursor: SamplerCursor
    /// Steps per epoch of the run that wrote the checkpoint: with another rank
    /// count the epoch is cut differently and the cursor must be rescaled.
    public var stepsPerEpoch: Int
    /// Ranks of the run that wrote the checkpoint.
    public var worldSize: Int
    /// The trainer's random generator (xoshiro256** state words).
    public var rngState: [UInt64]
    /// Adam's `stepCount` of each network (bias correction depends on it).
    public var generatorAdamSteps: Int
    public var discriminatorAdamSteps: Int
    /// What the run trained on (sequence ids, frame counts and splits of the
    /// data set, hashed), so `--resume` on another data set is noticed. Nil in
    /// checkpoints written before it was recorded.
    public var dataFingerprint: String?
    /// The precision gradients travelled in between ranks (`--allreduce-precision`:
    /// "fp32", "bf16"), so a resume with another one is noticed, as one on
    /// another rank count is. Nil in checkpoints written before it was recorded.
    public var allreducePrecision: String?

    public init(step: Int, epoch: Int, cursor: SamplerCursor, stepsPerEpoch: Int, worldSize: Int,
                rngState: [UInt64], generatorAdamSteps: Int, discriminatorAdamSteps: Int,
                dataFingerprint: String? = nil, allreducePrecision: String? = nil) {
        self.step = step
        self.epoch = epoch
        self.cursor = cursor
        self.stepsPerEpoch = stepsPerEpoch
        self.worldSize = worldSize
        self.rngState = rngState
        self.generatorAdamSteps = generatorAdamSteps
        self.discriminatorAdamSteps = discriminatorAdamSteps
        self.dataFingerprint = dataFingerprint
        self.allreducePrecision = allreducePrecision
    }
}

/// Where training is in the data: stored in checkpoints so a resumed run
/// draws exactly the batches the interrupted one would have drawn.
public struct SamplerCursor: Hashable, Codable, Sendable {
    public var epoch: Int
    public var stepInEpoch: Int

    public init(epoch: Int = 0, stepInEpoch: Int = 0) {
        self.epoch = epoch
        self.stepInEpoch = stepInEpoch
    }
}
