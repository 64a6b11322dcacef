import ArgumentParser
import Distributed
import Net
import Console
import Foundation

/// `vcolor train`: data-parallel pix2pix training (docs/format.md §Data parallelism, §Command line). Run it under
/// `mpirun -np N` for N ranks, or directly for one.
struct TrainCommand: LoggedCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the colourising GAN on a prepared data set (under mpirun for several ranks).")

    @Option(help: "The data set directory (made by vcolor prep).")
    var data: String
    @Option(name: .customLong("run"), help: "The run directory: checkpoints/, metrics.jsonl, samples/.")
    var runDirectory: String
    @Option(help: "Train this many steps in total (counting resumed ones).")
    var steps: Int?
    @Option(help: "Train this many epochs in total (default 10 when --steps is not given).")
    var epochs: Int?
    @Option(help: "Clips per rank and micro-batch.")
    var batch: Int = 4
    @Option(help: "Micro-batches per rank and optimiser step, their gradients summed (one process trains as this many ranks would).")
    var accumulate: Int = 1
    @Option(help: "Frames per clip.")
    var clip: Int = 8
    @Option(help: "Seed of the initial weights and of the data order.")
    var seed: UInt64 = 1
    @Option(help: "Steps between checkpoints (one is always written at the end).")
    var checkpointEvery: Int = 1000
    @Option(help: "Checkpoints to keep (0 keeps all).")
    var keep: Int = 3
    @Flag(help: "Continue from the newest complete checkpoint in RUN/checkpoints.")
    var resume = false
    @Option(name: .customLong("init"), help: "Start from these weights (checkpoint or safetensors) with a fresh optimiser.")
    var initFrom: String?
    @Flag(help: "Compute BatchNorm statistics over all ranks' batches.")
    var syncBN = false
    @Flag(help: "The same weights and losses, bit for bit, whatever the split of the global batch into ranks × --accumulate (slower: a debugging mode).")
    var reproducible = false
    @Flag(help: "Augment training clips: a random crop resized back, a horizontal flip, and contrast and brightness of L alone.")
    var augment = false
    @Option(help: "MB per bucket of generator gradients averaged during its backward pass (0: one all-reduce after it).")
    var bucketMB: Double = 25

    @Option(name: .customLong("allreduce-precision"),
            help: "Gradients on the wire: fp32, or bf16 (half the bytes; sums in fp32, replicas stay identical).")
    var allreducePrecision: AllReducePrecision = .fp32

    @Option(name: .customLong("progress-us"),
            help: "While gradient buckets are in flight, let MPI advance them every N microseconds from a helper thread (0: only between generator blocks).")
    var progressMicroseconds: Int = 1000
    @OptionGroup var threads: ThreadOptions
    @OptionGroup var shape: ModelShapeOptions
    @Option(help: "Adam's learning rate, both networks.")
    var lr: Float = ModelConfig().learningRate
    @Option(help: "Adam's β1, both networks.")
    var beta1: Float = ModelConfig().beta1
    @Option(help: "Adam's β2, both networks.")
    var beta2: Float = ModelConfig().beta2
    @Option(name: .customLong("lambda-l1"), help: "λ, the weight of the L1 term in the generator's loss.")
    var lambdaL1: Float = ModelConfig().lambdaL1
    @Option(help: "Weight of the adversarial term in the generator's loss (0: L1 alone, no discriminator).")
    var ganWeight: Float = ModelConfig().ganWeight
    @Option(help: "Steps at the start in which the generator learns from L1 alone and the discriminator is not trained (\"NoGAN\" warm-up).")
    var noganSteps: Int = 0
    @Option(help: "Steps over which the learning rate rises linearly to --lr (scaled by --lr-scaling).")
    var warmupSteps: Int = 0
    @Option(name: .customLong("lr-scaling"),
            help: "How --lr follows the global batch G = ranks × --accumulate × --batch: none, linear (× G / --reference-batch) or sqrt (× √(G / --reference-batch)).")
    var lrScaling: LearningRateScaling = .none
    @Option(help: "The global batch (clips) --lr is tuned for, which --lr-scaling scales from (default: the seed's, one rank of --batch 4).")
    var referenceBatch: Int = LearningRateScaling.defaultReferenceBatch
    @Option(help: "Decay of a moving average of the generator's weights, used by validation, eval, colorize and convert (e.g. 0.999; 0: none).")
    var ema: Float = 0
    @Option(help: "Frame size (default: the data's; must match it).")
    var size: Int?
    @Option(help: "Steps between sample strips RUN/samples/step-N.png (0: none).")
    var sampleEvery: Int = 0
    @Option(help: ArgumentHelp("Also write the run's metrics, sample strips and configuration as TensorBoard events into this directory (its own per run).", valueName: "dir"))
    var tensorboard: String?
    @Option(help: "Validation clips per evaluation.")
    var validationClips: Int = 32
    @Option(help: "Seconds a collective may wait for the other ranks before the job ends, naming the ranks that did not arrive.")
    var collectiveTimeout: Double = 300
    @Flag(help: "Allow --resume on a data set other than the one the checkpoint was trained on.")
    var allowDataChange = false
    @Flag(help: .hidden)
    var printChecksum = false
    @Option(help: .hidden)
    var killRank: Int?
    @Option(help: .hidden)
    var killAtStep: Int?
    @Option(help: .hidden)
    var nanAtStep: Int?
    @OptionGroup var logging: LoggingOptions
    @Option(help: .hidden)
    var killSignal: String = "KILL"

    /// The library's options. Their checks (`TrainingOptions.validate`) run inside
    /// the job, not in `validate()`: a bad option must end every rank through the
    /// same agreement as a data error, so that rank 0 alone reports it.
    func options() throws -> TrainingOptions {
        var o = TrainingOptions(data: data, run: runDirectory)
        switch (steps, epochs) {
        case (let s?, nil): o.length = .steps(s)
        case (nil, let e?): o.length = .epochs(e)
        case (nil, nil): o.length = .epochs(10)
        default: throw TrainingError("give --steps or --epochs, not both")
        }
        o.batch = batch
        o.accumulate = accumulate
        o.lrScaling = lrScaling
        o.referenceBatch = referenceBatch
        o.clip = clip
        o.seed = seed
        o.checkpointEvery = checkpointEvery
        o.keep = keep
        o.resume = resume
        o.initFrom = initFrom
        o.syncBN = syncBN
        o.augment = augment
        o.reproducible = reproducible
        o.bucketMB = bucketMB
        o.allreducePrecision = allreducePrecision
        o.progressMicroseconds = progressMicroseconds
        o.threads = threads.threads
        o.temporal = shape.temporal
        o.baseWidth = shape.base
        o.recipe = ModelConfig(lambdaL1: lambdaL1, learningRate: lr, beta1: beta1, beta2: beta2,
                               ganWeight: ganWeight, noganSteps: noganSteps, warmupSteps: warmupSteps, emaDecay: ema)
        o.size = size
        o.sampleEvery = sampleEvery
        o.tensorboard = tensorboard
        o.validationClips = validationClips
        o.printChecksum = printChecksum
        o.killRank = killRank
        o.killAtStep = killAtStep
        o.nanAtStep = nanAtStep
        guard let signal = FaultInjection.signal(named: killSignal) else {
            throw TrainingError("--kill-signal must be KILL, TERM, INT, USR1 or STOP, got \(killSignal)")
        }
        o.killSignal = signal
        o.collectiveTimeout = collectiveTimeout
        o.allowDataChange = allowDataChange
        return o
    }

    func run() throws {
        try Communicator.runFinalizingOrAborting { comm in
            do {
                // Option errors go through the same agreement as data errors,
                // so every rank ends the same way.
                var parsed: TrainingOptions?
                var failure: Error?
                do { parsed = try options() } catch { failure = error }
                if let failure {
                    try Trainer(options: TrainingOptions(data: data, run: runDirectory), communicator: comm).agree(failure)
                }
                try Trainer(options: parsed!, communicator: comm).run()
            } catch let failure as AgreedFailure {
                // Every rank knows: rank 0 says why, MPI is finished cleanly, all exit non-zero.
                // The line comes before MPI_Finalize: after it, the first rank to exit makes
                // mpirun end the job, and rank 0 may be killed before it has written a word.
                // ArgumentParser's error line ("Error: …", status 1) on rank 0, written
                // in one piece; silence elsewhere.
                if failure.reporter { Console.writeError("\(failure)") }
                Communicator.finalize()
                Foundation.exit(EXIT_FAILURE)
            } catch let stop as GracefulStop {
                // Every rank agreed and the checkpoint is written: a distinct status, so scripts
                // can requeue. Said before MPI_Finalize, for the reason above.
                if stop.reporter { Logger(label: "train").notice("\(stop)") }
                Communicator.finalize()
                Foundation.exit(GracefulStop.exitStatus)
            }
        }
    }
}

extension AllReducePrecision: ExpressibleByArgument {}
extension LearningRateScaling: ExpressibleByArgument {}
