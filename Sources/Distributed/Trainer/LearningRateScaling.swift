import Foundation

/// How `--lr` follows the global batch (`--lr-scaling`): a rule tuned at a
/// reference global batch R (`--reference-batch`, default 4: one rank of the
/// seed's `--batch 4`, the batch the pix2pix recipe's 2e-4 was set for) is
/// applied at the run's global batch G = ranks × `--accumulate` × `--batch`.
///
/// - `none`: `--lr` whatever G (the seed's behaviour).
/// - `linear`: `--lr` × G / R (Goyal et al., "Accurate, Large Minibatch SGD":
///   k times the batch, k times the step).
/// - `sqrt`: `--lr` × √(G / R) (keeps the update's noise scale for Adam-like
///   optimisers; Krizhevsky, "One weird trick"; Hoffer et al. 2017).
///
/// `--warmup-steps` (the recipe's linear warm-up, `ModelConfig.warmupFactor`)
/// multiplies the scaled rate, as large-batch training pairs them.
public enum LearningRateScaling: String, Codable, CaseIterable, Sendable {
    case none, linear, sqrt

    /// The seed's global batch: one rank of `--batch 4`.
    public static let defaultReferenceBatch = 4

    /// The factor of `--lr` at global batch `globalBatch` against `referenceBatch`.
    public func factor(globalBatch: Double, referenceBatch: Int) -> Double {
        let ratio = globalBatch / Double(referenceBatch)
        switch self {
        case .none: return 1
        case .linear: return ratio
        case .sqrt: return ratio.squareRoot()
        }
    }
}
