import DataPrep
import Foundation
import Net
import ModelFiles
import Storage

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
///    ranks; one all-reduce after the step averages the losses and the
///    BatchNorm running statistics and carries every rank's stop request, so
///    every rank sees a NaN or a signal at the same step and stops together,
///    and the replicas stay bit-identical, buffers included;
/// 4. after each step rank 0 logs; every epoch the ranks validate; rank 0
///    checkpoints (every `--checkpoint-every` steps, at the end, and on a
///    graceful stop).
///
/// Faults injected by tests (hidden options) live in `FaultInjection`, called
/// once before and once after each step, never inside it.
public final class Trainer {
    public let options: TrainingOptions
    public let comm: Communicator
    private let timer = StepTimer()
    /// Rank 0's lock on the run directory (one writer per place), held until the trainer goes.
    private var runLock: DirectoryLock?
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
        guard comm.isRoot else { return }
        TrainingLog.logger.notice("\(text)")
    }

    /// Something the user should see even with `--log-level quiet` (rank 0 only).
    func warn(_ text: String) {
        guard comm.isRoot else { return }
        TrainingLog.logger.warning("\(text)")
    }

    // MARK: - Run

    /// Set up, then steps (each followed by its bookkeeping) until the run is
    /// long enough or a stop signal arrives, then finish.
    public func run() throws {
        StopSignal.install()
        let session = try setUp()
        let faults = FaultInjection(options: options, rank: comm.rank)
        while !session.finished(session.step, session.cursor) {
            comm.step = session.step + 1
            let outcome = try trainStep(session, faults: faults)
            try afterStep(session, outcome)
            faults.afterStep(session.step)
            // A signal during the last step changes nothing: the run is complete.
            if let signal = outcome.stopSignal, !session.finished(session.step, session.cursor) {
                try stop(session, by: signal)
            }
        }
        comm.step = nil
        try finish(session)
    }

    /// Everything a run needs before its first step, agreed by every rank.
    func setUp() throws -> TrainingSession {
        // Options and data, on every rank; the ranks agree on the outcome.
        var failure: Error?
        var checked: (data: TrainingData, config: TrainingConfiguration, sampler: Sampler)?
        do {
            try options.validate(worldSize: comm.size)
            let data = try TrainingData.load(options.data, expectedSize: options.size)
            var model = options.recipe
            model.baseWidth = options.baseWidth
            model.temporal = options.temporal
            model.size = data.frameSize
            try model.validate()
            let config = TrainingConfiguration(model: model, batch: options.batch, clip: options.clip,
                                               seed: options.seed, syncBN: options.syncBN, augment: options.augment,
                                               accumulate: options.accumulate, lrScaling: options.lrScaling,
                                               referenceBatch: options.referenceBatch, reproducible: options.reproducible)
            let sampler = try Sampler(sequences: data.train,
                                      clipLength: options.clip, batch: options.batch, seed: options.seed,
                                      rank: comm.rank, worldSize: comm.size, accumulate: options.accumulate)
            checked = (data, config, sampler)
        } catch { failure = error }
        try agree(failure)
        let (data, config, sampler) = checked!
        comm.collectiveTimeout = options.collectiveTimeout

        ComputeThreads.set(options.threads ?? ComputeThreads.defaultCount(ranksOnNode: comm.localSize))

        // The model, identical on every rank; rank 0 reads the run directory.
        var rng = RandomGenerator(seed: options.seed)
        let model = try Pix2PixTrainer(config: config.model, rng: &rng)
        model.learningRateScale = options.learningRateFactor(worldSize: comm.size)
        let checkpoints = CheckpointDirectory(run: options.run)
        var start: Start? = nil
        failure = nil
        if comm.isRoot {
            do { start = try prepareRunDirectory(checkpoints, model: model, config: config, data: data) } catch { failure = error }
        }
        try agree(failure)
        start = try comm.broadcast(json: start)
        try broadcastModel(model, optimiser: start!.resumed != nil)

        try installHooks(model, syncBN: config.syncBN)
        let session = TrainingSession(
            options: options, data: data, config: config, sampler: sampler, model: model, rng: rng,
            checkpoints: checkpoints, worldSize: comm.size,
            loader: ClipLoader(sequences: data.train, shards: data.shards, frameSize: data.frameSize,
                               clipLength: options.clip, capacity: options.accumulate * options.batch,
                               augmentation: config.augment ? Augmentation() : nil),
            validator: Validator(data: data, model: model, options: options, comm: comm),
            log: comm.isRoot ? try TrainingLog(run: options.run, options: options, comm: comm,
                                               start: start!.resumed?.step ?? 0, configuration: config) : nil)
        if let state = start!.resumed {
            session.rng = RandomGenerator(state: state.rngState)
            session.step = state.step
            session.cursor = rescaledCursor(state, sampler: sampler)
            session.lastCheckpoint = state.step
        }
        if session.finished(session.step, session.cursor) {
            note("the run is already at step \(session.step); nothing to do (raise --steps or --epochs to train further)")
        } else {
            let micro = options.accumulate > 1 ? " × \(options.accumulate) micro-batches" : ""
            note("training \(session.remaining(session.step, session.cursor)) steps from step \(session.step): \(comm.size) rank(s)\(micro) × \(options.batch) clips × \(options.clip) frames of \(data.frameSize)², \(sampler.stepsPerEpoch) steps per epoch, \(ComputeThreads.count) thread(s) per rank")
            if options.lrScaling != .none {
                note("--lr-scaling \(options.lrScaling.rawValue): learning rate \(Double(options.recipe.learningRate) * model.learningRateScale)"
                     + " (--lr \(options.recipe.learningRate) × \(model.learningRateScale) for a global batch of \(Int(options.globalBatch(worldSize: comm.size)))"
                     + " clips against --reference-batch \(options.referenceBatch))")
            }
            session.loader.prefetch(try sampler.batch(at: session.cursor), augmentationKeys: augmentationKeys(session.cursor))
        }
        return session
    }

    /// What one step produced, the same on every rank.
    struct StepOutcome {
        /// Losses averaged over ranks: D, G's GAN part, G's L1 part.
        var losses: [Double]
        var seconds: Double
        /// The epoch the step belonged to.
        var epoch: Int
        /// A stop signal some rank received before the step's all-reduce.
        var stopSignal: Int32?
    }

    /// One step: the batch, G's and D's updates (gradients averaged by the
    /// hooks), then one all-reduce that averages the losses and the BatchNorm
    /// running statistics and tells every rank whether any was asked to stop.
    func trainStep(_ s: TrainingSession, faults: FaultInjection) throws -> StepOutcome {
        let batch = try s.loader.next()
        let nextCursor = s.sampler.next(after: s.cursor)
        if !s.finished(s.step + 1, nextCursor) {
            s.loader.prefetch(try s.sampler.batch(at: nextCursor), augmentationKeys: augmentationKeys(nextCursor))
        }
        faults.beforeStep(s.step + 1, input: batch.L)

        timer.reset()
        let began = DispatchTime.now().uptimeNanoseconds
        let local = s.model.step(L: batch.L, ab: batch.ab, batch: options.batch, time: options.clip, index: s.step,
                                 microBatches: options.accumulate)
        let reduceBegan = DispatchTime.now().uptimeNanoseconds
        let stopSignal = try s.summary.reduce(losses: local, stopSignal: StopSignal.received, comm: comm)
        let summarySeconds = Double(DispatchTime.now().uptimeNanoseconds - reduceBegan) / 1e9
        // After the reduce, which averaged the BatchNorm buffers: every replica averages the same values.
        s.model.generatorAverage?.update()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        // Every rank's own compute time: its step less its time in collectives, the
        // closing all-reduce included, where it waits for the others; so a slow
        // rank can be found. Its own all-gather, not a slot in the closing
        // all-reduce: the time counts the moving-average update, which waits for
        // that all-reduce.
        try comm.allGather(seconds - timer.reduceSeconds - summarySeconds, into: s.rankComputeSeconds)

        let outcome = StepOutcome(losses: s.summary.losses, seconds: seconds, epoch: s.cursor.epoch, stopSignal: stopSignal)
        s.step += 1
        s.cursor = nextCursor
        let names = ["loss_D", "loss_G (GAN part)", "loss_G (L1 part)"]
        if let bad = outcome.losses.indices.first(where: { !outcome.losses[$0].isFinite }) {
            throw AgreedFailure(message: "step \(s.step): \(names[bad]) is \(outcome.losses[bad].isNaN ? "NaN" : "infinite"); stopping without writing a checkpoint"
                                + " (the newest checkpoint is \(s.lastCheckpoint.map { "step \($0)" } ?? "none"))",
                                reporter: comm.isRoot)
        }
        return outcome
    }

    /// The augmentation draws of this rank's micro-batches at `cursor`: each
    /// those of the rank whose clips it has (`Sampler`), so that K
    /// micro-batches are augmented as K ranks' batches would be.
    func augmentationKeys(_ cursor: SamplerCursor) -> [UInt64] {
        (0..<options.accumulate).map { k in
            Augmentation.key(seed: options.seed, epoch: cursor.epoch, stepInEpoch: cursor.stepInEpoch,
                             rank: comm.rank * options.accumulate + k)
        }
    }

    /// The step's bookkeeping: log, validation at the end of an epoch and of
    /// the run, sample strips, checkpoints.
    func afterStep(_ s: TrainingSession, _ outcome: StepOutcome) throws {
        let losses = outcome.losses
        s.log?.step(StepRecord(step: s.step, epoch: outcome.epoch, lossD: losses[0], lossGAN: losses[1], lossL1: losses[2],
                               lambda: Double(s.config.model.lambdaL1), ganWeight: Double(s.config.model.ganWeight),
                               learningRate: Double(s.model.generatorOptimizer.learningRate),
                               seconds: outcome.seconds,
                               reduceSeconds: timer.reduceSeconds, frames: s.framesPerStep,
                               rankComputeSeconds: Array(s.rankComputeSeconds)),
                    remainingSteps: s.remaining(s.step, s.cursor))
        let done = s.finished(s.step, s.cursor)
        if s.cursor.stepInEpoch == 0 || done, s.validator.hasData, let result = try s.validator.run() {
            s.log?.validation(step: s.step, epoch: outcome.epoch, result)
        }
        if comm.isRoot, options.sampleEvery > 0, s.step % options.sampleEvery == 0, s.validator.hasData {
            do {
                try s.validator.writeSample(step: s.step, run: options.run)
                s.log?.sample(step: s.step, path: Validator.samplePath(step: s.step, run: options.run))
            } catch {
                warn("could not write the sample strip: \(error)")
            }
        }
        if s.step % options.checkpointEvery == 0 || done { try checkpoint(s) }
    }

    /// Writes the checkpoint of the current step (rank 0; the replicas are
    /// identical, BatchNorm statistics included, so any rank's model is the
    /// run's). Weights that are no longer finite are never written: every rank
    /// finds them (same replicas), so all stop together.
    func checkpoint(_ s: TrainingSession) throws {
        if let bad = NonFinite.firstTensor(in: ModelWeights(s.model)) {
            throw AgreedFailure(message: "step \(s.step): \(bad) holds a NaN or infinite weight; stopping without writing a checkpoint"
                                + " (the newest checkpoint is \(s.lastCheckpoint.map { "step \($0)" } ?? "none"))",
                                reporter: comm.isRoot)
        }
        if comm.isRoot {
            let state = TrainingState(
                step: s.step, epoch: s.cursor.epoch, cursor: s.cursor, stepsPerEpoch: s.sampler.stepsPerEpoch,
                worldSize: comm.size, rngState: s.rng.stateWords,
                generatorAdamSteps: s.model.generatorOptimizer.stepCount,
                discriminatorAdamSteps: s.model.discriminatorOptimizer.stepCount,
                dataFingerprint: s.data.fingerprint, allreducePrecision: options.allreducePrecision.rawValue)
            let path = s.checkpoints.path(step: s.step)
            try Checkpoint.write(ModelWeights(s.model), configuration: try s.config.jsonText(),
                                 training: (state, Optimizers(s.model)), to: path)
            s.checkpoints.prune(keep: options.keep)
            s.log?.checkpoint(step: s.step, path: path)
        }
        s.lastCheckpoint = s.step
    }

    /// A graceful stop: the ranks agreed (through the step's all-reduce) to
    /// stop after this step; the step is checkpointed unless it just was.
    func stop(_ s: TrainingSession, by signal: Int32) throws -> Never {
        if s.lastCheckpoint != s.step { try checkpoint(s) }
        try comm.barrier()
        throw GracefulStop(step: s.step, signal: signal, reporter: comm.isRoot)
    }

    func finish(_ s: TrainingSession) throws {
        try comm.barrier()
        if let buckets = overlap?.buckets, buckets.bucketsWaitedFor > 0 {
            TrainingLog.logger.debug("G's gradient buckets already finished when the final wait began: \(buckets.finishedBeforeWait) of \(buckets.bucketsWaitedFor)")
        }
        s.log?.finish(step: s.step)
        if options.printChecksum {
            let all = try comm.allGather(json: [Self.checksum(s.model)])
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
        var resumed: TrainingState?
    }

    /// Rank 0: creates the run directory; loads the checkpoint to resume from
    /// or the `--init` weights into `model`.
    func prepareRunDirectory(_ checkpoints: CheckpointDirectory, model: Pix2PixTrainer,
                             config: TrainingConfiguration, data: TrainingData) throws -> Start {
        try checkpoints.create()
        // Before anything in the run directory is touched: a second train here
        // would delete the first's in-progress checkpoint and share its metrics.jsonl.
        runLock = try DirectoryLock(options.run, for: "train")
        for stale in checkpoints.removeStaleTemporaries() {
            note("removed \(stale), left by an interrupted checkpoint write")
        }
        if options.resume {
            let found: CheckpointDirectory.Newest?
            var stored: TrainingConfiguration?   // the restored checkpoint's, set by the restore that succeeds
            do {
                found = try checkpoints.newestIntact { stored = try restore(model, from: $0, config: config, data: data) }
            } catch let none as ModelFileError {
                throw TrainingError("--resume: \(none)")
            }
            guard let newest = found, let stored else {
                note("--resume: no checkpoint in \(checkpoints.path) yet; starting from scratch")
                return Start(resumed: nil)
            }
            defer { newest.file.close() }
            if !newest.skipped.isEmpty {
                // Set aside, or they would stay the "newest" checkpoints that --keep keeps, and the intact ones go.
                let renamed = newest.skippedPaths.map { old -> String in
                    let (new, why) = checkpoints.setAside(old)
                    return new.map { "renamed to \($0)" } ?? "could not be renamed (\(why ?? "unknown")): remove it by hand"
                }
                let each = zip(newest.skipped, renamed).map { "\($0) [\($1)]" }
                warn("--resume: skipping \(each.joined(separator: "; ")); resuming from the newest intact checkpoint, \(newest.path)")
            }
            if let trained = newest.state.dataFingerprint, trained != data.fingerprint {
                warn("\(newest.path) was trained on another data set; continuing on \(options.data) (--allow-data-change)")
            }
            let storedAccumulate = stored.accumulate
            if newest.state.worldSize != comm.size, storedAccumulate != options.accumulate {
                // Accepted by `restore` only when ranks × accumulate is the checkpoint's: the same global batch regrouped.
                let regrouped = "\(newest.path) was written by \(newest.state.worldSize) rank(s) × \(storedAccumulate) micro-batch(es),"
                    + " resuming with \(comm.size) × \(options.accumulate): the same \(comm.size * options.accumulate) shares of the global batch"
                    + " of \(comm.size * options.accumulate * options.batch) clips, regrouped"
                if options.reproducible {
                    note(regrouped + "; --reproducible continues it bit for bit")
                } else {
                    warn(regrouped + ": the same clips and learning rate, but the gradient sums are rounded differently from here on,"
                         + " so the run does not continue bit for bit as it would have (--reproducible would)")
                }
            } else if newest.state.worldSize != comm.size {
                warn("\(newest.path) was written by \(newest.state.worldSize) rank(s), resuming with \(comm.size):"
                     + " the effective batch changes from \(newest.state.worldSize * options.accumulate * options.batch) to \(comm.size * options.accumulate * options.batch) clips"
                     + " and the data order is not the one an uninterrupted run would have seen"
                     + (options.lrScaling == .none ? "" : "; --lr-scaling \(options.lrScaling.rawValue) changes the learning rate with it"))
            }
            let precision = options.allreducePrecision.rawValue
            if let written = newest.state.allreducePrecision, written != precision {
                warn("\(newest.path) was written with --allreduce-precision \(written), resuming with \(precision):"
                     + " gradients are rounded differently from here on, so the run does not continue as it would have with \(written)")
            }
            note("resuming from \(newest.path) (step \(newest.state.step), epoch \(newest.state.epoch))")
            return Start(resumed: newest.state)
        }
        if let existing = checkpoints.checkpoints().last {
            throw TrainingError("\(options.run) already holds checkpoints (newest \(existing.path)): pass --resume to continue that run, or choose another --run")
        }
        if let path = options.initFrom {
            let file = try ModelFile.open(sniffing: path)
            defer { file.close() }
            // A new run: its moving average starts from its own first step, whatever the file holds.
            var weights = ModelWeights(model)
            weights.generatorAverage = nil
            let withDiscriminator = try file.loadWeights(weights)
            note("initialised from \(path)\(withDiscriminator ? "" : " (generator only; the discriminator starts fresh)")")
        }
        return Start(resumed: nil)
    }

    /// Rank 0, for each candidate of `--resume`, newest first: refuses a
    /// checkpoint of another configuration or data set (the options are wrong,
    /// so the search ends), then loads the run from it into `model`. A damaged
    /// file fails with a `ModelFileError` and the next older one is tried; its
    /// restore overwrites every tensor and counter this one may have half
    /// written, since the same configuration means the same tensors. Returns
    /// the configuration the checkpoint stores.
    func restore(_ model: Pix2PixTrainer, from candidate: CheckpointDirectory.Newest,
                 config: TrainingConfiguration, data: TrainingData) throws -> TrainingConfiguration {
        let stored: TrainingConfiguration
        do { stored = try TrainingConfiguration.decode(candidate.file.storedConfiguration ?? "") } catch {
            throw ModelFileError("\(candidate.path): the stored configuration is not readable (\(error))")
        }
        let differences = config.differences(from: stored, ranks: comm.size, storedRanks: candidate.state.worldSize)
        guard differences.isEmpty else {
            throw TrainingError("--resume: \(candidate.path) was trained with another configuration: "
                                + differences.joined(separator: "; ") + " (use the same options, or --init to start a new run from its weights)")
        }
        if let trained = candidate.state.dataFingerprint, trained != data.fingerprint, !options.allowDataChange {
            throw TrainingError("--resume: \(candidate.path) was trained on another data set than \(options.data)"
                                + " (its sequences, frame counts or split differ); pass --allow-data-change to continue on this one")
        }
        try candidate.file.restore(ModelWeights(model), optimizers: Optimizers(model))
        return stored
    }

    /// The cursor to continue from. With the same epoch geometry it is the
    /// stored one; with another rank count (or data) the epoch has another
    /// number of steps, so the position inside the epoch is scaled.
    func rescaledCursor(_ state: TrainingState, sampler: Sampler) -> SamplerCursor {
        Self.rescaled(state.cursor, from: state.stepsPerEpoch, to: sampler.stepsPerEpoch)
    }

    /// `cursor` of an epoch of `old` steps moved to the same fraction of an
    /// epoch of `new` steps (rounded down), clamped to the epoch's last step.
    static func rescaled(_ cursor: SamplerCursor, from old: Int, to new: Int) -> SamplerCursor {
        guard old != new else { return cursor }
        // In Double: stepInEpoch × stepsPerEpoch may not fit an Int; the result is below stepsPerEpoch.
        let scaled = Int(Double(cursor.stepInEpoch) * Double(new) / Double(max(1, old)))
        return SamplerCursor(epoch: cursor.epoch, stepInEpoch: min(scaled, new - 1))
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
        if optimiser, let average = model.generatorAverage {
            try comm.broadcast(average.values)
            try comm.broadcast(average.buffers)
            average.isStarted = true
        }
    }

    // MARK: - Collectives in the step

    /// D's gradients (2.7 MB for the seed model) are averaged in one blocking
    /// all-reduce once D's backward is done. G's (176 MB) are averaged in
    /// buckets started during G's backward (`OverlappedAverage`), unless
    /// `--bucket-mb 0` asks for one blocking all-reduce. The time spent inside
    /// these calls, i.e. communication not hidden behind compute, is what the
    /// progress line reports as the all-reduce share.
    ///
    /// `--reproducible` replaces all of this with the share-ordered
    /// reduction's all-gathers (`ShareOrderedReduction`), in one process too.
    func installHooks(_ model: Pix2PixTrainer, syncBN: Bool) throws {
        let comm = self.comm, timer = self.timer
        func timed(_ what: String, _ body: () throws -> Void) {
            let t = DispatchTime.now().uptimeNanoseconds
            do { try body() } catch { comm.abort("\(what) failed: \(error)") }
            timer.reduceSeconds += Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9
        }
        if options.reproducible {
            let gather: ShareOrderedReduction.Gather = { slots in timed("gradient all-gather") { try comm.allGatherInPlace(slots) } }
            model.reproduction = ShareOrderedReduction(generator: model.generator.parameters,
                                                       discriminator: model.discriminator.parameters,
                                                       ranks: comm.size, rank: comm.rank, microBatches: options.accumulate,
                                                       gather: comm.size > 1 ? gather : nil)
            return
        }
        guard comm.size > 1 else { return }
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

    /// A fingerprint of everything that must agree across replicas.
    static func checksum(_ model: Pix2PixTrainer) -> String {
        var parts: [UInt64] = []
        for (set, adam) in [(model.generator.parameters, model.generatorOptimizer),
                            (model.discriminator.parameters, model.discriminatorOptimizer)] {
            parts.append(TensorChecksum.of(UnsafeBufferPointer(set.values)))
            parts.append(TensorChecksum.of(UnsafeBufferPointer(set.bufferValues)))
            parts.append(TensorChecksum.of(UnsafeBufferPointer(adam.m)))
            parts.append(TensorChecksum.of(UnsafeBufferPointer(adam.v)))
        }
        if let average = model.generatorAverage {
            parts.append(TensorChecksum.of(UnsafeBufferPointer(average.values)))
            parts.append(TensorChecksum.of(UnsafeBufferPointer(average.buffers)))
        }
        return parts.map { String($0, radix: 16) }.joined(separator: "-")
    }
}

/// Time spent in collectives during one step (written by the hooks).
final class StepTimer {
    var reduceSeconds = 0.0
    func reset() { reduceSeconds = 0 }
}
