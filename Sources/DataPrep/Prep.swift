import Foundation

/// Options of `vcolor prep` (SPEC §6 plus the issue's additions).
public struct PrepOptions {
    public var inputs: [String]
    public var output: String
    public var size = 128
    public var fit = FitMode.crop
    public var valFraction = 0.1
    public var seed: UInt64 = 0
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    public var shardMB = 512.0
    public var cutThreshold = SceneCutDetector.defaultThreshold
    public var minFrames = 8
    public var maxSequenceFrames = 1000
    public var deflate = 4
    public var strict = false
    public var overwrite = false
    /// Show the progress line when stderr is a terminal.
    public var progress = true

    public init(inputs: [String], output: String) {
        self.inputs = inputs
        self.output = output
    }

    var indexOptions: DatasetIndex.Options {
        DatasetIndex.Options(fit: fit.rawValue, cutThreshold: cutThreshold, minFrames: minFrames,
                             maxSequenceFrames: maxSequenceFrames, deflate: deflate, shardMB: shardMB)
    }

    func validate() throws {
        guard size > 0, size % 128 == 0 else { throw PrepError("--size must be a positive multiple of 128 (got \(size))") }
        guard (0...1).contains(valFraction) else { throw PrepError("--val-fraction must be in [0, 1] (got \(valFraction))") }
        guard workers >= 1 else { throw PrepError("--workers must be at least 1") }
        guard shardMB > 0 else { throw PrepError("--shard-mb must be positive") }
        guard minFrames >= 1 else { throw PrepError("--min-frames must be at least 1") }
        guard maxSequenceFrames >= minFrames else { throw PrepError("--max-sequence must be at least --min-frames") }
        guard (0...9).contains(deflate) else { throw PrepError("--deflate must be 0…9") }
        guard cutThreshold >= 0 else { throw PrepError("--cut-threshold must not be negative") }
        guard !inputs.isEmpty else { throw PrepError("no inputs given") }
    }
}

/// What a prep run did, for the final summary.
public struct PrepSummary: Codable {
    public var inputs = 0
    public var alreadyDone = 0
    public var sequences = 0
    public var frames = 0
    public var framesDecoded = 0
    public var cuts = 0
    public var droppedShort = 0
    public var skipped: [SkippedInput] = []
    public var shards = 0
    public var bytes = 0
    public var elapsed = 0.0
    public var complete = false
    public var trainSequences = 0
    public var valSequences = 0

    public var framesPerSecond: Double { elapsed > 0 ? Double(framesDecoded) / elapsed : 0 }

    public var text: String {
        var lines = [
            "inputs:     \(inputs) (\(alreadyDone) already prepared)",
            "sequences:  \(sequences) (train \(trainSequences), val \(valSequences)); \(droppedShort) short ones dropped",
            "frames:     \(frames) stored, \(framesDecoded) decoded this run",
            "cuts:       \(cuts)",
            "skipped:    \(skipped.count)",
            "shards:     \(shards), \(Self.bytes(bytes))",
            String(format: "elapsed:    %.1f s (%.0f frames/s)", elapsed, framesPerSecond),
        ]
        if !complete { lines.append("the data set is INCOMPLETE; run the same command again to finish it") }
        return lines.joined(separator: "\n")
    }

    static func bytes(_ n: Int) -> String {
        n >= 1 << 30 ? String(format: "%.2f GB", Double(n) / Double(1 << 30))
            : n >= 1 << 20 ? String(format: "%.1f MB", Double(n) / Double(1 << 20))
            : String(format: "%.1f kB", Double(n) / 1024)
    }
}

