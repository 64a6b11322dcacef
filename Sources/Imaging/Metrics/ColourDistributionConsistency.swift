import Foundation

/// Colour distribution consistency (CDC), the temporal score of the NTIRE 2023
/// video colorization challenge (first defined for TCVC, Liu et al. 2021):
/// how much the colour histograms of a clip jump between nearby frames.
/// Lower is steadier; compare a model's figure with the truth's.
///
/// For one sequence of 8-bit RGB frames:
/// - each frame's histogram of each channel, 256 bins (one per value),
///   divided by the pixel count;
/// - `JS(p, q) = ½ KL(p ‖ m) + ½ KL(q ‖ m)`, `m = (p + q)/2`, natural log
///   (0·log 0 = 0), so 0 ≤ JS ≤ ln 2;
/// - for each gap k ∈ {1, 2, 4}, the mean of JS over all pairs (t, t+k) of the
///   sequence, per channel; the three gaps weighted ⅓ each;
/// - the mean over R, G and B.
/// Over several sequences: the plain mean of the sequences' figures (each
/// sequence counts once, however long). A sequence needs at least 5 frames
/// (one pair at k = 4); shorter ones have no CDC and are left out of the mean.
public struct ColourDistributionConsistency {
    public static let gaps = [1, 2, 4]
    public static let bins = 256
    /// Values per frame: R, G, B histograms one after another.
    static let histogramSize = 3 * bins

    /// The last `gaps.max()` frames' histograms, newest last.
    private var recent: [[Double]] = []
    /// Per gap: Σ JS over pairs (each pair's JS already the mean of the 3 channels), pairs.
    private var sums = [Double](repeating: 0, count: gaps.count)
    private var pairs = [Int](repeating: 0, count: gaps.count)
    private var finished: [Double] = []

    public init() {}

    /// Adds the next frame of the current sequence.
    public mutating func add(_ image: RGBImage) {
        let histogram = Self.histograms(image)
        for (g, k) in Self.gaps.enumerated() where recent.count >= k {
            sums[g] += Self.channelMean(recent[recent.count - k], histogram)
            pairs[g] += 1
        }
        recent.append(histogram)
        if recent.count > Self.gaps.max()! { recent.removeFirst() }
    }

    /// Closes the current sequence and returns its CDC (nil when it had fewer than 5 frames).
    @discardableResult
    public mutating func endSequence() -> Double? {
        defer {
            recent.removeAll(keepingCapacity: true)
            for g in sums.indices { sums[g] = 0; pairs[g] = 0 }
        }
        guard !pairs.contains(0) else { return nil }
        let value = zip(sums, pairs).map { $0 / Double($1) }.reduce(0, +) / Double(Self.gaps.count)
        finished.append(value)
        return value
    }

    /// Sequences with a CDC so far.
    public var sequences: Int { finished.count }
    /// The mean CDC of the finished sequences (nil before the first).
    public var value: Double? { finished.isEmpty ? nil : finished.reduce(0, +) / Double(finished.count) }

    /// The CDC of one whole sequence.
    public static func of(_ frames: [RGBImage]) -> Double? {
        var cdc = ColourDistributionConsistency()
        frames.forEach { cdc.add($0) }
        return cdc.endSequence()
    }

    /// R, G and B histograms of `image`, each normalised to sum 1.
    static func histograms(_ image: RGBImage) -> [Double] {
        var counts = [Int](repeating: 0, count: histogramSize)
        image.pixels.withUnsafeBufferPointer { p in
            counts.withUnsafeMutableBufferPointer { c in
                for i in 0..<image.pixelCount {
                    c[Int(p[3 * i])] += 1
                    c[bins + Int(p[3 * i + 1])] += 1
                    c[2 * bins + Int(p[3 * i + 2])] += 1
                }
            }
        }
        let n = Double(max(image.pixelCount, 1))
        return counts.map { Double($0) / n }
    }

    /// The mean over the three channels of JS between two frames' histograms.
    static func channelMean(_ a: [Double], _ b: [Double]) -> Double {
        (0..<3).map { c in
            jensenShannon(a[(c * bins)..<((c + 1) * bins)], b[(c * bins)..<((c + 1) * bins)])
        }.reduce(0, +) / 3
    }

    /// Jensen–Shannon divergence (natural log) of two distributions over the same bins.
    public static func jensenShannon(_ p: ArraySlice<Double>, _ q: ArraySlice<Double>) -> Double {
        precondition(p.count == q.count)
        var sum = 0.0
        for (x, y) in zip(p, q) {
            let m = (x + y) / 2
            if x > 0 { sum += x * log(x / m) }
            if y > 0 { sum += y * log(y / m) }
        }
        return sum / 2
    }
}
