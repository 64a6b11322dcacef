import Foundation
import Media
import Storage

/// What every decoding worker shares: the inputs still to do, where results
/// go, and how to stop. `work()` is one worker's loop: take the next input,
/// decode and split it, hand its sequences to the writer, until none is left
/// or the run is cancelled.
struct WorkPlan: @unchecked Sendable {
    let options: PrepOptions
    let inputs: [(input: PrepInput, info: MediaInfo)]
    let splits: [Split]
    /// Indices into `inputs` not finished by an earlier run.
    let todo: [Int]
    /// Sequence ordinals already stored, by source path.
    let stored: [String: Set<Int>]
    let queue: BlockingQueue<WriterMessage>
    let stats: PrepStats
    let control: RunControl
    let progress: PrepProgress
    /// Workers decoding side by side.
    let workers: Int

    /// `todo` with the costliest inputs first (source pixels × estimated
    /// frames). Taken in input order, one long film last would leave every
    /// other worker idle while it decodes; longest-first keeps them all busy to
    /// the end. The index is sorted, so the order of work changes nothing stored.
    static func longestFirst(_ todo: [Int], of infos: [MediaInfo]) -> [Int] {
        func cost(_ i: Int) -> Double {
            Double(infos[i].estimatedFrames ?? 1) * Double(infos[i].width) * Double(infos[i].height)
        }
        // Ties keep input order, so a plan is the same on every run.
        return todo.sorted { cost($0) != cost($1) ? cost($0) > cost($1) : $0 < $1 }
    }

    /// ffmpeg's threads (decoding and filtering) per worker: the cores shared
    /// out among the workers. When the workers alone fill the cores, ffmpeg's
    /// own threads only add synchronisation, which costs CPU (docs/dataprep.md
    /// §Speed); a single input still gets every core.
    static func ffmpegThreads(workers: Int, cores: Int) -> Int { max(1, cores / max(1, workers)) }

    func work() {
        let worker = InputWorker(
            size: options.size, fit: options.fit, detector: SceneCutDetector(threshold: options.cutThreshold),
            minFrames: options.minFrames, maxFrames: options.maxSequenceFrames, deflateLevel: options.deflate,
            ffmpegThreads: Self.ffmpegThreads(workers: workers, cores: ProcessInfo.processInfo.activeProcessorCount),
            temporaryDirectory: NSTemporaryDirectory(), queue: queue, stats: stats,
            cancelled: { control.isCancelled || StopSignal.received != nil })
        (worker.stillClips, worker.stillFrames, worker.seed) = (options.clipsPerStill, options.stillFrames, options.seed)
        while !control.isCancelled, StopSignal.received == nil, let k = control.next(todo.count) {
            let i = todo[k]
            let (input, info) = inputs[i]
            let outcome = input.kind == .still
                ? worker.processStill(input, ordinal: i, split: splits[i], alreadyStored: stored[input.path] ?? [])
                : worker.process(input, ordinal: i, info: info, split: splits[i], alreadyStored: stored[input.path] ?? [])
            switch outcome {
            case .done(let report):
                stats.inputFinished(estimated: info.estimatedFrames ?? 0, actual: report.source.frames)
                queue.put(.inputDone(report))
                if let warning = report.source.warning { progress.note("\(input.path): \(warning)") }
                progress.inputDone(report.source)
            case .skipped(let s):
                stats.inputFinished(estimated: info.estimatedFrames ?? 0, actual: 0)
                progress.note("skipping \(s.path): \(s.reason)")
                queue.put(.inputSkipped(ordinal: i, s))
                if options.strict { control.cancel() }
            case .cancelled:
                break
            }
        }
        queue.put(.workerExit)
    }
}
