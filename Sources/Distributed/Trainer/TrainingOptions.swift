import Foundation
import Net

/// Everything `vcolor train` was asked to do. `configuration` is the part a
/// resumed run must share with the checkpoint; the rest may change between runs.
public struct TrainingOptions {
    public enum Length: Equatable {
        case steps(Int)
        case epochs(Int)
    }

    public var data: String
    public var run: String
    public var length: Length = .epochs(10)
    public var batch: Int = 4
    /// Micro-batches of `batch` clips per rank and optimiser step (gradient accumulation).
    public var accumulate: Int = 1
    /// How the learning rate follows the global batch, relative to `referenceBatch` clips.
    public var lrScaling: LearningRateScaling = .none
    public var referenceBatch = LearningRateScaling.defaultReferenceBatch
    public var clip: Int = 8
    public var seed: UInt64 = 1
    public var checkpointEvery: Int = 1000
    /// Checkpoints kept (older ones deleted); 0 keeps all.
    public var keep: Int = 3
    public var resume = false
    /// Weights (not optimiser state) to start from.
    public var initFrom: String?
    public var syncBN = false
    /// Crop, flip and lightness augmentation of the training clips.
    public var augment = false
    /// Gradients, running statistics and losses reduced over every micro-batch
    /// of every rank in share order (`ShareOrderedReduction`).
    public var reproducible = false
    /// Size of the buckets G's gradients are averaged in while its backward
    /// runs; 0: one blocking all-reduce after backward.
    public var bucketMB: Double = 25
    /// While G's buckets are in flight, a helper thread lets MPI advance them
    /// every this many microseconds (0: only when a generator block ends).
    public var progressMicroseconds = 1000
    /// Precision of the averaged gradients on the wire (bf16 halves the bytes).
    public var allreducePrecision: AllReducePrecision = .fp32
    public var threads: Int?
    public var temporal: ModelConfig.Temporal = .lstm
    public var baseWidth = 64
    /// The training recipe (lr, betas, λ, GAN weight, warm-ups): the seed's by
    /// default; size and shape come from `baseWidth`, `temporal` and the data.
    public var recipe = ModelConfig()
    /// Frame size; nil takes the data's.
    public var size: Int?
    /// Steps between sample strips; 0 never.
    public var sampleEvery = 0
    /// Where rank 0 also writes the run as TensorBoard events (docs/training.md §TensorBoard); nil: nowhere.
    public var tensorboard: String?
    /// Validation clips (spread over the validation sequences).
    public var validationClips = 32
    /// Seconds any collective may wait for the other ranks before the job is
    /// ended with a message naming the ranks that did not arrive.
    public var collectiveTimeout: Double = 300
    /// `--resume` onto a data set other than the checkpoint's (by fingerprint) is allowed.
    public var allowDataChange = false
    /// Print each rank's parameter checksum at the end (tests).
    public var printChecksum = false
    /// Rank `killRank` kills itself with SIGKILL after step `killAtStep` (tests).
    public var killRank: Int?
    public var killAtStep: Int?
    /// Step (1-based) whose input is poisoned with a NaN (tests of the NaN stop).
    public var nanAtStep: Int?
    /// The signal `killRank` sends itself (tests of graceful stops and hangs).
    public var killSignal: Int32 = SIGKILL

    public init(data: String, run: String) {
        self.data = data
        self.run = run
    }

    /// The `vcolor train` option that sets a recipe field.
    static func optionName(_ field: ModelConfig.RecipeField) -> String {
        switch field {
        case .lambdaL1: "--lambda-l1"
        case .learningRate: "--lr"
        case .beta1: "--beta1"
        case .beta2: "--beta2"
        case .ganWeight: "--gan-weight"
        case .noganSteps: "--nogan-steps"
        case .warmupSteps: "--warmup-steps"
        case .emaDecay: "--ema"
        }
    }

    /// Clips per optimiser step over all ranks (in Double: `--batch` is the user's and may be absurdly large).
    public func globalBatch(worldSize: Int) -> Double { Double(worldSize) * Double(accumulate) * Double(batch) }

    /// The factor `--lr-scaling` applies to `--lr` on `worldSize` ranks.
    public func learningRateFactor(worldSize: Int) -> Double {
        lrScaling.factor(globalBatch: globalBatch(worldSize: worldSize), referenceBatch: referenceBatch)
    }

