/// Finds shot changes from the frames themselves, so no sequence (and so no LSTM
/// clip) spans a cut.
///
/// Two scores between consecutive frames, each with its own rule; a cut is
/// declared when either rule fires.
///
/// **Histograms** (cuts between different shots): the distance between the
/// frames' histograms of L*, a* and b* (64 bins each over the lab8 codes): for
/// each channel half the L1 distance of the normalised histograms, in [0, 1]
/// (0 identical, 1 disjoint), and the score is the largest of the three. Motion
/// inside a shot barely moves the histograms; a cut to another shot usually
/// replaces one of them. Lightness decides for black-and-white film (its chroma
/// histograms never change); chroma catches cuts between colour shots of
/// similar brightness. Rule: `h[t] ≥ threshold` and
/// `h[t] ≥ peakRatio × max(h[t−1], h[t+1])`.
///
/// **Blocks** (cuts between similar shots: a jump cut in the same scene, or two
/// shots of one place, have near-identical histograms): the frame is cut into a
/// 32 × 32 grid of blocks (4 × 4 pixels at 128²) and the score is the mean
/// |Δ| of the blocks' mean L code plus the mean |Δ| of their a and b codes, over
/// 255. Motion moves it too, but smoothly from frame to frame; a cut is a
/// spike. Rule: `b[t] ≥ blockThreshold` and
/// `b[t] ≥ blockPeakRatio × (b[t−1] + b[t+1]) / 2`.
///
/// Both rules ask for an isolated peak, which guards against fades, dissolves,
/// flicker and fast pans: those change several frames in a row by about the
/// same amount. That needs one frame of look-ahead, which the caller provides.
/// The constants were tuned on real footage (docs/dataprep.md, "Scene cuts on
/// real footage").
public struct SceneCutDetector: Sendable {
    public static let bins = 64
    /// Default histogram threshold: cuts between different shots score ≳ 0.5;
    /// motion within a shot ≲ 0.2.
    public static let defaultThreshold = 0.35
    public static let grid = 32
    public static let defaultBlockThreshold = 0.018
    public static let defaultBlockPeakRatio = 2.2
    /// Above 1 no histogram score can reach it: cut detection is off (both rules).
    public var threshold: Double
    public var peakRatio: Double
    public var blockThreshold: Double
    public var blockPeakRatio: Double

    public init(threshold: Double = SceneCutDetector.defaultThreshold, peakRatio: Double = 2,
                blockThreshold: Double = SceneCutDetector.defaultBlockThreshold,
                blockPeakRatio: Double = SceneCutDetector.defaultBlockPeakRatio) {
        self.threshold = threshold
        self.peakRatio = peakRatio
        self.blockThreshold = blockThreshold
        self.blockPeakRatio = blockPeakRatio
    }

    /// The two scores between a frame and the one before it.
    public struct Score: Sendable, Equatable {
        public var histogram: Double
        public var blocks: Double
        public init(histogram: Double, blocks: Double) {
            self.histogram = histogram
            self.blocks = blocks
        }
        public static let zero = Score(histogram: 0, blocks: 0)
    }

    /// Histograms of a planar lab8 frame (`pixels` per plane) into
    /// `histogramSize` counters: L bins, then a, then b.
    public static func histogram(_ lab: UnsafePointer<UInt8>, pixels: Int, into bins: UnsafeMutablePointer<Int32>) {
        // Four partial histograms, one per pixel of each group of four: in a flat
        // plane (a* and b* often are) every pixel hits the same bin, and with one
        // histogram each increment would wait for the store before it.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4 * Self.bins) { buffer in
            let parts = buffer.baseAddress!
            for channel in 0..<3 {
                let plane = lab + channel * pixels
                parts.update(repeating: 0, count: 4 * Self.bins)
                let h0 = parts, h1 = parts + Self.bins, h2 = parts + 2 * Self.bins, h3 = parts + 3 * Self.bins
                var p = 0
                while p + 4 <= pixels {
                    h0[Int(plane[p] >> 2)] &+= 1
                    h1[Int(plane[p + 1] >> 2)] &+= 1
                    h2[Int(plane[p + 2] >> 2)] &+= 1
                    h3[Int(plane[p + 3] >> 2)] &+= 1
                    p += 4
                }
                while p < pixels { h0[Int(plane[p] >> 2)] &+= 1; p += 1 }
                let h = bins + channel * Self.bins
                for i in 0..<Self.bins { h[i] = h0[i] &+ h1[i] &+ h2[i] &+ h3[i] }
            }
        }
    }

    public static let histogramSize = 3 * bins

    /// The histogram score between two frames' histograms (same pixel count).
    public static func distance(_ a: UnsafePointer<Int32>, _ b: UnsafePointer<Int32>, pixels: Int) -> Double {
        var worst = 0
        for channel in 0..<3 {
            var sum = 0
            for i in (channel * bins)..<((channel + 1) * bins) { sum += abs(Int(a[i]) - Int(b[i])) }
            worst = max(worst, sum)
        }
        return Double(worst) / Double(2 * pixels)
    }

    public static let blockSumsSize = 3 * grid * grid

    /// Sums of the codes in each block of a planar lab8 `size`² frame (`size` a
    /// multiple of `grid`) into `blockSumsSize` counters: L blocks row by row, then a, then b.
    public static func blockSums(_ lab: UnsafePointer<UInt8>, size: Int, into sums: UnsafeMutablePointer<Int32>) {
        let k = size / grid
        // Column sums over a block row's k rows first: a straight add of whole
        // rows, which the compiler vectorises; then k columns to a block.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: size) { buffer in
            let columns = buffer.baseAddress!
            for channel in 0..<3 {
                let plane = lab + channel * size * size, out = sums + channel * grid * grid
                for by in 0..<grid {
                    columns.update(repeating: 0, count: size)
                    for y in (by * k)..<(by * k + k) {
                        let row = plane + y * size
                        for x in 0..<size { columns[x] &+= Int32(row[x]) }
                    }
                    for bx in 0..<grid {
                        var s: Int32 = 0
                        for x in (bx * k)..<(bx * k + k) { s &+= columns[x] }
                        out[by * grid + bx] = s
                    }
                }
            }
        }
    }

    /// The block score between two frames' block sums (same frame size).
    public static func blockDistance(_ a: UnsafePointer<Int32>, _ b: UnsafePointer<Int32>, size: Int) -> Double {
        let blocks = grid * grid
        var lightness = 0, chroma = 0
        for i in 0..<blocks { lightness += abs(Int(a[i]) - Int(b[i])) }
        for i in blocks..<(3 * blocks) { chroma += abs(Int(a[i]) - Int(b[i])) }
        let perBlock = Double((size / grid) * (size / grid))
        return (Double(lightness) / Double(blocks) + Double(chroma) / Double(2 * blocks)) / (perBlock * 255)
    }

    /// Is there a cut between frame t−1 and t, given the scores around it?
    /// `previous` is nil at frame 1 (frame 0 has no score), `next` at the last
    /// frame: the histogram rule then takes 0, the block rule the other neighbour.
    public func isCut(previous: Score?, current: Score, next: Score?) -> Bool {
        guard threshold <= 1 else { return false }
        let h = current.histogram
        if h >= threshold && h >= peakRatio * max(previous?.histogram ?? 0, next?.histogram ?? 0) { return true }
        guard let before = previous ?? next else { return false }
        let b = current.blocks, around = (before.blocks + (next ?? before).blocks) / 2
        return b >= blockThreshold && b >= blockPeakRatio * around
    }

}

