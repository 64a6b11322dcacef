import Foundation
import HDF5Kit
import Imaging
import Media

/// One decoding thread's tools and the per-input loop:
/// ffmpeg frames → lab8 → scene-cut scores → deflate → `SequenceSplitter`.
/// Everything here is per worker, so workers share nothing but the queue.
final class InputWorker {
    let size: Int
    let fit: FitMode
    let detector: SceneCutDetector
    let minFrames: Int
    let maxFrames: Int
    let temporaryDirectory: String
    /// ffmpeg's threads per input (`FrameReader`'s `threads`).
    let ffmpegThreads: Int
    let queue: BlockingQueue<WriterMessage>
    let stats: PrepStats
    let cancelled: () -> Bool
    private let converter = Lab8Converter()
    private let deflate: Deflate
    private let lab: UnsafeMutablePointer<UInt8>
    private let scorer: CutScorer

    init(size: Int, fit: FitMode, detector: SceneCutDetector, minFrames: Int, maxFrames: Int, deflateLevel: Int,
         ffmpegThreads: Int, temporaryDirectory: String, queue: BlockingQueue<WriterMessage>, stats: PrepStats,
         cancelled: @escaping () -> Bool) {
        self.size = size
        self.fit = fit
        self.detector = detector
        self.minFrames = minFrames
        self.maxFrames = maxFrames
        self.temporaryDirectory = temporaryDirectory
        self.ffmpegThreads = ffmpegThreads
        self.queue = queue
        self.stats = stats
        self.cancelled = cancelled
        deflate = Deflate(level: deflateLevel)
        lab = .allocate(capacity: size * size * 3)
        scorer = CutScorer(size: size)
    }

    deinit {
        lab.deallocate()
    }

    enum Outcome {
        case done(InputReport)
        case skipped(SkippedInput)
        case cancelled
    }

    /// Decodes one input and sends its sequences; returns what became of it.
    /// `alreadyStored`: ordinals of its sequences a previous run stored.
    func process(_ input: PrepInput, ordinal: Int, info: MediaInfo, split: Split, alreadyStored: Set<Int>) -> Outcome {
        let reader: FrameReader
        do {
            reader = try FrameReader(input.kind == .imageSequence ? .images(input.images) : .file(input.path),
                                     width: size, height: size, filter: fit.filter(size: size, info: info), depth: 0,
                                     threads: ffmpegThreads, temporaryDirectory: temporaryDirectory)
        } catch {
            return .skipped(SkippedInput(path: input.path, reason: "cannot start ffmpeg: \(error)"))
        }
        let pixels = size * size
        let fps = info.fps
        let queue = self.queue
        var splitter = SequenceSplitter(
            minFrames: minFrames, maxFrames: maxFrames, alreadyStored: alreadyStored,
            makeMeta: { sequence, firstFrame in
                SequenceMeta(id: String(format: "%05d-%04d", ordinal, sequence), inputOrdinal: ordinal,
                             source: input.name, sourcePath: input.path, fps: fps, firstFrame: firstFrame, split: split.rawValue,
                             label: input.label)
            },
            send: { queue.put($0) })
        var tracker = CutTracker(detector: detector)
        var pending: [UInt8] = []
        var t = 0
        var sinceReport = 0
        var wasCancelled = false
        scorer.reset()
        while let rgb = reader.next() {
            if cancelled() { wasCancelled = true; break }
            converter.convert(rgb: rgb, pixels: pixels, lab: lab)
            // Frame t−1's cut decision needs the score after it (fade guard).
            if let cut = tracker.push(score: scorer.add(lab)) {
                splitter.append(pending[...], frameIndex: t - 1, cutBefore: cut)
            }
            let n = deflate.compress(UnsafeRawBufferPointer(start: lab, count: 3 * pixels))
            pending.removeAll(keepingCapacity: true)
            pending.append(contentsOf: deflate.output[0..<n])
            t += 1
            sinceReport += 1
            if sinceReport == 16 { stats.addDecoded(sinceReport); sinceReport = 0 }
        }
        stats.addDecoded(sinceReport)
        if wasCancelled {
            reader.cancel()
            return .cancelled
        }
        if let cut = tracker.finish() { splitter.append(pending[...], frameIndex: t - 1, cutBefore: cut) }
        let cuts = tracker.cuts
        let result = reader.finish()
        let ffmpegSays = FFmpeg.lastLine(result.message, path: input.path)
        if t == 0 {
            let why = result.message.isEmpty ? "no frames decoded" : "no frames decoded (ffmpeg: \(ffmpegSays))"
            return .skipped(SkippedInput(path: input.path, reason: why))
        }
        splitter.finish()
        var warning: String?
        if result.status != 0 || result.endedMidFrame || !result.message.isEmpty {
            warning = "decoding stopped or reported errors after \(t) frames; the decoded frames are kept"
                + (result.message.isEmpty ? "" : " (ffmpeg: \(ffmpegSays))")
        }
        let source = DatasetIndex.Source(
            path: input.path, name: input.name, kind: input.kind.rawValue, split: split.rawValue,
            sequences: splitter.kept, frames: t, framesKept: splitter.keptFrames, cuts: cuts,
            droppedShort: splitter.droppedShort, warning: warning, label: input.label)
        return .done(InputReport(ordinal: ordinal, source: source, sequenceIDs: splitter.keptIDs))
    }
}
