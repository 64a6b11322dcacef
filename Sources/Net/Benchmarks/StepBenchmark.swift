import Foundation

/// `vcolor bench`: how fast one training step runs on this machine, against
/// what the machine's BLAS can do (docs/format.md §Command line).
///
/// The lines, in order: `sgemm` (1024³ at the same thread count, measured in the
/// same run, so the step's fraction of peak is honest on a busy machine), then
/// `train_step`, then `ema_update` (the cost of `train --ema`), then `inference`, for each thread count; with several counts a
/// `thread_scaling` line per count after the first; with `layers`, one
/// `conv_layer` line per convolution.
public struct StepBenchmark {
    public struct Options {
        public var threadCounts = [ComputeThreads.defaultCount()]
        public var batch = 4
        public var clip = 8
        public var size = 128
        public var steps = 3
        public var base = 64
        public var temporal = ModelConfig.Temporal.lstm
        public var layers = false
        public var seed: UInt64 = 1
        public init() {}

        public var config: ModelConfig { ModelConfig(baseWidth: base, temporal: temporal, size: size) }

        /// One-line errors for options the benchmark cannot run with.
        public func validate() throws {
            guard batch >= 1, clip >= 1, steps >= 1 else {
                throw BenchError("--batch, --clip and --steps must be at least 1")
            }
            // batch·clip frames of size² pixels: keep the products an Int can hold.
            guard batch <= 4096, clip <= 4096 else {
                throw BenchError("--batch and --clip must be at most 4096, got \(batch) and \(clip)")
            }
            do { try config.validate() } catch { throw BenchError("\(error)") }
        }

        /// "2" or "1,2": positive thread counts.
        public static func threadCounts(_ text: String) throws -> [Int] {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            let counts = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, counts.count == parts.count, counts.allSatisfy({ $0 >= 1 && $0 <= 1024 }) else {
                throw BenchError("--threads takes counts from 1 to 1024, e.g. 2 or 1,2; got \(text)")
            }
            return counts
        }
    }

    public let options: Options
    /// Receives each result line as it is measured.
    let emit: ([(String, BenchValue)]) -> Void
    /// Receives progress notes (what is being measured now).
    let progress: (String) -> Void

    public init(options: Options, emit: @escaping ([(String, BenchValue)]) -> Void,
                progress: @escaping (String) -> Void) {
        self.options = options
        self.emit = emit
        self.progress = progress
    }

    public func run() throws {
        try options.validate()
        let (batch, clip, size) = (options.batch, options.clip, options.size)
        var rng = RandomGenerator(seed: options.seed)
        let trainer = try Pix2PixTrainer(config: options.config, rng: &rng)
        let L = Tensor(Shape(batch * clip, 1, size, size))
        let ab = Tensor(Shape(batch * clip, 2, size, size))
        for i in 0..<L.count { L.data[i] = 2 * rng.nextUniform() - 1 }
        for i in 0..<ab.count { ab.data[i] = rng.nextUniform() - 0.5 }

        var measured: [(threads: Int, result: Medians)] = []
        for threadCount in options.threadCounts {
            ComputeThreads.set(threadCount)
            measured.append((threadCount, measure(trainer: trainer, L: L, ab: ab, threads: threadCount)))
        }
        if let first = measured.first {
            for m in measured.dropFirst() {
                emit([("benchmark", .string("thread_scaling")),
                      ("threads", .int(m.threads)), ("baseline_threads", .int(first.threads)),
                      ("train_step_speedup", .number(first.result.step / m.result.step)),
                      ("inference_speedup", .number(first.result.inference / m.result.inference)),
                      ("sgemm_speedup", .number(m.result.sgemm / first.result.sgemm))])
            }
        }
        if options.layers {
            progress("per-layer convolution timings…")
            for entry in LayerBench.run(config: options.config, batch: batch, time: clip, repeats: options.steps) {
                emit(entry)
            }
        }
    }

    struct Medians { var sgemm, step, inference: Double }

