/// One row of an evaluation (a model, or the grey baseline): its scores over
/// every frame, and per sequence.
///
/// The score records in this file are built only inside Colorize (`RowScorer`,
/// `EvalReport`), so they use Swift's memberwise initialisers: a new figure is
/// one stored property (and its key) here, with no initialiser to keep in step.
public struct ModelScores: Codable, Equatable, Sendable {
    public var model: String
    /// The model's temporal variant (`lstm`, `none`), or `grey` for the baseline.
    public var temporal: String
    public var frames = 0
    /// Mean over frames of the per-frame PSNR (RGB, 8-bit, capped at 100 dB).
    public var psnr = 0.0
    /// Mean over frames of SSIM (RGB, Gaussian window, as scikit-image).
    public var ssim = 0.0
    /// Mean |Δa*b*| against the truth (CIELAB units).
    public var abError = 0.0
    /// Mean Hasler–Süsstrunk colourfulness of the output.
    public var colourfulness = 0.0
    /// |colourfulness − the truth's|: PSNR alone rewards dull output, this
    /// says how far the output's saturation is from the truth's. Set by
    /// `EvalReport`; nil in reports written before it existed.
    public var colourfulnessGap: Double?
    /// Mean a* and b* of the output (CIELAB units): a colour cast on unseen
    /// footage (everything warm, say) shows here first. Nil in older reports.
    public var meanA: Double?
    public var meanB: Double?
    /// Mean |Δab| between consecutive output frames.
    public var outputChange = 0.0
    /// `outputChange` minus the truth's: 0 is as steady as the truth, > 0 flickers.
    public var flicker = 0.0
    /// Colour distribution consistency (NTIRE 2023) of the output; nil when no
    /// sequence had the 5 frames it needs.
    public var cdc: Double?
    public var sequences: [SequenceScores] = []

    enum CodingKeys: String, CodingKey {
        case model, temporal, frames, psnr, ssim, flicker, colourfulness, cdc, sequences
        case abError = "ab_error"
        case outputChange = "output_change"
        case colourfulnessGap = "colourfulness_gap"
        case meanA = "mean_a"
        case meanB = "mean_b"
    }
}

/// One row's figures on one sequence (for the report's per-sequence chart).
public struct SequenceScores: Codable, Equatable, Sendable {
    public var id: String
    public var frames: Int
    public var psnr: Double
    public var abError: Double
    /// nil for a one-frame sequence.
    public var flicker: Double?
    /// nil below 5 frames.
    public var cdc: Double?

    enum CodingKeys: String, CodingKey {
        case id, frames, psnr, flicker, cdc
        case abError = "ab_error"
    }
}

/// The true frames' own figures: the targets for colourfulness, change and CDC.
public struct TruthScores: Codable, Equatable, Sendable {
    public var colourfulness = 0.0
    /// Mean a* and b* of the true frames (nil in older reports).
    public var meanA: Double?
    public var meanB: Double?
    /// Mean |Δab| between consecutive true frames.
    public var change = 0.0
    public var cdc: Double?
    public var sequences: [Sequence] = []

    public struct Sequence: Codable, Equatable, Sendable {
        public var id: String
        public var frames: Int
        public var change: Double?
        public var cdc: Double?
    }

    enum CodingKeys: String, CodingKey {
        case colourfulness, change, cdc, sequences
        case meanA = "mean_a"
        case meanB = "mean_b"
    }
}

/// The whole evaluation: what was measured on, every model's scores, the grey
/// baseline's (the true L with a*b* = 0: a model that does not beat it has
/// learned nothing about colour), and the truth's own figures.
public struct EvalReport: Codable, Equatable, Sendable {
    public var data: String
    public var split: String
    public var sequences: Int
    public var frames: Int
    public var width: Int
    public var height: Int
    public var models: [ModelScores]
    public var grey: ModelScores
    public var truth: TruthScores

    public init(data: String, split: String, sequences: Int, frames: Int, width: Int, height: Int,
                models: [ModelScores], grey: ModelScores, truth: TruthScores) {
        self.data = data
        self.split = split
        self.sequences = sequences
        self.frames = frames
        self.width = width
        self.height = height
        self.models = models.map { $0.withGap(to: truth) }
        self.grey = grey.withGap(to: truth)
        self.truth = truth
    }
}

extension ModelScores {
    func withGap(to truth: TruthScores) -> ModelScores {
        var s = self
        s.colourfulnessGap = abs(colourfulness - truth.colourfulness)
        return s
    }
}
