import Foundation
import Media
import Net

/// Options of `vcolor prep` (docs/format.md §Command line, and `vcolor prep --help`).
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
    /// Level 1: the fastest that compresses; levels up to 6 make chunks about
    /// 10 % smaller at up to three times the CPU, and deflate is already the
    /// largest cost prep adds to decoding (docs/dataprep.md §Speed).
    public var deflate = 1
    /// `--label NAME=PATH`, in the order given.
    public var labels: [InputLabel] = []
    /// `--stills PATH`: folders (or files) whose images are independent photos,
    /// each made into `clipsPerStill` clips of `stillFrames` frames (docs/dataprep.md §Stills).
    public var stills: [String] = []
    public var clipsPerStill = 2
    public var stillFrames = 16
    public var strict = false
    public var overwrite = false
    /// Show the progress line when stderr is a terminal.
    public var progress = true

    public init(inputs: [String], output: String) {
        self.inputs = inputs
        self.output = output
    }

    static let maximumWorkers = 1024
    /// Clip ordinals are four digits in sequence ids.
    static let maximumClipsPerStill = 100
    /// 1 TiB.
    static let maximumShardMB = 1_048_576.0

    /// The still options are recorded only when there are stills, so an index
    /// without any reads (and resumes) as before.
    var indexOptions: DatasetIndex.Options {
        DatasetIndex.Options(fit: fit.rawValue, cutThreshold: cutThreshold, minFrames: minFrames,
                             maxSequenceFrames: maxSequenceFrames, deflate: deflate, shardMB: shardMB,
                             clipsPerStill: stills.isEmpty ? nil : clipsPerStill, stillFrames: stills.isEmpty ? nil : stillFrames)
    }

    public func validate() throws {
        // The model's rule (the U-Net halves the side 7 times), which also keeps
        // size²·3 (a frame) far from Int's range; so do the bounds below for
        // 4·workers (the queue) and shard-mb·2²⁰ (the byte limit).
        do { try ModelConfig.checkFrameSize(size, name: "--size") } catch { throw PrepError("\(error)") }
        guard valFraction.isFinite, (0...1).contains(valFraction) else { throw PrepError("--val-fraction must be in [0, 1] (got \(valFraction))") }
        guard (1...Self.maximumWorkers).contains(workers) else {
            throw PrepError("--workers must be 1…\(Self.maximumWorkers) (got \(workers))")
        }
        guard shardMB.isFinite, shardMB > 0, shardMB <= Self.maximumShardMB else {
            throw PrepError("--shard-mb must be positive and at most \(Int(Self.maximumShardMB)) (got \(shardMB))")
        }
        guard minFrames >= 1 else { throw PrepError("--min-frames must be at least 1") }
        guard maxSequenceFrames >= minFrames else { throw PrepError("--max-sequence must be at least --min-frames") }
        guard (0...9).contains(deflate) else { throw PrepError("--deflate must be 0…9") }
        guard cutThreshold.isFinite, cutThreshold >= 0 else {
            throw PrepError("--cut-threshold must be a number ≥ 0 (got \(cutThreshold))")
        }
        guard (1...Self.maximumClipsPerStill).contains(clipsPerStill) else {
            throw PrepError("--clips-per-still must be 1…\(Self.maximumClipsPerStill) (got \(clipsPerStill))")
        }
        guard stillFrames >= minFrames, stillFrames <= maxSequenceFrames else {
            throw PrepError("--still-frames must be from --min-frames (\(minFrames)) to --max-sequence (\(maxSequenceFrames)) (got \(stillFrames))")
        }
        guard !inputs.isEmpty || !stills.isEmpty else { throw PrepError("no inputs given") }
        for label in labels { try label.validate() }
    }
}
