import Console
import Foundation
import Imaging
import Storage
import TensorBoard

/// One step's numbers, averaged over ranks.
struct StepRecord {
    var step: Int
    var epoch: Int
    var lossD: Double
    var lossGAN: Double
    var lossL1: Double
    /// λ and the GAN weight w, so loss_G = w·GAN + λ·L1 can be printed.
    var lambda: Double
    var ganWeight: Double
    /// Both networks' learning rate in the step (scaled and warmed up).
    var learningRate: Double
    var seconds: Double
    var reduceSeconds: Double
    /// Frames of all ranks in the step.
    var frames: Double
    /// Each rank's compute time in the step (step time less collectives), by rank.
    var rankComputeSeconds: [Double]

    /// The slowest rank and how much longer than the mean it computed (0.1 = 10 %).
    var slowestRank: (rank: Int, excess: Double) {
        guard let worst = rankComputeSeconds.indices.max(by: { rankComputeSeconds[$0] < rankComputeSeconds[$1] }) else {
            return (0, 0)
        }
        let mean = rankComputeSeconds.reduce(0, +) / Double(rankComputeSeconds.count)
        return (worst, mean > 0 ? rankComputeSeconds[worst] / mean - 1 : 0)
    }
}

/// Rank 0's output: the progress line (at most about one a second, every step
/// at `--log-level debug`, and the last one), log messages, and one JSON object
/// per event appended to RUN/metrics.jsonl; with `--tensorboard`, the same
/// events (and the sample strips) as TensorBoard events, written beside it.
final class TrainingLog {
    static let logger = Logger(label: "train")
    let options: TrainingOptions
    let metrics: FileHandle
    let worldSize: Int
    private let progress = ProgressLine(label: "train", fileInterval: 1)
    private var smoothedStep: Double?
    private let started = Date()
    /// Nil without `--tensorboard`, and after a write to it failed (the run goes on without it).
    private var tensorboard: TensorBoardLog?

    /// - Parameters:
    ///   - start: the step the run starts after (its checkpoint's; 0 for a new run).
    ///   - configuration: shown as text in TensorBoard when a new run starts.
    init(run: String, options: TrainingOptions, comm: Communicator, start: Int = 0,
         configuration: TrainingConfiguration? = nil) throws {
        self.options = options
        worldSize = comm.size
        let path = (run as NSString).appendingPathComponent(MetricsLog.fileName)
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw TrainingError("\(path): cannot create the metrics log")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw TrainingError("\(path): cannot open the metrics log")
        }
        handle.seekToEndOfFile()
        metrics = handle
        if let directory = options.tensorboard {
            do {
                let log = try TensorBoardLog(directory: directory, step: start, resuming: options.resume)
                if start == 0, let configuration {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    try log.configuration(String(decoding: try encoder.encode(configuration), as: UTF8.self))
                }
                tensorboard = log
            } catch { throw TrainingError("--tensorboard: \(error)") }
        }
    }

    /// Runs a TensorBoard write; the first failure is reported and ends TensorBoard output, not the run.
    private func toTensorBoard(_ body: (TensorBoardLog) throws -> Void) {
        guard let log = tensorboard else { return }
        do { try body(log) } catch {
            Self.logger.warning("\(error); no more TensorBoard events are written for this run")
            tensorboard = nil
        }
    }

    /// A sample strip just written to `path`, for TensorBoard.
    func sample(step: Int, path: String) {
        toTensorBoard { log in
            guard let png = FileManager.default.contents(atPath: path) else { throw TrainingError("\(path): cannot read the sample strip") }
            try log.image(RunExport.samplesTag, step: step, png: png)
        }
    }

    deinit { try? metrics.close() }

    /// One line: the event, its step, the time, and `fields`.
    func write(_ event: MetricsLog.Event, step: Int, _ fields: [MetricsLog.Key: Any]) {
        var object: [String: Any] = [MetricsLog.Key.event.rawValue: event.rawValue, MetricsLog.Key.step.rawValue: step,
                                     MetricsLog.Key.time.rawValue: Date().timeIntervalSince1970]
        for (key, value) in fields { object[key.rawValue] = value }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        metrics.write(data + Data("\n".utf8))
        toTensorBoard { try $0.metrics(event, step: step, fields) }
    }

    func step(_ r: StepRecord, remainingSteps: Int) {
        let lossG = r.ganWeight * r.lossGAN + r.lambda * r.lossL1
        let share = r.seconds > 0 ? r.reduceSeconds / r.seconds : 0
        write(.step, step: r.step, [.epoch: r.epoch, .lossD: r.lossD, .lossG: lossG, .lossGAN: r.lossGAN, .lossL1: r.lossL1,
                                    .stepSeconds: r.seconds, .allReduceSeconds: r.reduceSeconds,
                                    .framesPerSecond: r.frames / r.seconds, .ranks: worldSize, .accumulate: options.accumulate, .learningRate: r.learningRate,
                                    .rankComputeSeconds: r.rankComputeSeconds, .slowestRank: r.slowestRank.rank])
        smoothedStep = smoothedStep.map { 0.9 * $0 + 0.1 * r.seconds } ?? r.seconds
        // The remaining-step count saturates at Int.max (absurd --epochs); so does the total.
        let total = remainingSteps > Int.max - r.step ? Int.max : r.step + remainingSteps
        let slowest = r.slowestRank
        let ranks = worldSize > 1 ? String(format: " slowest rank %ld %+.0f%%", slowest.rank, 100 * slowest.excess) : ""
        // %ld, not %d, for every Int: %d reads only 32 bits of one (a total of Int.max printed as -1).
        let text = String(format: "step %ld/%ld epoch %ld loss_D %.4f loss_G %.4f (GAN %.4f×%g + L1 %.4f×%g) %.1f frames/s all-reduce %.0f%%%@ ETA %@",
                      r.step, total, r.epoch, r.lossD, lossG, r.lossGAN, r.ganWeight, r.lossL1, r.lambda, r.frames / r.seconds,
                      100 * share, ranks, ProgressLine.duration(Double(remainingSteps) * (smoothedStep ?? 0)))
        progress.show(text, force: Self.logger.logLevel <= .debug, final: remainingSteps == 0)
    }

    func validation(step: Int, epoch: Int, _ v: ValidationResult) {
        write(.validation, step: step, [.epoch: epoch, .validationL1: v.l1, .validationPSNR: v.psnr, .clips: v.clips])
        Self.logger.info("\(String(format: "validation after step %ld (epoch %ld): L1 %.4f, PSNR %.2f dB over %ld clips", step, epoch, v.l1, v.psnr, v.clips))")
    }

    func checkpoint(step: Int, path: String) {
        write(.checkpoint, step: step, [.path: path])
        Self.logger.debug("checkpoint \(path)")
    }

    func finish(step: Int) {
        Self.logger.info("done at step \(step) after \(ProgressLine.duration(Date().timeIntervalSince(started)))")
    }
}
