import Storage

/// The scalars TensorBoard shows for one event of RUN/metrics.jsonl, under
/// stable tags made from the metric keys (docs/training.md §TensorBoard):
/// `train/<key>` for a step's numbers, `validation/<key>` for a validation's.
/// The keys themselves are `MetricsLog.Key`'s; only the two derived series
/// are named here: `train/allreduce_share` (all-reduce seconds over step
/// seconds) and `train/rank_compute_s/rank_<r>` (one series per rank).
public enum RunScalars {
    static let stepKeys: [MetricsLog.Key] = [.lossD, .lossG, .lossGAN, .lossL1, .stepSeconds, .allReduceSeconds,
                                             .framesPerSecond]
    static let validationKeys: [MetricsLog.Key] = [.validationL1, .validationPSNR]
    public static let allReduceShareTag = "train/allreduce_share"

    public static func tag(_ event: MetricsLog.Event, _ key: MetricsLog.Key) -> String {
        (event == .step ? "train/" : "validation/") + key.rawValue
    }

    public static func rankComputeTag(_ rank: Int) -> String { "train/\(MetricsLog.Key.rankComputeSeconds.rawValue)/rank_\(rank)" }

    /// The scalars of an event with `fields`, in a fixed order; none for a checkpoint event.
    public static func scalars(_ event: MetricsLog.Event, _ fields: [MetricsLog.Key: Any]) -> [(tag: String, value: Double)] {
        func number(_ value: Any?) -> Double? {
            switch value {
            case let d as Double: d
            case let i as Int: Double(i)
            case let f as Float: Double(f)
            default: nil
            }
        }
        var out: [(String, Double)] = []
        switch event {
        case .step:
            for key in stepKeys { if let v = number(fields[key]) { out.append((tag(.step, key), v)) } }
            if let reduce = number(fields[.allReduceSeconds]), let seconds = number(fields[.stepSeconds]), seconds > 0 {
                out.append((allReduceShareTag, reduce / seconds))
            }
            if let ranks = fields[.rankComputeSeconds] as? [Any] {
                for (r, v) in ranks.enumerated() { if let v = number(v) { out.append((rankComputeTag(r), v)) } }
            }
        case .validation:
            for key in validationKeys { if let v = number(fields[key]) { out.append((tag(.validation, key), v)) } }
        case .checkpoint:
            break
        }
        return out
    }
}
