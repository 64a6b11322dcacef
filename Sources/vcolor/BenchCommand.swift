import ArgumentParser
import CBLAS
import Foundation
import Net

#if canImport(Glibc)
import Glibc
#endif

/// `vcolor bench`: how fast one training step runs on this machine, against
/// what the machine's BLAS can do (docs/format.md §Command line).
///
/// stdout gets one JSON object per line: first `sgemm` (1024³ at the same thread
/// count, measured in the same run, so the step's fraction of peak is honest on a
/// busy machine), then `train_step`, then `inference`; with `--layers`, one
/// `conv_layer` line per convolution. Progress goes to stderr.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time training steps and inference on synthetic data; print JSON lines.")

    @Option(help: ArgumentHelp(
        "Compute threads, or a comma-separated list (e.g. 1,2) to measure each in this run (default: one per core).",
        discussion: "With a list, a final `thread_scaling` line gives each count's speed-up over the first, measured in the same process on the same model."))
    var threads: String?
    @Option(help: "Clips per batch.")
    var batch: Int = 4
    @Option(help: "Frames per clip.")
    var clip: Int = 8
    @Option(help: "Frame side in pixels (a multiple of 128).")
    var size: Int = 128
    @Option(help: "Timed steps (after one warm-up step).")
    var steps: Int = 3
    @Option(help: "Base channel width of the model.")
    var base: Int = 64
    @Option(help: "lstm or none.")
    var temporal: String = "lstm"
    @Flag(help: "Also time every convolution of the model on its own.")
    var layers = false
    @Option(help: "Seed for the weights and the synthetic data.")
    var seed: UInt64 = 1

    func run() throws {
        guard let temporal = ModelConfig.Temporal(rawValue: temporal) else {
            throw BenchError("--temporal must be lstm or none, got \(self.temporal)")
        }
        guard batch >= 1, clip >= 1, steps >= 1 else {
            throw BenchError("--batch, --clip and --steps must be at least 1")
        }
        // batch·clip frames of size² pixels: keep the products an Int can hold.
        guard batch <= 4096, clip <= 4096 else {
            throw BenchError("--batch and --clip must be at most 4096, got \(batch) and \(clip)")
        }
        let threadCounts = try Self.parseThreads(threads)
        let config = ModelConfig(baseWidth: base, temporal: temporal, size: size)
        do { try config.validate() } catch { throw BenchError("\(error)") }

        var rng = RandomGenerator(seed: seed)
        let trainer = try Pix2PixTrainer(config: config, rng: &rng)
        let n = batch * clip
        let L = Tensor(Shape(n, 1, size, size))
        let ab = Tensor(Shape(n, 2, size, size))
        for i in 0..<L.count { L.data[i] = 2 * rng.nextUniform() - 1 }
        for i in 0..<ab.count { ab.data[i] = rng.nextUniform() - 0.5 }

        var measured: [(threads: Int, sgemm: Double, step: Double, inference: Double)] = []
        for threadCount in threadCounts {
            ComputeThreads.set(threadCount)
            let result = measure(trainer: trainer, config: config, L: L, ab: ab, threads: threadCount)
            measured.append((threadCount, result.sgemm, result.step, result.inference))
        }
        if measured.count > 1 {
            let first = measured[0]
            for m in measured.dropFirst() {
                emit([("benchmark", .string("thread_scaling")),
                      ("threads", .int(m.threads)), ("baseline_threads", .int(first.threads)),
                      ("train_step_speedup", .number(first.step / m.step)),
                      ("inference_speedup", .number(first.inference / m.inference)),
                      ("sgemm_speedup", .number(m.sgemm / first.sgemm))])
            }
        }

        if layers {
            progress("per-layer convolution timings…")
            for entry in LayerBench.run(config: config, batch: batch, time: clip, repeats: steps) {
                emit(entry)
            }
        }
    }

    /// One thread count: sgemm, a warm-up and `steps` timed training steps, then
    /// generator-only inference; prints their JSON lines and returns the medians.
    private func measure(trainer: Pix2PixTrainer, config: ModelConfig, L: Tensor, ab: Tensor,
                         threads threadCount: Int) -> (sgemm: Double, step: Double, inference: Double) {
        progress("sgemm 1024³ on \(threadCount) thread(s)…")
        let sgemm = Self.sgemmGflops(n: 1024)
        emit([("benchmark", .string("sgemm")), ("n", .int(1024)), ("threads", .int(threadCount)),
              ("gflops", .number(sgemm))])

        progress("warm-up step (B=\(batch), T=\(clip), \(size)², base \(base), \(config.temporal.rawValue))…")
        let n = batch * clip
        let cost = StepCost(config: config, batch: batch, time: clip)
        var start = Self.now()
        _ = trainer.step(L: L, ab: ab, batch: batch, time: clip)
        progress(String(format: "warm-up %.2f s", Self.now() - start))

        var times: [Double] = []
        times.reserveCapacity(steps)
        let heapBefore = HeapUsage.inUseBytes()
        var losses = StepLosses(discriminator: 0, generatorGAN: 0, generatorL1: 0)
        // Nothing but the steps between the two heap readings (progress is printed after).
        for _ in 0..<steps {
            start = Self.now()
            losses = trainer.step(L: L, ab: ab, batch: batch, time: clip)
            times.append(Self.now() - start)
        }
        let heapAfter = HeapUsage.inUseBytes()
        for (i, t) in times.enumerated() { progress(String(format: "step %d/%d %.2f s", i + 1, steps, t)) }
        let median = Self.median(times)
        let achieved = cost.trainingStep / median / 1e9
        var line: [(String, JSONValue)] = [
            ("benchmark", .string("train_step")), ("threads", .int(threadCount)),
            ("batch", .int(batch)), ("clip", .int(clip)), ("size", .int(size)), ("base", .int(base)),
            ("temporal", .string(config.temporal.rawValue)), ("steps", .int(steps)),
            ("median_s_per_step", .number(median)), ("min_s_per_step", .number(times.min()!)),
            ("frames_per_s", .number(Double(n) / median)),
            ("gflop_per_step", .number(cost.trainingStep / 1e9)),
            ("achieved_gflops", .number(achieved)),
            ("sgemm_gflops", .number(sgemm)),
            ("fraction_of_sgemm_peak", .number(achieved / sgemm)),
            ("peak_rss_mib", .number(Self.peakRSSMiB())),
        ]
        if let heapBefore, let heapAfter {
            line.append(("heap_growth_bytes", .int(heapAfter - heapBefore)))
        }
        line.append(("loss_d", .number(Double(losses.discriminator))))
        line.append(("loss_g_gan", .number(Double(losses.generatorGAN))))
        line.append(("loss_g_l1", .number(Double(losses.generatorL1))))
        emit(line)

        progress("inference…")
        let generator = trainer.generator
        generator.training = false
        defer { generator.training = true }
        _ = generator.forward(L: L, batch: batch, time: clip)
        var inferenceTimes: [Double] = []
        for _ in 0..<steps {
            start = Self.now()
            _ = generator.forward(L: L, batch: batch, time: clip)
            inferenceTimes.append(Self.now() - start)
        }
        let inferenceMedian = Self.median(inferenceTimes)
        emit([("benchmark", .string("inference")), ("threads", .int(threadCount)),
              ("frames", .int(n)), ("median_s_per_batch", .number(inferenceMedian)),
              ("frames_per_s", .number(Double(n) / inferenceMedian)),
              ("gflop_per_batch", .number(cost.inference / 1e9)),
              ("achieved_gflops", .number(cost.inference / inferenceMedian / 1e9)),
              ("peak_rss_mib", .number(Self.peakRSSMiB()))])

        return (sgemm, median, inferenceMedian)
    }

    /// "2" or "1,2": positive thread counts.
    static func parseThreads(_ text: String?) throws -> [Int] {
        guard let text else { return [ComputeThreads.defaultCount()] }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let counts = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, counts.count == parts.count, counts.allSatisfy({ $0 >= 1 && $0 <= 1024 }) else {
            throw BenchError("--threads takes counts from 1 to 1024, e.g. 2 or 1,2; got \(text)")
        }
        return counts
    }

    // MARK: - Measurements

    /// Median GFLOP/s of OpenBLAS's own `C = A·B` on n×n matrices, with OpenBLAS
    /// threading itself over the current compute-thread count: the machine's
    /// ceiling that the training step is judged against (vcolor's kernels run
    /// OpenBLAS single-threaded on their own pool; see `ComputeThreads`).
    static func sgemmGflops(n: Int) -> Double {
        openblas_set_num_threads(Int32(ComputeThreads.count))
        defer { openblas_set_num_threads(1) }
        let count = n * n
        let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var rng = RandomGenerator(seed: 99)
        for i in 0..<count { a[i] = rng.nextUniform() - 0.5; b[i] = rng.nextUniform() - 0.5 }
        c.initialize(repeating: 0, count: count)
        let n32 = Int32(n)
        func call() {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n32, n32, n32, 1, a, n32, b, n32, 0, c, n32)
        }
        call()
        var times: [Double] = []
        let deadline = now() + 1.5
        while times.count < 5 || (times.count < 50 && now() < deadline) {
            let start = now()
            call()
            times.append(now() - start)
        }
        return 2 * Double(n) * Double(n) * Double(n) / median(times) / 1e9
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid])
    }

    /// The process's peak resident set (Linux reports ru_maxrss in KiB).
    static func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    private func progress(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    private func emit(_ fields: [(String, JSONValue)]) {
        print(JSONValue.line(fields))
        fflush(stdout)
    }
}

