import DataPrep
import Foundation
import Net
import ModelFiles

/// Data-parallel pix2pix training (docs/model.md, docs/format.md): every rank holds a replica,
/// trains on its own clips, and averages gradients before each Adam step, so
/// the replicas stay bit-identical.
///
/// Life of a run:
/// 1. every rank checks the options and the data; the ranks agree (one
///    all-gather) on whether all succeeded, so a bad option fails everywhere
///    with one message from rank 0 and no hang;
/// 2. every rank builds the model from the seed; rank 0 alone reads the run
///    directory (resume or `--init`), then broadcasts weights (and, when
///    resuming, Adam moments and the state) to the others;
/// 3. steps: the loader reads the next batch while this one computes; the
///    model's gradient hooks average D's and G's flat gradient buffers across
///    ranks; losses are averaged too, so every rank sees a NaN at the same
///    step and stops together;
/// 4. rank 0 logs, validates each epoch and checkpoints; BatchNorm running
///    statistics are averaged across ranks first, so checkpoint and replicas agree.
public final class Trainer {
    public let options: TrainingOptions
    public let comm: Communicator
    private let timer = StepTimer()
    /// G's bucketed average, when `--bucket-mb` > 0 on several ranks.
    private var overlap: OverlappedAverage?

    public init(options: TrainingOptions, communicator: Communicator) {
        self.options = options
        self.comm = communicator
    }

    // MARK: - Agreement

    /// Every rank passes its own error (or nil); all learn whether any failed.
    /// Rank 0's message wins, else the lowest failing rank's, prefixed with it.
    public func agree(_ error: Error?) throws {
        let mine = [error.map { String(describing: $0) } ?? ""]
        let all = try comm.allGather(json: mine).map { $0.first ?? "" }
        guard let first = all.firstIndex(where: { !$0.isEmpty }) else { return }
        let message = first == 0 || comm.size == 1 ? all[first] : "rank \(first): \(all[first])"
        throw AgreedFailure(message: message, reporter: comm.isRoot)
    }

    func note(_ text: String) {
        guard comm.isRoot, options.logLevel != .quiet else { return }
        FileHandle.standardError.write(Data(("vcolor: " + text + "\n").utf8))
    }

    // MARK: - Run

