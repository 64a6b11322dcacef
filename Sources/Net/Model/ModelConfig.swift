/// The model's hyper-parameters (docs/model.md), stored in checkpoints as JSON.
///
/// `baseWidth` scales every channel count of the seed model (64): the generator's
/// encoder is w, 2w, 4w, 8w, 8w, 8w, 8w, the LSTM has 8w hidden units, and the
/// discriminator is w, 2w, 4w, 1. Tests build tiny models (w = 2) from the same code.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Whether the generator has an LSTM at its bottleneck (docs/model.md §Temporal variants).
    public enum Temporal: String, Codable, Sendable, CaseIterable {
        case lstm
        case none
    }

    public var baseWidth: Int = 64
    public var temporal: Temporal = .lstm
    /// Frame height = width; a multiple of 128 so that seven stride-2 levels divide it.
    public var size: Int = 128
    /// λ of the L1 term in the generator's loss.
    public var lambdaL1: Float = 100
    public var learningRate: Float = 2e-4
    public var beta1: Float = 0.5
    public var beta2: Float = 0.999
    /// Weight of the adversarial term in G's loss (`ganWeight · BCE + λ · L1`);
    /// 0 trains G on L1 alone and never trains D.
    public var ganWeight: Float = 1
    /// Steps at the start during which G learns from λ · L1 alone and D is not
    /// trained (the "NoGAN" warm-up; docs/model.md §Training recipe).
    public var noganSteps: Int = 0
    /// Steps over which both learning rates rise linearly from lr/warmupSteps to lr.
    public var warmupSteps: Int = 0
    /// Decay of the exponential moving average of G's weights that validation,
    /// eval and colorize use (0: no average, the last step's weights).
    public var emaDecay: Float = 0

    /// The number of stride-2 levels of the U-Net (fixed by docs/model.md).
    public static let levels = 7

    public init(baseWidth: Int = 64, temporal: Temporal = .lstm, size: Int = 128,
                lambdaL1: Float = 100, learningRate: Float = 2e-4,
                beta1: Float = 0.5, beta2: Float = 0.999,
                ganWeight: Float = 1, noganSteps: Int = 0, warmupSteps: Int = 0, emaDecay: Float = 0) {
        self.baseWidth = baseWidth
        self.temporal = temporal
        self.size = size
        self.lambdaL1 = lambdaL1
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.ganWeight = ganWeight
        self.noganSteps = noganSteps
        self.warmupSteps = warmupSteps
        self.emaDecay = emaDecay
    }

    /// Whether the training step with this 0-based index has an adversarial
    /// part (D trained, G's loss with the GAN term).
    public func isAdversarial(step: Int) -> Bool {
        ganWeight > 0 && step >= noganSteps
    }

    /// The factor of `learningRate` for the step with this 0-based index:
    /// `(step + 1) / warmupSteps` during the linear warm-up, nil after it (1).
    public func warmupFactor(step: Int) -> Double? {
        guard warmupSteps > 0, step < warmupSteps else { return nil }
        return Double(step + 1) / Double(warmupSteps)
    }

    /// Side of the bottleneck (down7's output): `size / 128`.
    public var bottleneckSize: Int { size >> Self.levels }

    /// Upper bounds, far above any model that fits in memory: they keep every
    /// parameter and activation count (16·w² weights, n·w·size² floats) far
    /// from Int's range, so a config read from a file cannot overflow them.
    public static let maximumBaseWidth = 1024
    public static let maximumSize = 8192

    /// The one rule for frame sizes: square frames whose side the U-Net can halve
    /// `levels` times (a positive multiple of 128), at most `maximumSize`.
    /// `name` is how the message calls the size (an option, or "frame size").
    public static func checkFrameSize(_ size: Int, name: String = "frame size") throws {
        let multiple = 1 << levels
        guard size >= multiple, size % multiple == 0 else {
            throw ModelConfigError("\(name) must be a positive multiple of \(multiple), got \(size)")
        }
        guard size <= maximumSize else {
            throw ModelConfigError("\(name) must be at most \(maximumSize), got \(size)")
        }
    }

    /// The training-recipe fields, as a message names them: by default as
    /// below; `vcolor train` names its options instead (`--gan-weight`).
    public enum RecipeField: String, Sendable {
        case lambdaL1 = "lambdaL1", learningRate = "learning rate", beta1, beta2, ganWeight = "GAN weight",
             noganSteps = "GAN-free warm-up steps", warmupSteps = "learning-rate warm-up steps",
             emaDecay = "EMA decay"
    }

    /// Checks every field; the error's description is a one-line message for
    /// the user, naming a recipe field as `name` words it.
    public func validate(naming name: (RecipeField) -> String = \.rawValue) throws {
        guard baseWidth >= 1 else {
            throw ModelConfigError("base width must be at least 1, got \(baseWidth)")
        }
        guard baseWidth <= Self.maximumBaseWidth else {
            throw ModelConfigError("base width must be at most \(Self.maximumBaseWidth), got \(baseWidth)")
        }
        try Self.checkFrameSize(size)
        guard lambdaL1.isFinite, lambdaL1 >= 0 else {
            throw ModelConfigError("\(name(.lambdaL1)) must be a finite number ≥ 0, got \(lambdaL1)")
        }
        guard learningRate.isFinite, learningRate > 0 else {
            throw ModelConfigError("\(name(.learningRate)) must be a finite number > 0, got \(learningRate)")
        }
        guard beta1 >= 0, beta1 < 1 else {
            throw ModelConfigError("\(name(.beta1)) must be in [0, 1), got \(beta1)")
        }
        guard beta2 >= 0, beta2 < 1 else {
            throw ModelConfigError("\(name(.beta2)) must be in [0, 1), got \(beta2)")
        }
        guard ganWeight.isFinite, ganWeight >= 0 else {
            throw ModelConfigError("\(name(.ganWeight)) must be a finite number ≥ 0, got \(ganWeight)")
        }
        guard noganSteps >= 0 else {
            throw ModelConfigError("\(name(.noganSteps)) must not be negative, got \(noganSteps)")
        }
        guard warmupSteps >= 0 else {
            throw ModelConfigError("\(name(.warmupSteps)) must not be negative, got \(warmupSteps)")
        }
        guard emaDecay >= 0, emaDecay < 1 else {
            throw ModelConfigError("\(name(.emaDecay)) must be in [0, 1) (0 for no average), got \(emaDecay)")
        }
    }

    // Missing keys take the seed defaults, so older or hand-written JSON still loads;
    // a present key with a bad value (e.g. temporal "gru") is a decoding error.
    private enum CodingKeys: String, CodingKey {
        case baseWidth, temporal, size, lambdaL1, learningRate, beta1, beta2, ganWeight, noganSteps, warmupSteps, emaDecay
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ModelConfig()
        baseWidth = try c.decodeIfPresent(Int.self, forKey: .baseWidth) ?? d.baseWidth
        temporal = try c.decodeIfPresent(Temporal.self, forKey: .temporal) ?? d.temporal
        size = try c.decodeIfPresent(Int.self, forKey: .size) ?? d.size
        lambdaL1 = try c.decodeIfPresent(Float.self, forKey: .lambdaL1) ?? d.lambdaL1
        learningRate = try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate
        beta1 = try c.decodeIfPresent(Float.self, forKey: .beta1) ?? d.beta1
        beta2 = try c.decodeIfPresent(Float.self, forKey: .beta2) ?? d.beta2
        ganWeight = try c.decodeIfPresent(Float.self, forKey: .ganWeight) ?? d.ganWeight
        noganSteps = try c.decodeIfPresent(Int.self, forKey: .noganSteps) ?? d.noganSteps
        warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps
        emaDecay = try c.decodeIfPresent(Float.self, forKey: .emaDecay) ?? d.emaDecay
    }
}

/// A configuration the model cannot be built from.
public struct ModelConfigError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