/// Runs `vcolor prep`: scan → probe → split → decode on worker threads → one
/// shard writer → index. Resumes an interrupted run in the same directory.
public enum Prep {
    public static func run(_ options: PrepOptions) throws -> PrepSummary {
        try options.validate()
        let ffmpeg = try ExternalProcess.require("ffmpeg")
        let ffprobe = try ExternalProcess.require("ffprobe")
        let stats = PrepStats()
        let reporter = ProgressReporter(stats: stats, enabled: options.progress)
        let note: @Sendable (String) -> Void = { reporter.log("vcolor prep: " + $0) }

        let directory = InputScanner.absolute(options.output)
        try prepareDirectory(directory, overwrite: options.overwrite)
        let existing = try loadExisting(directory)

        // Scan and probe.
        let scan = InputScanner.scan(options.inputs)
        var skipped = scan.skipped
        if options.strict, let first = skipped.first { throw PrepError("\(first.path): \(first.reason)") }
        for s in scan.skipped { note("skipping \(s.path): \(s.reason)") }
        let probes = probeAll(scan.inputs, ffprobe: ffprobe, workers: options.workers)
        var usable: [(input: PrepInput, info: MediaInfo)] = []
        for (input, probe) in zip(scan.inputs, probes) {
            switch probe {
            case .success(let info): usable.append((input, info))
            case .failure(let error):
                let s = SkippedInput(path: input.path, reason: "\(error)")
                if options.strict { throw PrepError("\(s.path): \(s.reason)") }
                note("skipping \(s.path): \(s.reason)")
                skipped.append(s)
            }
        }
        let inputs = usable
        let paths = inputs.map(\.input.path)
        let splits = Split.assign(count: inputs.count, valFraction: options.valFraction, seed: options.seed)

        // A fresh index, or the interrupted run's (same inputs and options only).
        var index = DatasetIndex(complete: false, height: options.size, width: options.size, seed: options.seed,
                                 valFraction: options.valFraction, options: options.indexOptions, inputs: paths)
        if let existing {
            try checkResumable(existing, against: index, directory: directory)
            index.shards = existing.shards
            index.sequences = existing.sequences
            index.sources = existing.sources
        }
        try removeStrayFiles(directory, keeping: Set(index.shards.map(\.file)))
        try index.write(to: directory)

        let done = Set(index.sources.map(\.path))
        var storedOrdinals: [String: Set<Int>] = [:]
        for sequence in index.sequences {
            if let ordinal = Int(sequence.id.split(separator: "-").last ?? "") { storedOrdinals[sequence.sourcePath, default: []].insert(ordinal) }
        }
        let stored = storedOrdinals
        let todo = inputs.indices.filter { !done.contains(inputs[$0].input.path) }
        stats.setPlan(inputs: todo.count, estimatedFrames: todo.reduce(0) { $0 + (inputs[$1].info.estimatedFrames ?? 0) })

        // Workers decode; one writer owns HDF5.
        let queue = BlockingQueue<WriterMessage>(capacity: 4 * options.workers + 4)
        let writer = ShardWriter(directory: directory, size: options.size,
                                 shardLimit: Int(options.shardMB * 1_048_576), deflateLevel: options.deflate,
                                 index: index, stats: stats)
        let control = RunControl()
        let workerCount = max(1, min(options.workers, todo.count))
        let writerError = ErrorBox()
        let writerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            writerError.error = writer.run(queue: queue, workers: workerCount, onError: { control.cancel() })
            writerDone.signal()
        }
        reporter.start()
        let temporary = NSTemporaryDirectory()
        let group = DispatchGroup()
        for _ in 0..<workerCount {
            group.enter()
            Thread.detachNewThread {
                let worker = InputWorker(
                    size: options.size, fit: options.fit, detector: SceneCutDetector(threshold: options.cutThreshold),
                    minFrames: options.minFrames, maxFrames: options.maxSequenceFrames, deflateLevel: options.deflate,
                    ffmpeg: ffmpeg, temporaryDirectory: temporary, queue: queue, stats: stats,
                    cancelled: { control.isCancelled })
                while !control.isCancelled, let k = control.next(todo.count) {
                    let i = todo[k]
                    let (input, info) = inputs[i]
                    let outcome = worker.process(input, ordinal: i, info: info, split: splits[i],
                                                 alreadyStored: stored[input.path] ?? [])
                    switch outcome {
                    case .done(let report):
                        stats.inputFinished(estimated: info.estimatedFrames ?? 0, actual: report.source.frames)
                        queue.put(.inputDone(report))
                        if let warning = report.source.warning { note("\(input.path): \(warning)") }
                        if !reporter.isTerminal {
                            let s = report.source
                            let snapshot = stats.snapshot()
                            reporter.log("prep: [\(snapshot.inputsDone)/\(snapshot.inputsTotal)] \(s.name): \(s.frames) frames, "
                                         + "\(s.sequences) sequences, \(s.cuts) cuts, \(s.droppedShort) short dropped (\(s.split))")
                        }
                    case .skipped(let s):
                        stats.inputFinished(estimated: info.estimatedFrames ?? 0, actual: 0)
                        note("skipping \(s.path): \(s.reason)")
                        queue.put(.inputSkipped(ordinal: i, s))
                        if options.strict { control.cancel() }
                    case .cancelled:
                        break
                    }
                }
                queue.put(.workerExit)
                group.leave()
            }
        }
        group.wait()
        writerDone.wait()
        reporter.stop()
        if let error = writerError.error { throw error }
        try writer.close(complete: !control.isCancelled, skipped: skipped)

