import Foundation
import Media
import Storage

/// Runs `vcolor prep`: scan → probe → split → decode on worker threads → one
/// shard writer → index. Resumes an interrupted run in the same directory.
public enum Prep {
    public static func run(_ options: PrepOptions) throws -> PrepSummary {
        try options.validate()
        // ffmpeg before anything is written: a missing one is one clear error.
        _ = try FFmpeg.ffmpegPath()
        let stats = PrepStats()
        let progress = PrepProgress(stats: stats, enabled: options.progress)
        let directory = InputScanner.absolute(options.output)
        let lock = try prepareDirectory(directory, overwrite: options.overwrite)
        defer { withExtendedLifetime(lock) {} }
        let existing = try loadExisting(directory)

        let (inputs, skipped) = try usableInputs(options, progress: progress)
        guard !inputs.isEmpty else {
            throw PrepError("no usable input: \(skipped.count) input\(skipped.count == 1 ? " was" : "s were") skipped"
                            + (skipped.first.map { " (first: \($0.path): \($0.reason))" } ?? ""))
        }
        let splits = Split.assign(isStill: inputs.map { $0.input.kind == .still }, valFraction: options.valFraction, seed: options.seed)
        let index = try startIndex(options, inputs: inputs.map(\.input), existing: existing, directory: directory)
        let done = Set(index.sources.map(\.path))
        let todo = WorkPlan.longestFirst(inputs.indices.filter { !done.contains(inputs[$0].input.path) }, of: inputs.map(\.info))
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
        progress.start()
        let plan = WorkPlan(options: options, inputs: inputs, splits: splits, todo: todo,
                            stored: storedOrdinals(index), queue: queue, stats: stats, control: control, progress: progress,
                            workers: workerCount)
        let group = DispatchGroup()
        for _ in 0..<workerCount {
            group.enter()
            Thread.detachNewThread {
                plan.work()
                group.leave()
            }
        }
        group.wait()
        writerDone.wait()
        progress.stop()
        if let error = writerError.error { throw error }
        let signal = StopSignal.received
        try writer.close(complete: !control.isCancelled && signal == nil, skipped: skipped)
        // The index says what is stored; an interrupted prep continues from it when run again.
        if let signal { throw StoppedBySignal(signal) }
        return summary(of: writer.index, inputs: inputs.count, alreadyDone: done.count, stats: stats)
    }

    /// The inputs that exist and libavformat can read; the others, skipped (named on
    /// stderr), or the first of them thrown with `--strict`. Stills are not
    /// probed: probing a photo decodes it, and the worker decodes it anyway
    /// (and names it then if it cannot).
    static func usableInputs(_ options: PrepOptions, progress: PrepProgress) throws
        -> (inputs: [(input: PrepInput, info: MediaInfo)], skipped: [SkippedInput]) {
        let scan = InputScanner.scan(options.inputs, stills: options.stills)
        var skipped = scan.skipped
        if options.strict, let first = skipped.first { throw PrepError("\(first.path): \(first.reason)") }
        let scanned = try InputLabel.apply(options.labels, to: scan.inputs, stills: options.stills)
        for s in scan.skipped { progress.note("skipping \(s.path): \(s.reason)") }
        var usable: [(input: PrepInput, info: MediaInfo)] = []
        let probed = scanned.filter { $0.kind != .still }
        var probes = zip(probed.map(\.path), probeAll(probed, workers: options.workers)).makeIterator()
        let stillInfo = MediaInfo.unprobed(frames: options.clipsPerStill * options.stillFrames)
        let results = scanned.map { input -> Result<MediaInfo, Error> in
            input.kind == .still ? .success(stillInfo) : probes.next()!.1
        }
        for (input, probe) in zip(scanned, results) {
            switch probe {
            case .success(let info): usable.append((input, info))
            case .failure(let error):
                let s = SkippedInput(path: input.path, reason: "\(error)")
                if options.strict { throw PrepError("\(s.path): \(s.reason)") }
                progress.note("skipping \(s.path): \(s.reason)")
                skipped.append(s)
            }
        }
        return (usable, skipped)
    }