    /// One thread count: sgemm, a warm-up and `steps` timed training steps, then
    /// generator-only inference; emits their lines and returns the medians.
    private func measure(trainer: Pix2PixTrainer, L: Tensor, ab: Tensor, threads: Int) -> Medians {
        let o = options
        progress("sgemm 1024³ on \(threads) thread(s)…")
        let sgemm = BenchClock.sgemmGflops(n: 1024)
        emit([("benchmark", .string("sgemm")), ("n", .int(1024)), ("threads", .int(threads)),
              ("gflops", .number(sgemm))])

        progress("warm-up step (B=\(o.batch), T=\(o.clip), \(o.size)², base \(o.base), \(o.temporal.rawValue))…")
        let n = o.batch * o.clip
        let cost = StepCost(config: o.config, batch: o.batch, time: o.clip)
        let warmUp = BenchClock.seconds { _ = trainer.step(L: L, ab: ab, batch: o.batch, time: o.clip) }
        progress(String(format: "warm-up %.2f s", warmUp))

        var times: [Double] = []
        times.reserveCapacity(o.steps)
        let heapBefore = HeapUsage.inUseBytes()
        var losses = StepLosses(discriminator: 0, generatorGAN: 0, generatorL1: 0)
        // Nothing but the steps between the two heap readings (progress is reported after).
        for _ in 0..<o.steps {
            let start = BenchClock.now()
            losses = trainer.step(L: L, ab: ab, batch: o.batch, time: o.clip)
            times.append(BenchClock.now() - start)
        }
        let heapAfter = HeapUsage.inUseBytes()
        for (i, t) in times.enumerated() { progress(String(format: "step %d/%d %.2f s", i + 1, o.steps, t)) }
        let median = BenchClock.median(times)
        let achieved = cost.trainingStep / median / 1e9
        var line: [(String, BenchValue)] = [
            ("benchmark", .string("train_step")), ("threads", .int(threads)),
            ("batch", .int(o.batch)), ("clip", .int(o.clip)), ("size", .int(o.size)), ("base", .int(o.base)),
            ("temporal", .string(o.temporal.rawValue)), ("steps", .int(o.steps)),
            ("median_s_per_step", .number(median)), ("min_s_per_step", .number(times.min()!)),
            ("frames_per_s", .number(Double(n) / median)),
            ("gflop_per_step", .number(cost.trainingStep / 1e9)),
            ("achieved_gflops", .number(achieved)),
            ("sgemm_gflops", .number(sgemm)),
            ("fraction_of_sgemm_peak", .number(achieved / sgemm)),
            ("peak_rss_mib", .number(BenchClock.peakRSSMiB())),
        ]
        if let heapBefore, let heapAfter {
            line.append(("heap_growth_bytes", .int(heapAfter - heapBefore)))
        }
        line.append(("loss_d", .number(Double(losses.discriminator))))
        line.append(("loss_g_gan", .number(Double(losses.generatorGAN))))
        line.append(("loss_g_l1", .number(Double(losses.generatorL1))))
        emit(line)

        measureAverage(trainer.generator, stepSeconds: median, threads: threads)
        let inference = measureInference(trainer.generator, L: L, cost: cost, threads: threads)
        return Medians(sgemm: sgemm, step: median, inference: inference)
    }

    /// What `train --ema` adds to a step: one update of G's moving average
    /// (weights and buffers), timed on its own; emits the `ema_update` line.
    private func measureAverage(_ generator: Generator, stepSeconds: Double, threads: Int) {
        let average = ExponentialMovingAverage(parameters: generator.parameters, decay: 0.999)
        average.update()  // the first update copies; the timed ones average
        var times: [Double] = []
        for _ in 0..<max(3, options.steps) { times.append(BenchClock.seconds { average.update() }) }
        let median = BenchClock.median(times)
        emit([("benchmark", .string("ema_update")), ("threads", .int(threads)),
              ("values", .int(generator.parameters.trainableCount + generator.parameters.bufferCount)),
              ("median_s", .number(median)), ("fraction_of_step", .number(median / stepSeconds))])
    }

    /// Generator-only forward passes in inference mode; emits the `inference` line.
    private func measureInference(_ generator: Generator, L: Tensor, cost: StepCost, threads: Int) -> Double {
        let o = options
        progress("inference…")
        generator.training = false
        defer { generator.training = true }
        _ = generator.forward(L: L, batch: o.batch, time: o.clip)
        var times: [Double] = []
        for _ in 0..<o.steps {
            times.append(BenchClock.seconds { _ = generator.forward(L: L, batch: o.batch, time: o.clip) })
        }
        let median = BenchClock.median(times)
        let n = o.batch * o.clip
        emit([("benchmark", .string("inference")), ("threads", .int(threads)),
              ("frames", .int(n)), ("median_s_per_batch", .number(median)),
              ("frames_per_s", .number(Double(n) / median)),
              ("gflop_per_batch", .number(cost.inference / 1e9)),
              ("achieved_gflops", .number(cost.inference / median / 1e9)),
              ("peak_rss_mib", .number(BenchClock.peakRSSMiB()))])
        return median
    }
}

/// A bench failure, printed as one line.
public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
