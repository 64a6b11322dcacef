import Console
import Media
import ModelFiles
import Storage

/// The pass that makes a film's `ChunkPlan`: every frame decoded once and
/// scored by prep's cut detector exactly as `Colorizer` scores it in a single
/// pass (`FramePreparer`, `CutScorer`, `CutTracker`), without the network.
/// It keeps the cut frames and the times of those that may start a chunk,
/// not the frames: memory does not grow with the film. One process scans the
/// whole film here; a team of ranks scans it in stretches
/// (`ShotScan+Stretches.swift`) and gets the same plan.
enum ShotScan {
    /// `warn` gets ffmpeg's complaints about the input, summed up in one line
    /// (`FrameReader.complaintSummary`): this is the one pass that decodes the whole film.
    static func plan(of path: String, info: MediaInfo, modelSize: Int, chunkFrames: Int,
                     progress: ProgressLine?, warn: (String) -> Void) throws -> ChunkPlan {
        let reader = try FrameReader(.file(path), width: info.width, height: info.height, timestamps: true)
        defer { reader.cancel() }
        let scan = CutScan(modelSize: modelSize)
        var cuts: [Int] = []
        var starts: [Int: Int64] = [:]
        var frames = 0
        var previous: Int64 = 0
        while let frame = reader.next() {
            if let signal = StopSignal.received { throw StoppedBySignal(signal) }
            guard let ns = try reader.timestamps!.nanoseconds(of: frames) else {
                throw MediaError(path: path, reason: "ffmpeg gave no timestamp for frame \(frames + 1)")
            }
            // The decision about the frame before this one.
            if scan.push(frame, width: reader.width, height: reader.height) == true {
                cuts.append(frames - 1)
                starts[frames - 1] = previous
            }
            if frames == 0 { starts[0] = ns }
            previous = ns
            frames += 1
            progress?.update(frames)
        }
        if let signal = StopSignal.received { throw StoppedBySignal(signal) }
        if scan.finish() == true {
            cuts.append(frames - 1)
            starts[frames - 1] = previous
        }
        try reader.finishOrThrow()
        if let complaints = reader.complaintSummary() { warn(complaints) }
        return ChunkPlan(frames: frames, cuts: cuts, chunkFrames: chunkFrames) { starts[$0]! }
    }
}

/// The cut detector as the plan's pass runs it, one home for the serial scan
/// and a rank's stretch: a decoded frame in, the decision about the frame
/// before it out (the detector's one frame of look-ahead, `CutTracker`).
final class CutScan {
    private let preparer: FramePreparer
    private let scorer: CutScorer
    private var tracker = CutTracker(detector: SceneCutDetector())
    private let slot: FrameSlot
    private let codeCount: Int

    init(modelSize: Int) {
        preparer = FramePreparer(modelSize: modelSize)
        scorer = CutScorer(size: modelSize)
        slot = FrameSlot(modelSize: modelSize, renderSize: modelSize)
        codeCount = 3 * modelSize * modelSize
    }

    /// Scores an rgb24 frame; returns whether a cut precedes the frame pushed
    /// before it, nil for the first frame.
    func push(_ rgb: UnsafePointer<UInt8>, width: Int, height: Int) -> Bool? {
        preparer.lightness(slot, rgb: rgb, width: width, height: height)
        preparer.detectorFrame(slot, rgb: rgb)
        return tracker.push(score: scorer.add(slot.codes))
    }

    /// After the last frame: whether a cut precedes it (nil when there was none).
    func finish() -> Bool? { tracker.finish() }

    /// A checksum of the last frame pushed as the detector saw it (its
    /// model-size lab8 codes, all a score is made of): two decodes of a frame
    /// with the same checksum give the same scores.
    var digest: UInt64 {
        // The codes' count is 3 × a multiple of 32², so whole 32-bit words.
        UnsafeRawPointer(slot.codes).withMemoryRebound(to: Float.self, capacity: codeCount / 4) {
            TensorChecksum.of(UnsafeBufferPointer(start: $0, count: codeCount / 4))
        }
    }
}
