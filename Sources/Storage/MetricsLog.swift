/// RUN/metrics.jsonl, a training run's record: one JSON object per line, one
/// line per event. Its keys are defined here once, for the writer (the
/// trainer's `TrainingLog`) and every reader: `vcolor report` (`RunHistory`)
/// and `vcolor tensorboard` (`RunExport`), through the one reader
/// `MetricsLog.read`, and the scripts, through scripts/metrics_log.py. docs/training.md §Run
/// directory says what each key holds; `MetricsLogKeyTests` holds that table
/// and the Python list to this one.
public enum MetricsLog {
    public static let fileName = "metrics.jsonl"

    /// The value of `event`.
    public enum Event: String, CaseIterable, Sendable {
        case step, validation, checkpoint
    }

    public enum Key: String, CaseIterable, Sendable {
        // Every event.
        case event, step, time
        // Step and validation events.
        case epoch
        // Step events.
        case lossD = "loss_d", lossG = "loss_g", lossGAN = "loss_g_gan", lossL1 = "loss_g_l1"
        case stepSeconds = "step_s", allReduceSeconds = "allreduce_s", framesPerSecond = "frames_per_s"
        case ranks, accumulate, learningRate = "lr", rankComputeSeconds = "rank_compute_s", slowestRank = "slowest_rank"
        // Validation events.
        case validationL1 = "val_l1", validationPSNR = "val_psnr", clips
        // Checkpoint events.
        case path
    }
}
