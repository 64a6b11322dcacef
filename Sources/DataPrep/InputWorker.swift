import Foundation
import HDF5Kit
import Imaging
import Media

/// One decoding thread's tools and the per-input loop:
/// ffmpeg frames → lab8 → scene-cut scores → deflate → `SequenceSplitter`;
/// for a still, in-process decoding and camera-path frames → lab8 → deflate
/// (`processStill`). Everything here is per worker, so workers share nothing
/// but the queue.
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
    /// Stills: clips per photo, frames per clip, and the seed of their camera paths.
    var stillClips = 2
    var stillFrames = 16
    var seed: UInt64 = 0
    private let stills: StillRenderer
    /// A still's frame as rendered, before lab8.
    private let rgb: UnsafeMutablePointer<UInt8>
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
        rgb = .allocate(capacity: size * size * 3)
        stills = StillRenderer(size: size)
        scorer = CutScorer(size: size)
    }

    deinit {
        lab.deallocate()
        rgb.deallocate()
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
            makeMeta: Self.sequenceMeta(input, ordinal: ordinal, split: split, fps: fps),
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

    /// Makes a photo into `stillClips` clips of `stillFrames` frames along
    /// camera paths (docs/dataprep.md §Stills) and sends them as sequences,
    /// clip k being sequence k. A photo that cannot be decoded is skipped; a
    /// greyscale one is refused (a source without sequences, with a warning).
    func processStill(_ input: PrepInput, ordinal: Int, split: Split, alreadyStored: Set<Int>) -> Outcome {
        let queue = self.queue
        let frames = stillFrames, clips = stillClips
        var splitter = SequenceSplitter(
            minFrames: minFrames, maxFrames: maxFrames, alreadyStored: alreadyStored,
            makeMeta: Self.sequenceMeta(input, ordinal: ordinal, split: split, fps: 0),
            send: { queue.put($0) })
        func source(_ warning: String? = nil) -> DatasetIndex.Source {
            DatasetIndex.Source(path: input.path, name: input.name, kind: input.kind.rawValue, split: split.rawValue,
                                sequences: splitter.kept, frames: splitter.keptFrames, framesKept: splitter.keptFrames, cuts: 0,
                                droppedShort: 0, warning: warning, label: input.label)
        }
        // The photo is decoded only if some clip is not stored yet (by an earlier run).
        var paths: [CameraPath] = []
        if (0..<clips).contains(where: { !alreadyStored.contains($0) }) {
            let info: StillInfo
            do { info = try stills.decode(input.path) } catch let error as MediaError {
                return .skipped(SkippedInput(path: input.path, reason: error.reason))
            } catch {
                return .skipped(SkippedInput(path: input.path, reason: "\(error)"))
            }
            if cancelled() { return .cancelled }
            let key = input.stillKey ?? input.name
            paths = (0..<clips).map {
                CameraPath.make(width: info.displayWidth, height: info.displayHeight, size: size, seed: seed, key: key, clip: $0)
            }
            let sides = paths.flatMap { [$0.start.side, $0.end.side] }
            if !info.isGreyFormat { stills.prepare(sides: sides.min()!...sides.max()!) }
            if stills.isGreyscale() {
                splitter.finish()
                return .done(InputReport(ordinal: ordinal, source: source(Self.greyscaleWarning), sequenceIDs: []))
            }
        }
        let empty: ArraySlice<UInt8> = []
        let pixels = size * size
        for clip in 0..<clips {
            guard !alreadyStored.contains(clip) else {
                // Stored: counted, so that the splitter's ids and frame indices stay those of a whole run.
                for t in 0..<frames { splitter.append(empty, frameIndex: clip * frames + t, cutBefore: t == 0) }
                continue
            }
            if cancelled() { return .cancelled }
            for t in 0..<frames {
                stills.render(paths[clip].window(t, of: frames), into: rgb)
                converter.convert(rgb: rgb, pixels: pixels, lab: lab)
                let n = deflate.compress(UnsafeRawBufferPointer(start: lab, count: 3 * pixels))
                splitter.append(deflate.output[0..<n], frameIndex: clip * frames + t, cutBefore: t == 0)
            }
            stats.addDecoded(frames)
        }
        splitter.finish()
        return .done(InputReport(ordinal: ordinal, source: source(), sequenceIDs: splitter.keptIDs))
    }

    /// The warning of a refused greyscale photo (also how the summary counts them).
    static let greyscaleWarning = "greyscale photo (a* = b* = 0 everywhere): refused, not trained on"

    /// A `SequenceSplitter`'s `makeMeta` for one input: its `sequence`-th
    /// sequence gets the id "OOOOO-SSSS" (input `ordinal`, sequence), the
    /// input's name, path and label, and the split.
    private static func sequenceMeta(_ input: PrepInput, ordinal: Int, split: Split,
                                     fps: Double) -> (_ sequence: Int, _ firstFrame: Int) -> SequenceMeta {
        { sequence, firstFrame in
            SequenceMeta(inputOrdinal: ordinal, record: DatasetIndex.Sequence(
                id: String(format: "%05d-%04d", ordinal, sequence), shard: "", frames: 0, source: input.name,
                sourcePath: input.path, fps: fps, firstFrame: firstFrame, split: split.rawValue, label: input.label))
        }
    }
}