    /// A fresh index, or the interrupted run's (same inputs and options only),
    /// written before any shard so the directory always has one.
    static func startIndex(_ options: PrepOptions, inputs: [PrepInput], existing: DatasetIndex?,
                           directory: String) throws -> DatasetIndex {
        var index = DatasetIndex(complete: false, height: options.size, width: options.size, seed: options.seed,
                                 valFraction: options.valFraction, options: options.indexOptions, inputs: inputs.map(\.path))
        if let existing {
            let labels = Dictionary(uniqueKeysWithValues: inputs.map { ($0.path, $0.label) })
            try checkResumable(existing, against: index, labels: labels, directory: directory)
            index.shards = existing.shards
            index.sequences = existing.sequences
            index.sources = existing.sources
        }
        try removeStrayFiles(directory, keeping: Set(index.shards.map(\.file)))
        try index.write(to: directory)
        return index
    }

    /// Sequence ordinals an earlier run already stored, by source path.
    static func storedOrdinals(_ index: DatasetIndex) -> [String: Set<Int>] {
        var stored: [String: Set<Int>] = [:]
        for sequence in index.sequences {
            if let ordinal = Int(sequence.id.split(separator: "-").last ?? "") {
                stored[sequence.sourcePath, default: []].insert(ordinal)
            }
        }
        return stored
    }

    /// The summary over the whole data set (this run and any earlier one).
    static func summary(of final: DatasetIndex, inputs: Int, alreadyDone: Int, stats: PrepStats) -> PrepSummary {
        var summary = PrepSummary()
        summary.inputs = inputs
        summary.alreadyDone = alreadyDone
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
        summary.trainSequences = final.sequences(.train).count
        summary.valSequences = final.sequences(.val).count
        let stills = final.sources.filter { $0.kind == PrepInput.Kind.still.rawValue }
        summary.greyscaleStills = stills.filter { $0.warning == InputWorker.greyscaleWarning }.count
        summary.stills = stills.count - summary.greyscaleStills
        return summary
    }

    static func probeAll(_ inputs: [PrepInput], workers: Int) -> [Result<MediaInfo, Error>] {
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
                    // Probing runs in-process: should libavformat crash, this names the input.
                    PrepProgress.logger.debug("probing \(inputs[i].path)")
                    let result = Result { try MediaProbe.probe(inputs[i]) }
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

    /// Creates or checks `--out` and locks it (one prep at a time) before anything in it is touched.
    static func prepareDirectory(_ directory: String, overwrite: Bool) throws -> DirectoryLock {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw PrepError("--out \(directory) is a file, not a directory") }
        } else if let why = Directories.make(directory) {
            throw PrepError("cannot create \(directory): \(why)")
        }
        let lock: DirectoryLock
        do { lock = try DirectoryLock(directory, for: "prep") } catch { throw PrepError(String(describing: error)) }
        let names = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
        if overwrite {
            for name in names where isDataSetFile(name) {
                try fm.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
            }
        } else if !names.contains(DataPrep.indexFileName), names.contains(where: isShardFile) {
            throw PrepError("\(directory) holds shard files but no index.json; use --overwrite to start afresh")
        }
        return lock
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
    static func checkResumable(_ existing: DatasetIndex, against fresh: DatasetIndex, labels: [String: String?],
                               directory: String) throws {
        var differences: [String] = []
        if existing.height != fresh.height || existing.width != fresh.width { differences.append("--size") }
        if existing.seed != fresh.seed { differences.append("--seed") }
        if existing.valFraction != fresh.valFraction { differences.append("--val-fraction") }
        if existing.options != fresh.options { differences.append("options") }
        if existing.inputs != fresh.inputs { differences.append("inputs") }
        // Sequences too: an interrupted run keeps the finished shards' sequences of
        // inputs it had not finished (and so has no source record of yet).
        func relabelled(_ path: String, _ label: String?) -> Bool { labels[path].map { $0 != label } ?? false }
        if existing.sources.contains(where: { relabelled($0.path, $0.label) })
            || existing.sequences.contains(where: { relabelled($0.sourcePath, $0.label) }) {
            differences.append("--label")
        }
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
