/// A film cut into contiguous chunks that colorize can colourise apart (on
/// several ranks, or across interruptions) and join without re-encoding.
///
/// Every chunk starts at a scene cut (or at the film's first frame) and ends
/// just before one: a chunk is whole shots. The LSTM is reset at every cut
/// and each shot's frames are batched from its first frame, so a chunk run on
/// its own makes exactly the network calls a single pass over the film makes.
/// A shot longer than `chunkFrames` is not split (its state would have to
/// pass from one chunk to the next, which makes the next chunk wait for this
/// one): the chunk that holds it is longer instead. The rule is a chunk ends
/// at the first cut at least `chunkFrames` frames after its start, so the plan
/// follows from the film's cuts and `chunkFrames` alone: every rank, and a
/// resumed run, makes the same plan.
public struct ChunkPlan: Codable, Equatable, Sendable {
    public struct Chunk: Codable, Equatable, Sendable {
        /// The film's frame number of the chunk's first frame.
        public var first: Int
        public var count: Int
        /// The first frame's presentation time, ns (`FrameTimestamps`).
        public var startNanoseconds: Int64
        public init(first: Int, count: Int, startNanoseconds: Int64) {
            (self.first, self.count, self.startNanoseconds) = (first, count, startNanoseconds)
        }
    }

    /// Frames decoded from the film.
    public var frames: Int
    /// Every frame that starts a new shot (the film's first frame excluded), ascending.
    public var cuts: [Int]
    public var chunks: [Chunk]

    /// The plan for a film of `frames` frames with shots starting at `cuts`,
    /// `start(frame)` giving the presentation time of a frame that starts a
    /// chunk (frame 0 and cut frames only).
    public init(frames: Int, cuts: [Int], chunkFrames: Int, start: (Int) -> Int64) {
        precondition(chunkFrames >= 1)
        self.frames = frames
        self.cuts = cuts
        var firsts = frames > 0 ? [0] : []
        for cut in cuts where cut - firsts.last! >= chunkFrames { firsts.append(cut) }
        chunks = firsts.enumerated().map { k, first in
            Chunk(first: first, count: (k + 1 < firsts.count ? firsts[k + 1] : frames) - first, startNanoseconds: start(first))
        }
    }

    /// The cuts inside `chunk` (its first frame's included when it is a cut).
    public func cuts(in chunk: Chunk) -> Set<Int> {
        Set(cuts.filter { $0 >= chunk.first && $0 < chunk.first + chunk.count })
    }

    /// The order in which ranks take the `pending` chunks: the longest first
    /// (ties in film order). Each rank takes the next chunk no rank has
    /// claimed yet (`ChunkFolder.claim`) whenever it is free, so the ranks
    /// share by the time chunks really take, which follows a chunk's
    /// content (the encoder's work) as much as its frames, and the last
    /// chunks to start are the shortest: a rank ends at most the shortest
    /// chunk's time after another. No rank hands out work or waits for it.
    public func claimOrder(_ pending: [Int]) -> [Int] {
        pending.sorted { (chunks[$0].count, $1) > (chunks[$1].count, $0) }
    }
}
