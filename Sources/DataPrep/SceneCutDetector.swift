/// Finds shot changes from the frames themselves, so no sequence (and so no LSTM
/// clip) spans a cut.
///
/// Score: the distance between consecutive frames' lightness histograms (64 bins
/// of the lab8 L code), half the L1 distance of the normalised histograms, in
/// [0, 1]: 0 for identical distributions, 1 for disjoint ones. Motion inside a shot
/// barely moves the histogram; a cut usually replaces it.
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

    /// Histogram of an L plane (lab8 codes) into `bins` counters.
    public static func histogram(_ l: UnsafePointer<UInt8>, count: Int, into bins: UnsafeMutablePointer<Int32>) {
        bins.update(repeating: 0, count: Self.bins)
        for p in 0..<count { bins[Int(l[p] >> 2)] &+= 1 }
    }

    /// Half the L1 distance between two histograms of the same pixel count.
    public static func distance(_ a: UnsafePointer<Int32>, _ b: UnsafePointer<Int32>, pixels: Int) -> Double {
        var sum = 0
        for i in 0..<bins { sum += abs(Int(a[i]) - Int(b[i])) }
        return Double(sum) / Double(2 * pixels)
    }

    /// Is there a cut between frame t−1 and t, given the scores around it
    /// (use 0 where there is no neighbour)?
    public func isCut(previous: Double, current: Double, next: Double) -> Bool {
        current >= threshold && current >= peakRatio * max(previous, next)
    }
}