        // Summary over the whole data set (this run and any earlier one).
        let final = writer.index
        var summary = PrepSummary()
        summary.inputs = inputs.count
        summary.alreadyDone = done.count
        summary.sequences = final.sequences.count
        summary.frames = final.sequences.reduce(0) { $0 + $1.frames }
        summary.framesDecoded = stats.snapshot().frames
        summary.cuts = final.sources.reduce(0) { $0 + $1.cuts }
        summary.droppedShort = final.sources.reduce(0) { $0 + $1.droppedShort }
        summary.skipped = final.skipped
        summary.shards = final.shards.count
        summary.bytes = final.shards.reduce(0) { $0 + $1.bytes }
        summary.elapsed = stats.snapshot().elapsed
        summary.complete = final.complete
        summary.trainSequences = final.sequences(split: "train").count
        summary.valSequences = final.sequences(split: "val").count
        return summary
    }

    static func probeAll(_ inputs: [PrepInput], ffprobe: String, workers: Int) -> [Result<MediaInfo, Error>] {
        final class Results: @unchecked Sendable {
            var values: [Result<MediaInfo, Error>]
            init(_ n: Int) { values = .init(repeating: .failure(PrepError("not probed")), count: n) }
        }
        let results = Results(inputs.count)
        let lock = NSLock()
        let control = RunControl()
        let group = DispatchGroup()
        for _ in 0..<max(1, min(workers, inputs.count)) {
            group.enter()
            Thread.detachNewThread {
                while let i = control.next(inputs.count) {
                    let result = Result { try MediaProbe.probe(inputs[i], ffprobe: ffprobe) }
                    lock.lock(); results.values[i] = result; lock.unlock()
                }
                group.leave()
            }
        }
        group.wait()
        return results.values
    }

    static let shardPattern = try! NSRegularExpression(pattern: "^shard-[0-9]{5}\\.h5(\\.partial)?$")

    static func isShardFile(_ name: String) -> Bool {
        shardPattern.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }

    static func prepareDirectory(_ directory: String, overwrite: Bool) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw PrepError("--out \(directory) is a file, not a directory") }
        } else {
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw PrepError("cannot create \(directory): \(error.localizedDescription)")
            }
        }
        let names = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
        if overwrite {
            for name in names where isShardFile(name) || name == DataPrep.indexFileName || name == DataPrep.indexFileName + ".tmp" {
                try fm.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
            }
        } else if !names.contains(DataPrep.indexFileName), names.contains(where: isShardFile) {
            throw PrepError("\(directory) holds shard files but no index.json; use --overwrite to start afresh")
        }
    }

    static func loadExisting(_ directory: String) throws -> DatasetIndex? {
        let path = (directory as NSString).appendingPathComponent(DataPrep.indexFileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try DatasetIndex.load(path, requireComplete: false, checkShardFiles: true)
        } catch {
            throw PrepError("\(error) — use --overwrite to start afresh")
        }
    }

    /// Resuming is only sound with the same inputs and the same data-shaping options.
    static func checkResumable(_ existing: DatasetIndex, against fresh: DatasetIndex, directory: String) throws {
        var differences: [String] = []
        if existing.height != fresh.height || existing.width != fresh.width { differences.append("--size") }
        if existing.seed != fresh.seed { differences.append("--seed") }
        if existing.valFraction != fresh.valFraction { differences.append("--val-fraction") }
        if existing.options != fresh.options { differences.append("options") }
        if existing.inputs != fresh.inputs { differences.append("inputs") }
        guard differences.isEmpty else {
            throw PrepError("\(directory) holds a data set made with different \(differences.joined(separator: ", ")); "
                            + "use --overwrite to replace it, or another --out")
        }
    }

    /// Removes half-written shards and shards not listed in the index (an
    /// interrupted run's leftovers; their inputs are redone).
    static func removeStrayFiles(_ directory: String, keeping: Set<String>) throws {
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where isShardFile(name) && !keeping.contains(name) {
            try fm.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
    }
}

/// Work distribution and cancellation shared by threads.
final class RunControl: @unchecked Sendable {
    private let lock = NSLock()
    private var cursor = 0
    private var cancelledFlag = false

    func next(_ count: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard cursor < count else { return nil }
        cursor += 1
        return cursor - 1
    }
    var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelledFlag }
    func cancel() { lock.lock(); cancelledFlag = true; lock.unlock() }
}

/// An error handed from one thread to another (read after the thread is done).
final class ErrorBox: @unchecked Sendable {
    var error: Error?
}

/// The train/validation split by source input: deterministic from the seed.
public enum Split {
    /// Split of each of `count` inputs (in path order). `round(count·valFraction)`
    /// inputs go to validation, at least one when 0 < fraction and there are two
    /// or more inputs, and at most count−1 when fraction < 1; which ones is a
    /// seeded shuffle.
    public static func assign(count: Int, valFraction: Double, seed: UInt64) -> [String] {
        var nVal = Int((Double(count) * valFraction).rounded())
        if count >= 2 && valFraction > 0 && nVal == 0 { nVal = 1 }
        if count >= 2 && valFraction < 1 && nVal == count { nVal = count - 1 }
        var order = Array(0..<count)
        var state = seed
        func next() -> UInt64 {  // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(next() % UInt64(i + 1)))
            }
        }
        var splits = [String](repeating: "train", count: count)
        for i in order.prefix(nVal) { splits[i] = "val" }
        return splits
    }
}