    /// Checks the options that need no data; one-line messages. `worldSize`
    /// (the rank count) sets the global batch the learning rate is scaled to.
    public func validate(worldSize: Int = 1) throws {
        func fail(_ m: String) -> TrainingError { TrainingError(m) }
        switch length {
        case .steps(let n): guard n >= 1 else { throw fail("--steps must be at least 1, got \(n)") }
        case .epochs(let n): guard n >= 1 else { throw fail("--epochs must be at least 1, got \(n)") }
        }
        guard batch >= 1 else { throw fail("--batch must be at least 1, got \(batch)") }
        // The bound keeps ranks × accumulate × batch far from Int's range; 4096 micro-batches of a seed step is hours.
        guard accumulate >= 1, accumulate <= 4096 else { throw fail("--accumulate must be 1…4096 micro-batches, got \(accumulate)") }
        guard clip >= 1 else { throw fail("--clip must be at least 1, got \(clip)") }
        guard checkpointEvery >= 1 else { throw fail("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
        guard keep >= 0 else { throw fail("--keep must not be negative, got \(keep)") }
        guard baseWidth >= 1 else { throw fail("--base must be at least 1, got \(baseWidth)") }
        // The recipe's rules are ModelConfig's, worded with the options; two more are the command's.
        let r = recipe
        guard r.learningRate.isFinite, r.learningRate > 0, r.learningRate <= 1 else {
            throw fail("--lr must be a number in (0, 1], got \(r.learningRate)")
        }
        do { try r.validate(naming: Self.optionName) } catch { throw fail("\(error)") }
        guard referenceBatch >= 1, referenceBatch <= 1 << 30 else {
            throw fail("--reference-batch must be 1…\(1 << 30) clips, got \(referenceBatch)")
        }
        let rate = Double(r.learningRate) * learningRateFactor(worldSize: worldSize)
        guard rate <= 1 else {
            throw fail("--lr-scaling \(lrScaling.rawValue) makes the learning rate \(rate) (--lr \(r.learningRate) at a global batch of"
                       + " \(String(format: "%.0f", globalBatch(worldSize: worldSize))) clips against --reference-batch \(referenceBatch)); it must be at most 1")
        }
        guard r.lambdaL1 > 0 || r.ganWeight > 0 else {
            throw fail("--lambda-l1 and --gan-weight are both 0: the generator would learn nothing")
        }
        if reproducible, syncBN {
            throw fail("--reproducible cannot be combined with --sync-bn: BatchNorm statistics summed across ranks depend on how the clips are grouped")
        }
        if reproducible, allreducePrecision != .fp32 {
            throw fail("--reproducible cannot be combined with --allreduce-precision \(allreducePrecision.rawValue): its gradients are gathered in fp32")
        }
        if let threads, threads < 1 { throw fail("--threads must be at least 1, got \(threads)") }
        if let size { do { try ModelConfig.checkFrameSize(size, name: "--size") } catch { throw fail("\(error)") } }
        // The upper bound keeps bucketMB × 2²⁰ bytes an Int; more than a terabyte is one bucket anyway.
        guard bucketMB >= 0, bucketMB <= 1_000_000 else {
            throw fail("--bucket-mb must be a number in 0…1000000, got \(bucketMB)")
        }
        guard progressMicroseconds >= 0, progressMicroseconds <= 1_000_000 else {
            throw fail("--progress-us must be 0…1000000 microseconds, got \(progressMicroseconds)")
        }
        guard validationClips >= 0 else { throw fail("--validation-clips must not be negative, got \(validationClips)") }
        guard sampleEvery >= 0 else { throw fail("--sample-every must not be negative") }
        guard collectiveTimeout.isFinite, collectiveTimeout >= 1, collectiveTimeout <= 1e7 else {
            throw fail("--collective-timeout must be a number of seconds in 1…10000000, got \(collectiveTimeout)")
        }
        if resume, initFrom != nil { throw fail("--resume and --init exclude each other (resume continues a run; init starts a new one from weights)") }
    }
}

/// A training failure, one line for stderr.
public struct TrainingError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The ranks agreed to stop after `step` because of a signal; the checkpoint
/// of that step is written. The command line prints one line and exits with
/// `GracefulStop.exitStatus`.
public struct GracefulStop: Error, CustomStringConvertible {
    public let step: Int
    public let signal: Int32
    /// True on the rank that should print it (rank 0).
    public let reporter: Bool
    /// EX_TEMPFAIL of sysexits.h: "try again later", which is what a
    /// stopped run means; batch scripts requeue on it.
    public static let exitStatus: Int32 = 75
    public var description: String {
        let name = [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGUSR1: "SIGUSR1"][signal] ?? "signal \(signal)"
        return "stopped at step \(step) by \(name); continue with --resume"
    }
}

/// A failure every rank knows about (they agreed on it through a collective),
/// so the job can end cleanly: MPI finalised everywhere, rank 0 prints the
/// message once, every rank exits non-zero. No MPI_Abort needed.
public struct AgreedFailure: Error, CustomStringConvertible {
    public let message: String
    /// True on the rank that should print it (rank 0).
    public let reporter: Bool
    public var description: String { message }
}