/// A bench failure, printed by ArgumentParser as one line.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The few JSON values the bench prints, written in field order.
enum JSONValue {
    case string(String)
    case int(Int)
    case number(Double)

    var text: String {
        switch self {
        case let .string(s):
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        case let .int(i): return String(i)
        case let .number(x): return x.isFinite ? String(format: "%.6g", x) : "null"
        }
    }

    static func line(_ fields: [(String, JSONValue)]) -> String {
        "{" + fields.map { "\"\($0.0)\":\($0.1.text)" }.joined(separator: ",") + "}"
    }
}

/// Bytes the C heap has handed out (glibc's `malloc_info` totals: heap in use
/// plus mmapped chunks), or nil where that is not available. Read before and
/// after the timed steps: a steady-state step that allocates nothing leaves it
/// unchanged. `mallinfo2` would be simpler but Swift's Glibc module does not
/// export <malloc.h>, so the function is looked up at run time.
enum HeapUsage {
    static func inUseBytes() -> Int? {
        #if canImport(Glibc)
        typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_info") else { return nil }
        let mallocInfo = unsafeBitCast(symbol, to: MallocInfo.self)
        var buffer: UnsafeMutablePointer<CChar>?
        var length = 0
        guard let stream = open_memstream(&buffer, &length) else { return nil }
        let status = mallocInfo(0, stream)
        fclose(stream)
        guard let buffer else { return nil }
        defer { free(buffer) }
        guard status == 0 else { return nil }
        let xml = String(cString: buffer)
        // The totals follow the last per-arena </heap>.
        guard let tail = xml.range(of: "</heap>", options: .backwards).map({ xml[$0.upperBound...] })
        else { return nil }
        func size(_ tag: String) -> Int? {
            guard let r = tail.range(of: tag) else { return nil }
            let rest = tail[r.upperBound...]
            guard let s = rest.range(of: "size=\""), let e = rest[s.upperBound...].firstIndex(of: "\"")
            else { return nil }
            return Int(rest[s.upperBound..<e])
        }
        guard let fast = size("<total type=\"fast\""), let free = size("<total type=\"rest\""),
              let mmap = size("<total type=\"mmap\""), let current = size("<system type=\"current\"")
        else { return nil }
        return current - fast - free + mmap
        #else
        return nil
        #endif
    }
}