    public func run() throws {
        // 1. Options and data, on every rank.
        var failure: Error?
        var setup: (data: TrainingData, config: TrainingConfiguration, sampler: Sampler)?
        do {
            try options.validate()
            let data = try TrainingData.load(options.data, expectedSize: options.size)
            let model = ModelConfig(baseWidth: options.baseWidth, temporal: options.temporal, size: data.frameSize)
            try model.validate()
            let config = TrainingConfiguration(model: model, batch: options.batch, clip: options.clip,
                                               seed: options.seed, syncBN: options.syncBN)
            let sampler = try Sampler(sequences: data.train.map { SequenceInfo(id: $0.id, frames: $0.frames) },
                                      clipLength: options.clip, batch: options.batch, seed: options.seed,
                                      rank: comm.rank, worldSize: comm.size)
            setup = (data, config, sampler)
        } catch { failure = error }
        try agree(failure)
        let (data, config, sampler) = setup!

        ComputeThreads.set(options.threads ?? ComputeThreads.defaultCount(ranksOnNode: comm.localSize))

        // 2. The model, identical on every rank; rank 0 reads the run directory.
        var rng = RandomGenerator(seed: options.seed)
        let model = try Pix2PixTrainer(config: config.model, rng: &rng)
        let checkpoints = CheckpointDirectory(run: options.run)
        var start: Start? = nil
        failure = nil
        if comm.isRoot {
            do { start = try prepareRunDirectory(checkpoints, model: model, config: config) } catch { failure = error }
        }
        try agree(failure)
        start = try comm.broadcast(json: start)
        try broadcastModel(model, optimiser: start!.resumed != nil)
        var step = 0
        var cursor = SamplerCursor()
        if let state = start!.resumed {
            rng = RandomGenerator(state: state.rngState)
            step = state.step
            cursor = rescaledCursor(state, sampler: sampler)
        }

        // 3. Hooks: gradient averaging and (optionally) synchronised BatchNorm.
        try installHooks(model, syncBN: config.syncBN)

        let loader = ClipLoader(sequences: data.train, shards: data.shards, frameSize: data.frameSize,
                                clipLength: options.clip, capacity: options.batch)
        let validator = Validator(data: data, model: model, options: options, comm: comm)
        let log = comm.isRoot ? try TrainingLog(run: options.run, options: options, comm: comm) : nil
        func finished(_ step: Int, _ cursor: SamplerCursor) -> Bool {
            switch options.length {
            case .steps(let n): return step >= n
            case .epochs(let n): return cursor.epoch >= n
            }
        }
        func remaining(_ step: Int, _ cursor: SamplerCursor) -> Int {
            switch options.length {
            case .steps(let n): return max(0, n - step)
            case .epochs(let n):
                // Saturates: --epochs is the user's and may be absurdly large.
                let (steps, overflow) = max(0, n - cursor.epoch).multipliedReportingOverflow(by: sampler.stepsPerEpoch)
                return overflow ? Int.max : max(0, steps - cursor.stepInEpoch)
            }
        }
        if finished(step, cursor) {
            note("the run is already at step \(step); nothing to do (raise --steps or --epochs to train further)")
        } else {
            note("training \(remaining(step, cursor)) steps from step \(step): \(comm.size) rank(s) × \(options.batch) clips × \(options.clip) frames of \(data.frameSize)², \(sampler.stepsPerEpoch) steps per epoch, \(ComputeThreads.count) thread(s) per rank")
        }

        // 4. Steps.
        var lastCheckpoint = start!.resumed?.step
        let framesPerStep = Double(options.batch * options.clip * comm.size)
        if !finished(step, cursor) { loader.prefetch(try sampler.batch(at: cursor)) }
        while !finished(step, cursor) {
            let batch = try loader.next()
            let nextCursor = sampler.next(after: cursor)
            if !finished(step + 1, nextCursor) { loader.prefetch(try sampler.batch(at: nextCursor)) }

            if options.nanAtStep == step + 1 { batch.L.data[0] = .nan }
            timer.reset()
            let began = DispatchTime.now().uptimeNanoseconds
            let local = model.step(L: batch.L, ab: batch.ab, batch: options.batch, time: options.clip)
            var losses = [Double(local.discriminator), Double(local.generatorGAN), Double(local.generatorL1)]
            try losses.withUnsafeMutableBufferPointer { try comm.allReduceAverage($0) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
            // Every rank's own compute time (its step less the time spent in collectives,
            // which includes waiting for the others), so a slow rank can be found.
            let rankCompute = comm.size > 1 ? try comm.allGather(seconds - timer.reduceSeconds) : [seconds]
            step += 1
            let epochOfStep = cursor.epoch
            cursor = nextCursor

            let names = ["loss_D", "loss_G (GAN part)", "loss_G (L1 part)"]
            if let bad = losses.indices.first(where: { !losses[$0].isFinite }) {
                throw AgreedFailure(message: "step \(step): \(names[bad]) is \(losses[bad].isNaN ? "NaN" : "infinite"); stopping without writing a checkpoint"
                                    + " (the newest checkpoint is \(lastCheckpoint.map { "step \($0)" } ?? "none"))",
                                    reporter: comm.isRoot)
            }
            log?.step(StepRecord(step: step, epoch: epochOfStep, lossD: losses[0], lossGAN: losses[1], lossL1: losses[2],
                                 lambda: Double(config.model.lambdaL1), seconds: seconds,
                                 reduceSeconds: timer.reduceSeconds, frames: framesPerStep,
                                 rankComputeSeconds: rankCompute),
                      remainingSteps: remaining(step, cursor))

            let done = finished(step, cursor)
            if cursor.stepInEpoch == 0 || done, validator.hasData {
                try averageBatchNormStatistics(model)
                if let result = try validator.run() {
                    log?.validation(step: step, epoch: epochOfStep, result)
                }
            }
            if comm.isRoot, options.sampleEvery > 0, step % options.sampleEvery == 0, validator.hasData {
                do { try validator.writeSample(step: step, run: options.run) } catch {
                    note("warning: could not write the sample strip: \(error)")
                }
            }
            if step % options.checkpointEvery == 0 || done {
                try averageBatchNormStatistics(model)
                if comm.isRoot {
                    let state = CheckpointState(
                        step: step, epoch: cursor.epoch, cursor: cursor, stepsPerEpoch: sampler.stepsPerEpoch,
                        worldSize: comm.size, rngState: rng.stateWords,
                        generatorAdamSteps: model.generatorOptimizer.stepCount,
                        discriminatorAdamSteps: model.discriminatorOptimizer.stepCount,
                        configuration: try config.jsonText())
                    let path = checkpoints.path(step: step)
                    try Checkpoint.write(networks(model), state: state, to: path)
                    checkpoints.prune(keep: options.keep)
                    log?.checkpoint(step: step, path: path)
                }
                lastCheckpoint = step
            }
            if let killRank = options.killRank, killRank == comm.rank, options.killAtStep == step {
                kill(getpid(), SIGKILL)
            }
        }
        try comm.barrier()
        if options.logLevel == .debug, let buckets = overlap?.buckets, buckets.bucketsWaitedFor > 0 {
            note("G's gradient buckets already finished when the final wait began: \(buckets.finishedBeforeWait) of \(buckets.bucketsWaitedFor)")
        }
        log?.finish(step: step)

        if options.printChecksum {
            let all = try comm.allGather(json: [Self.checksum(model)])
            if comm.isRoot {
                let line = try JSONEncoder().encode(["checksums": all.map { $0[0] }])
                FileHandle.standardOutput.write(line + Data("\n".utf8))
            }
        }
    }

    // MARK: - Start

    /// How a run starts, decided by rank 0 and broadcast.
    struct Start: Codable {
        /// The state of the checkpoint resumed from, if any.
        var resumed: CheckpointState?
    }

    /// Rank 0: creates the run directory; loads the checkpoint to resume from
    /// or the `--init` weights into `model`.
    func prepareRunDirectory(_ checkpoints: CheckpointDirectory, model: Pix2PixTrainer,
                             config: TrainingConfiguration) throws -> Start {
        try checkpoints.create()
        for stale in checkpoints.removeStaleTemporaries() {
            note("removed \(stale), left by an interrupted checkpoint write")
        }
        if options.resume {
            guard let newest = checkpoints.newestComplete() else {
                if let broken = checkpoints.checkpoints().last {
                    throw TrainingError("--resume: no readable checkpoint in \(checkpoints.path) (newest is \(broken.path))")
                }
                note("--resume: no checkpoint in \(checkpoints.path) yet; starting from scratch")
                return Start(resumed: nil)
            }
            for reason in newest.skipped { note("warning: skipping \(reason)") }
            let stored: TrainingConfiguration
            do { stored = try TrainingConfiguration.decode(newest.state.configuration) } catch {
                throw TrainingError("\(newest.path): the stored configuration is not readable (\(error))")
            }
            let differences = config.differences(from: stored)
            guard differences.isEmpty else {
                throw TrainingError("--resume: \(newest.path) was trained with another configuration: "
                                    + differences.joined(separator: "; ") + " (use the same options, or --init to start a new run from its weights)")
            }
            try Checkpoint.read(newest.path, into: networks(model))
            if newest.state.worldSize != comm.size {
                note("warning: \(newest.path) was written by \(newest.state.worldSize) rank(s), resuming with \(comm.size):"
                     + " the effective batch changes from \(newest.state.worldSize * options.batch) to \(comm.size * options.batch) clips"
                     + " and the data order is not the one an uninterrupted run would have seen")
            }
            note("resuming from \(newest.path) (step \(newest.state.step), epoch \(newest.state.epoch))")
            return Start(resumed: newest.state)
        }
        if let existing = checkpoints.checkpoints().last {
            throw TrainingError("\(options.run) already holds checkpoints (newest \(existing.path)): pass --resume to continue that run, or choose another --run")
        }
        if let path = options.initFrom {
            let loaded = try Checkpoint.loadWeights(path, generator: model.generator.parameters,
                                                    discriminator: model.discriminator.parameters)
            note("initialised from \(path)\(loaded.discriminatorLoaded ? "" : " (generator only; the discriminator starts fresh)")")
        }
        return Start(resumed: nil)
    }

    /// The cursor to continue from. With the same epoch geometry it is the
    /// stored one; with another rank count (or data) the epoch has another
    /// number of steps, so the position inside the epoch is scaled.
    func rescaledCursor(_ state: CheckpointState, sampler: Sampler) -> SamplerCursor {
        guard state.stepsPerEpoch != sampler.stepsPerEpoch else { return state.cursor }
        // In Double: stepInEpoch × stepsPerEpoch may not fit an Int; the result is below stepsPerEpoch.
        let scaled = Int(Double(state.cursor.stepInEpoch) * Double(sampler.stepsPerEpoch) / Double(max(1, state.stepsPerEpoch)))
        return SamplerCursor(epoch: state.cursor.epoch, stepInEpoch: min(scaled, sampler.stepsPerEpoch - 1))
    }

    func networks(_ model: Pix2PixTrainer) -> Checkpoint.Networks {
        Checkpoint.Networks(generator: model.generator.parameters, discriminator: model.discriminator.parameters,
                            generatorOptimizer: model.generatorOptimizer, discriminatorOptimizer: model.discriminatorOptimizer)
    }

    /// Rank 0's weights and buffers (and Adam state when resuming) to every rank.
    func broadcastModel(_ model: Pix2PixTrainer, optimiser: Bool) throws {
        for (set, adam) in [(model.generator.parameters, model.generatorOptimizer),
                            (model.discriminator.parameters, model.discriminatorOptimizer)] {
            try comm.broadcast(set.values)
            try comm.broadcast(set.bufferValues)
            if optimiser {
                try comm.broadcast(adam.m)
                try comm.broadcast(adam.v)
                adam.stepCount = Int(try comm.allReduce(Int64(comm.isRoot ? adam.stepCount : 0), .sum))
            }
        }
    }

    // MARK: - Collectives in the step

    /// D's gradients (2.7 MB for the seed model) are averaged in one blocking
    /// all-reduce once D's backward is done. G's (176 MB) are averaged in
    /// buckets started during G's backward (`OverlappedAverage`), unless
    /// `--bucket-mb 0` asks for one blocking all-reduce. The time spent inside
    /// these calls, i.e. communication not hidden behind compute, is what the
    /// progress line reports as the all-reduce share.
    func installHooks(_ model: Pix2PixTrainer, syncBN: Bool) throws {
        guard comm.size > 1 else { return }
        let comm = self.comm, timer = self.timer
        func timed(_ what: String, _ body: () throws -> Void) {
            let t = DispatchTime.now().uptimeNanoseconds
            do { try body() } catch { comm.abort("\(what) failed: \(error)") }
            timer.reduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
        }
        let precision = options.allreducePrecision
        // Blocking average of one network's gradients, in the chosen precision.
        func blockingAverage(_ parameters: ParameterSet) -> (ParameterSet) -> Void {
            switch precision {
            case .fp32:
                return { p in timed("gradient all-reduce") { try comm.allReduceAverage(p.grads) } }
            case .bf16:
                let average = BFloat16Average(communicator: comm, count: parameters.grads.count)
                return { p in timed("gradient all-reduce") { try average.average(p.grads) } }
            }
        }
        model.discriminatorGradientsReady = blockingAverage(model.discriminator.parameters)
        var overlapped: OverlappedAverage?
        if options.bucketMB > 0 {
            let overlap = try OverlappedAverage(communicator: comm, parameters: model.generator.parameters,
                                                bucketBytes: max(4, Int(options.bucketMB * 1_048_576)),
                                                precision: precision, progressMicroseconds: options.progressMicroseconds)
            overlapped = overlap
            self.overlap = overlap
            model.generator.gradientsFinal = { offset in
                timed("gradient all-reduce") { try overlap.gradientsFinal(from: offset) }
            }
            model.generatorGradientsReady = { _ in
                timed("gradient all-reduce") { try overlap.finish() }
            }
        } else {
            model.generatorGradientsReady = blockingAverage(model.generator.parameters)
        }
        if syncBN {
            // G's BatchNorm layers reduce during its backward, while buckets
            // may be in flight: one MPI call at a time (see BucketProgress).
            let reduce: (UnsafeMutableBufferPointer<Double>) -> Void = { sums in
                timed("sync-BN all-reduce") {
                    if let overlapped { try overlapped.exclusive { try comm.allReduceSum(sums) } } else { try comm.allReduceSum(sums) }
                }
            }
            model.generator.setBatchNormReducer(reduce)
            model.discriminator.setBatchNormReducer(reduce)
        }
    }

    /// Running statistics differ per rank (each saw its own batches); their
    /// mean is what one would have with all ranks' data. Applied in place on
    /// every rank, so replicas stay identical.
    func averageBatchNormStatistics(_ model: Pix2PixTrainer) throws {
        try comm.allReduceAverage(model.generator.parameters.bufferValues)
        try comm.allReduceAverage(model.discriminator.parameters.bufferValues)
    }

    /// A fingerprint of everything that must agree across replicas.
    static func checksum(_ model: Pix2PixTrainer) -> String {
        var parts: [UInt64] = []
        for (set, adam) in [(model.generator.parameters, model.generatorOptimizer),
                            (model.discriminator.parameters, model.discriminatorOptimizer)] {
            parts.append(Checkpoint.checksum(UnsafeBufferPointer(set.values)))
            parts.append(Checkpoint.checksum(UnsafeBufferPointer(set.bufferValues)))
            parts.append(Checkpoint.checksum(UnsafeBufferPointer(adam.m)))
            parts.append(Checkpoint.checksum(UnsafeBufferPointer(adam.v)))
        }
        return parts.map { String($0, radix: 16) }.joined(separator: "-")
    }
}

/// Time spent in collectives during one step (written by the hooks).
final class StepTimer {
    var reduceSeconds = 0.0
    func reset() { reduceSeconds = 0 }
}
