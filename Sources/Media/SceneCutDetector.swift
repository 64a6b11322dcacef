/// Finds shot changes from the frames themselves, so no sequence (and so no LSTM
/// clip) spans a cut.
///
/// Score: the distance between consecutive frames' histograms of L*, a* and b*
/// (64 bins each over the lab8 codes): for each channel half the L1 distance of
/// the normalised histograms, in [0, 1] (0 identical, 1 disjoint), and the score
/// is the largest of the three. Motion inside a shot barely moves the histograms;
/// a cut usually replaces one of them. Lightness decides for black-and-white
/// film (its chroma histograms never change); chroma catches cuts between
/// colour shots of similar brightness.
///
/// Guard against fades and dissolves (and flicker, fast pans): those change the
/// histogram over several frames in a row, so every step scores about the same. A
/// cut is an isolated peak, so a cut is declared before frame t only when
/// `d[t] ≥ threshold` and `d[t] ≥ peakRatio × max(d[t−1], d[t+1])`; that needs
/// one frame of look-ahead, which the caller provides.
public struct SceneCutDetector {
    public static let bins = 64
    /// Default threshold: synthetic and real cuts score ≳ 0.5; motion within a shot ≲ 0.2.
    public static let defaultThreshold = 0.35
    public var threshold: Double
    public var peakRatio: Double

    public init(threshold: Double = SceneCutDetector.defaultThreshold, peakRatio: Double = 2) {
        self.threshold = threshold
        self.peakRatio = peakRatio
    }

    /// Histograms of a planar lab8 frame (`pixels` per plane) into
    /// `histogramSize` counters: L bins, then a, then b.
    public static func histogram(_ lab: UnsafePointer<UInt8>, pixels: Int, into bins: UnsafeMutablePointer<Int32>) {
        bins.update(repeating: 0, count: histogramSize)
        for channel in 0..<3 {
            let plane = lab + channel * pixels, h = bins + channel * Self.bins
            for p in 0..<pixels { h[Int(plane[p] >> 2)] &+= 1 }
        }
    }

    public static let histogramSize = 3 * bins

    /// The score between two frames' histograms (same pixel count).
    public static func distance(_ a: UnsafePointer<Int32>, _ b: UnsafePointer<Int32>, pixels: Int) -> Double {
        var worst = 0
        for channel in 0..<3 {
            var sum = 0
            for i in (channel * bins)..<((channel + 1) * bins) { sum += abs(Int(a[i]) - Int(b[i])) }
            worst = max(worst, sum)
        }
        return Double(worst) / Double(2 * pixels)
    }

    /// Is there a cut between frame t−1 and t, given the scores around it
    /// (use 0 where there is no neighbour)?
    public func isCut(previous: Double, current: Double, next: Double) -> Bool {
        current >= threshold && current >= peakRatio * max(previous, next)
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
    private var scoreBefore = 0.0, scoreHeld = 0.0
    /// Cuts found so far.
    public private(set) var cuts = 0

    public init(detector: SceneCutDetector) { self.detector = detector }

    /// Takes the score between the previous frame and this one (0 for the first
    /// frame); returns whether a cut precedes the previous frame, or nil when
    /// this is the first frame (nothing held yet).
    public mutating func push(score: Double) -> Bool? {
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
        defer { (count, scoreBefore, scoreHeld) = (0, 0, 0) }
        return count == 0 ? nil : decide(next: 0)
    }

    /// The held frame is frame `count − 1`; the first frame of a stream never follows a cut.
    private mutating func decide(next: Double) -> Bool {
        let cut = count > 1 && detector.isCut(previous: scoreBefore, current: scoreHeld, next: next)
        if cut { cuts += 1 }
        return cut
    }
}
