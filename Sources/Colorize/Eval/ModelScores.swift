/// One model's scores over an evaluation, accumulated frame by frame.
public struct ModelScores: Codable, Equatable, Sendable {
    public var model: String
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
    /// Mean |Δab| between consecutive output frames.
    public var outputChange = 0.0
    /// `outputChange` minus the truth's: 0 is as steady as the truth, > 0 flickers.
    public var flicker = 0.0

    enum CodingKeys: String, CodingKey {
        case model, temporal, frames, psnr, ssim, flicker, colourfulness
        case abError = "ab_error"
        case outputChange = "output_change"
    }
}

/// The whole evaluation: what was measured on, the truth's own figures, and
/// every model's scores.
public struct EvalReport: Codable, Equatable, Sendable {
    public var data: String
    public var split: String
    public var sequences: Int
    public var frames: Int
    public var width: Int
    public var height: Int
    /// Colourfulness of the true frames (the target for the models' column).
    public var truthColourfulness: Double
    /// Mean |Δab| between consecutive true frames.
    public var truthChange: Double
    public var models: [ModelScores]

    enum CodingKeys: String, CodingKey {
        case data, split, sequences, frames, width, height, models
        case truthColourfulness = "truth_colourfulness"
        case truthChange = "truth_change"
    }
}