/// The previous frame's histograms and block sums, and the scores against it:
/// one per decoding thread, allocated once.
public final class CutScorer {
    public let size: Int
    private let histograms: UnsafeMutablePointer<Int32>
    private let blocks: UnsafeMutablePointer<Int32>
    private var current = 0
    private var count = 0

    public init(size: Int) {
        precondition(size > 0 && size % SceneCutDetector.grid == 0, "frame size must be a multiple of \(SceneCutDetector.grid)")
        self.size = size
        histograms = .allocate(capacity: 2 * SceneCutDetector.histogramSize)
        blocks = .allocate(capacity: 2 * SceneCutDetector.blockSumsSize)
    }

    deinit {
        histograms.deallocate()
        blocks.deallocate()
    }

    /// Starts a new stream: the next frame has no frame before it.
    public func reset() { count = 0 }

    /// Measures a planar lab8 frame; returns its scores against the frame
    /// before (`.zero` for the first frame of a stream).
    public func add(_ lab: UnsafePointer<UInt8>) -> SceneCutDetector.Score {
        let h = histograms + current * SceneCutDetector.histogramSize
        let b = blocks + current * SceneCutDetector.blockSumsSize
        SceneCutDetector.histogram(lab, pixels: size * size, into: h)
        SceneCutDetector.blockSums(lab, size: size, into: b)
        var score = SceneCutDetector.Score.zero
        if count > 0 {
            let other = 1 - current
            score = SceneCutDetector.Score(
                histogram: SceneCutDetector.distance(histograms + other * SceneCutDetector.histogramSize, h, pixels: size * size),
                blocks: SceneCutDetector.blockDistance(blocks + other * SceneCutDetector.blockSumsSize, b, size: size))
        }
        current = 1 - current
        count += 1
        return score
    }
}

/// The detector's one frame of look-ahead, for a stream of frames: the cut
/// decision for a frame is known only when the score after it is. Prep and
/// colorize both feed every frame's score here and act on the decision for the
/// frame before it.
public struct CutTracker {
    public let detector: SceneCutDetector
    /// Frames pushed since the start (or `finish`).
    private var count = 0
    private var scoreBefore = SceneCutDetector.Score.zero, scoreHeld = SceneCutDetector.Score.zero
    /// Cuts found so far.
    public private(set) var cuts = 0

    public init(detector: SceneCutDetector) { self.detector = detector }

    /// Takes the scores between the previous frame and this one (`.zero` for
    /// the first frame); returns whether a cut precedes the previous frame, or
    /// nil when this is the first frame (nothing held yet).
    public mutating func push(score: SceneCutDetector.Score) -> Bool? {
        defer {
            scoreBefore = scoreHeld
            scoreHeld = score
            count += 1
        }
        return count == 0 ? nil : decide(next: score)
    }

    /// After the last frame: whether a cut precedes it (nil when there were no
    /// frames). Starts over for the next stream.
    public mutating func finish() -> Bool? {
        defer { (count, scoreBefore, scoreHeld) = (0, .zero, .zero) }
        return count == 0 ? nil : decide(next: nil)
    }

    /// The held frame is frame `count − 1`: the first frame of a stream never
    /// follows a cut, and frame 1 has no score before it (frame 0 has none).
    private mutating func decide(next: SceneCutDetector.Score?) -> Bool {
        let cut = count > 1 && detector.isCut(previous: count > 2 ? scoreBefore : nil, current: scoreHeld, next: next)
        if cut { cuts += 1 }
        return cut
    }
}
