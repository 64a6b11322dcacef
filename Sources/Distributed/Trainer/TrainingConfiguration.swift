import Foundation
import Net

/// What defines a training run's mathematics, stored in every checkpoint as
/// JSON: resuming with a different one would silently train something else,
/// so it is an error (`differences(from:)` names the fields). Step counts,
/// threads, logging and checkpoint cadence are not part of it.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public var model: ModelConfig
    /// Clips per rank and micro-batch.
    public var batch: Int
    /// Micro-batches per rank and step (`--accumulate`).
    public var accumulate: Int
    /// How the learning rate follows the global batch (`--lr-scaling`), and
    /// the global batch it is relative to (`--reference-batch`).
    public var lrScaling: LearningRateScaling
    public var referenceBatch: Int
    /// Frames per clip.
    public var clip: Int
    /// Seed of the initial weights and of the sampler's shuffles.
    public var seed: UInt64
    /// BatchNorm statistics summed across ranks.
    public var syncBN: Bool
    /// Training clips cropped, flipped and their L jittered (`Augmentation`).
    public var augment: Bool
    /// Reduced in share order (`--reproducible`): its runs round differently.
    public var reproducible: Bool

    public init(model: ModelConfig, batch: Int, clip: Int, seed: UInt64, syncBN: Bool, augment: Bool = false,
                accumulate: Int = 1, lrScaling: LearningRateScaling = .none,
                referenceBatch: Int = LearningRateScaling.defaultReferenceBatch, reproducible: Bool = false) {
        self.model = model
        self.batch = batch
        self.accumulate = accumulate
        self.lrScaling = lrScaling
        self.referenceBatch = referenceBatch
        self.clip = clip
        self.seed = seed
        self.syncBN = syncBN
        self.augment = augment
        self.reproducible = reproducible
    }

    private enum CodingKeys: String, CodingKey {
        case model, batch, accumulate, lrScaling, referenceBatch, clip, seed, syncBN, augment, reproducible
    }

    // Checkpoints written before `augment`, `accumulate`, `lrScaling` or `reproducible` existed trained without them.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(ModelConfig.self, forKey: .model)
        batch = try c.decode(Int.self, forKey: .batch)
        accumulate = try c.decodeIfPresent(Int.self, forKey: .accumulate) ?? 1
        lrScaling = try c.decodeIfPresent(LearningRateScaling.self, forKey: .lrScaling) ?? .none
        referenceBatch = try c.decodeIfPresent(Int.self, forKey: .referenceBatch) ?? LearningRateScaling.defaultReferenceBatch
        clip = try c.decode(Int.self, forKey: .clip)
        seed = try c.decode(UInt64.self, forKey: .seed)
        syncBN = try c.decode(Bool.self, forKey: .syncBN)
        augment = try c.decodeIfPresent(Bool.self, forKey: .augment) ?? false
        reproducible = try c.decodeIfPresent(Bool.self, forKey: .reproducible) ?? false
    }

    /// Sorted-key JSON, as stored in checkpoints.
    public func jsonText() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    public static func decode(_ text: String) throws -> TrainingConfiguration {
        try JSONDecoder().decode(TrainingConfiguration.self, from: Data(text.utf8))
    }

    /// `differences(from:)` for a resume on `ranks` of a checkpoint written by
    /// `storedRanks`: `accumulate` may change when ranks × accumulate does not.
    /// That regroups the same global batch (the sampler plans for the shares,
    /// so the clips, their augmentation and the scaled learning rate stay),
    /// which `--reproducible` continues bit for bit; any other change of
    /// `accumulate` changes the batch and is named, with what would be allowed.
    public func differences(from stored: TrainingConfiguration, ranks: Int, storedRanks: Int) -> [String] {
        let shares = ranks * accumulate, storedShares = storedRanks * stored.accumulate
        guard shares != storedShares else {
            var regrouped = stored
            regrouped.accumulate = accumulate
            return differences(from: regrouped)
        }
        let keeping = storedShares % ranks == 0 ? "only --accumulate \(storedShares / ranks)" : "no --accumulate"
        return differences(from: stored).map {
            $0.hasPrefix("accumulate:")
                ? $0 + " (on \(ranks) rank(s) \(keeping) keeps the checkpoint's \(storedShares) shares, ranks × accumulate, of a step)"
                : $0
        }
    }

    /// "model.baseWidth: 4 in the checkpoint, 2 now", one per differing field.
    public func differences(from stored: TrainingConfiguration) -> [String] {
        func flatten(_ c: TrainingConfiguration) -> [String: String] {
            guard let data = try? JSONEncoder().encode(c),
                  let object = try? JSONSerialization.jsonObject(with: data) else { return [:] }
            var out: [String: String] = [:]
            func walk(_ value: Any, _ prefix: String) {
                if let d = value as? [String: Any] {
                    for (k, v) in d { walk(v, prefix.isEmpty ? k : "\(prefix).\(k)") }
                } else {
                    out[prefix] = "\(value)"
                }
            }
            walk(object, "")
            return out
        }
        let now = flatten(self), then = flatten(stored)
        return Set(now.keys).union(then.keys).sorted().compactMap { key in
            now[key] == then[key] ? nil : "\(key): \(then[key] ?? "absent") in the checkpoint, \(now[key] ?? "absent") now"
        }
    }
}
