import Console
import Media
import Storage

/// The pass that makes a film's `ChunkPlan`: every frame decoded once and
/// scored by prep's cut detector exactly as `Colorizer` scores it in a single
/// pass (`FramePreparer`, `CutScorer`, `CutTracker`), without the network.
/// It keeps the cut frames and the times of those that may start a chunk,
/// not the frames: memory does not grow with the film.
enum ShotScan {
    /// `warn` gets ffmpeg's complaints about the input, summed up in one line
    /// (`FrameReader.complaintSummary`): this is the one pass that decodes the whole film.
    static func plan(of path: String, info: MediaInfo, modelSize: Int, chunkFrames: Int,
                     progress: ProgressLine?, warn: (String) -> Void) throws -> ChunkPlan {
        let reader = try FrameReader(.file(path), width: info.width, height: info.height, timestamps: true)
        defer { reader.cancel() }
        let preparer = FramePreparer(modelSize: modelSize)
        let scorer = CutScorer(size: modelSize)
        var tracker = CutTracker(detector: SceneCutDetector())
        let slot = FrameSlot(modelSize: modelSize, renderSize: modelSize)
        var cuts: [Int] = []
        var starts: [Int: Int64] = [:]
        var frames = 0
        var previous: Int64 = 0
        while let frame = reader.next() {
            if let signal = StopSignal.received { throw StoppedBySignal(signal) }
            guard let ns = try reader.timestamps!.nanoseconds(of: frames) else {
                throw MediaError(path: path, reason: "ffmpeg gave no timestamp for frame \(frames + 1)")
            }
            preparer.lightness(slot, rgb: frame, width: reader.width, height: reader.height)
            preparer.detectorFrame(slot, rgb: frame)
            // The decision about the frame before this one.
            if tracker.push(score: scorer.add(slot.codes)) == true {
                cuts.append(frames - 1)
                starts[frames - 1] = previous
            }
            if frames == 0 { starts[0] = ns }
            previous = ns
            frames += 1
            progress?.update(frames)
        }
        if let signal = StopSignal.received { throw StoppedBySignal(signal) }
        if tracker.finish() == true {
            cuts.append(frames - 1)
            starts[frames - 1] = previous
        }
        try reader.finishOrThrow()
        if let complaints = reader.complaintSummary() { warn(complaints) }
        return ChunkPlan(frames: frames, cuts: cuts, chunkFrames: chunkFrames) { starts[$0]! }
    }
}
