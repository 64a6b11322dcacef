/// A range of values against step: per step a low and a high end (the
/// fastest and the slowest rank's compute time), drawn as a filled band.
public struct Band: Equatable {
    /// The two ends; always at the same steps.
    public private(set) var low = Series(), high = Series()

    public init() {}

    public var count: Int { low.count }
    public var isEmpty: Bool { low.isEmpty }

    /// Appends a step's range; a repeated step replaces the older attempt's, as in `Series`.
    mutating func append(_ step: Double, low lo: Double, high hi: Double) {
        low.append(step, lo)
        high.append(step, hi)
    }

    /// At most `maxPoints` points per end that keep the whole range: the steps
    /// are cut into `maxPoints / 2` runs of consecutive steps, and each run
    /// spans its first to its last step at its lowest low and highest high.
    /// One slow step survives as a spike in the band.
    public func downsampled(maxPoints: Int) -> Band {
        precondition(maxPoints >= 2)
        guard count > maxPoints else { return self }
        let buckets = maxPoints / 2
        var out = Band()
        for b in 0..<buckets {
            let start = b * count / buckets, end = (b + 1) * count / buckets
            guard end > start else { continue }
            var lo = low.y[start], hi = high.y[start]
            for i in start..<end {
                lo = min(lo, low.y[i])
                hi = max(hi, high.y[i])
            }
            out.append(low.x[start], low: lo, high: hi)
            if end - 1 > start { out.append(low.x[end - 1], low: lo, high: hi) }
        }
        return out
    }
}
