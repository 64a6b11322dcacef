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

    func work() {
        let worker = InputWorker(
            size: options.size, fit: options.fit, detector: SceneCutDetector(threshold: options.cutThreshold),
            minFrames: options.minFrames, maxFrames: options.maxSequenceFrames, deflateLevel: options.deflate,
            temporaryDirectory: NSTemporaryDirectory(), queue: queue, stats: stats,
            cancelled: { control.isCancelled || StopSignal.received != nil })
        while !control.isCancelled, StopSignal.received == nil, let k = control.next(todo.count) {
            let i = todo[k]
            let (input, info) = inputs[i]
            switch worker.process(input, ordinal: i, info: info, split: splits[i], alreadyStored: stored[input.path] ?? []) {
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
